import CNIKit

/// CNI_ARGS and the rest of the environment. Properties: a failure is code 4; what parses, written
/// back as KEY=VALUE pairs, parses to the same pairs; IgnoreUnknown is read only from its own key.
func fuzzOne(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        let args = try CNIArgs.parse(text)
        let written = args.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
        guard let again = try? CNIArgs.parse(written), again.values == args.values else {
            violated("CNI_ARGS \(text.debugDescription) written back as \(written.debugDescription) reads differently")
        }
        guard args.values.keys.allSatisfy({ !$0.isEmpty && !$0.contains(";") && !$0.contains("=") }) else {
            violated("CNI_ARGS \(text.debugDescription) gave a key with ';' or '=' or an empty key")
        }
        do { try args.rejectUnknown(known: ["MAC", "IP", "K8S_POD_NAME"]) } catch {
            guard error.code == .invalidEnvironment else { violated("rejectUnknown gave \(error)") }
        }
    } catch {
        guard error.code == .invalidEnvironment, !error.msg.isEmpty else { violated("CNI_ARGS gave \(error)") }
    }
    // The same text as each variable an environment check reads.
    let fields = text.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
    let field = { (index: Int) in fields.indices.contains(index) ? fields[index] : "" }
    for command in ["ADD", "DEL", "CHECK", "GC", "STATUS", field(0)] {
        let variables = ["CNI_COMMAND": command, "CNI_CONTAINERID": field(1), "CNI_IFNAME": field(2),
                         "CNI_NETNS": field(3), "CNI_ARGS": field(4), "CNI_PATH": field(5)]
        do {
            let environment = try Environment.parse(variables)
            if !environment.ifname.isEmpty {
                guard environment.ifname.utf8.count <= 15, !environment.ifname.contains("/") else {
                    violated("interface name \(environment.ifname.debugDescription) was accepted")
                }
            }
        } catch {
            guard error.code == .invalidEnvironment, !error.msg.isEmpty else { violated("environment gave \(error)") }
        }
    }
}
