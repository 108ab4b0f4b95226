import CNIKit

/// Results: the first byte picks the spec version the rest is decoded in. Properties: decoding fails
/// only with code 1, 6 or 7; a decoded result encodes in every version or fails with code 1; what it
/// encodes to decodes again in that version and encodes to the same text (conversion is stable).
func fuzzOne(_ bytes: [UInt8]) {
    guard let first = bytes.first else { return }
    let version = CNIVersion.all[Int(first) % CNIVersion.all.count]
    let result: Result
    do { result = try Result.decode(Array(bytes.dropFirst()), version: version) } catch {
        expectInputError(error)
        return
    }
    for target in CNIVersion.all {
        let text: String
        do { text = try result.encoded(as: target) } catch {
            guard error.code == .incompatibleVersion else { violated("encoding as \(target) gave \(error)") }
            continue
        }
        let decoded: Result
        do { decoded = try Result.decode(Array(text.utf8), version: target) } catch {
            violated("\(version) result encoded as \(target) does not decode: \(error)\n\(text)")
        }
        guard let again = try? decoded.encoded(as: target), again == text else {
            violated("\(version) result encoded as \(target) changes on a second round\n\(text)")
        }
    }
}

func expectInputError(_ error: CNIError) {
    guard [1, 6, 7].contains(error.code.rawValue), !error.msg.isEmpty else {
        violated("bad input gave \(error)")
    }
}
