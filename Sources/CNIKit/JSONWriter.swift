/// JSON text of a `JSONValue`, byte for byte what JSONEncoder writes with `.sortedKeys` and
/// `.withoutEscapingSlashes` (and `.prettyPrinted` when asked), the format of every result and error
/// the plugins print, without the Codable machinery: keys in UTF-8 byte order, two-space indentation,
/// `"key" : value` when pretty, numbers as `Double.description` without a trailing `.0`.
struct JSONWriter {
    private var output: [UInt8] = []
    private let pretty: Bool

    /// nil when a number is not finite: JSON has no form for it.
    static func serialize(_ value: JSONValue, pretty: Bool) -> String? {
        var writer = JSONWriter(pretty: pretty)
        guard writer.write(value, indent: 0) else { return nil }
        return String(decoding: writer.output, as: UTF8.self)
    }

    private init(pretty: Bool) {
        self.pretty = pretty
    }

    private mutating func write(_ value: JSONValue, indent: Int) -> Bool {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value):
            guard value.isFinite else { return false }
            let text = value.description
            output.append(contentsOf: text.hasSuffix(".0") ? text.utf8.dropLast(2) : text.utf8[...])
        case .string(let value): string(value)
        case .array(let elements):
            return container(UInt8(ascii: "["), UInt8(ascii: "]"), count: elements.count, indent: indent) { writer, i, inner in
                writer.write(elements[i], indent: inner)
            }
        case .object(let members):
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return container(UInt8(ascii: "{"), UInt8(ascii: "}"), count: sorted.count, indent: indent) { writer, i, inner in
                writer.string(sorted[i].key)
                writer.output.append(contentsOf: (writer.pretty ? " : " : ":").utf8)
                return writer.write(sorted[i].value, indent: inner)
            }
        }
        return true
    }

    /// `open`, the `count` elements `element` writes separated by commas (one per line when pretty), `close`.
    private mutating func container(_ open: UInt8, _ close: UInt8, count: Int, indent: Int,
                                    element: (inout JSONWriter, Int, Int) -> Bool) -> Bool {
        output.append(open)
        let inner = indent + 2
        if pretty { output.append(0x0A) }
        for i in 0..<count {
            if i > 0 { output.append(contentsOf: (pretty ? ",\n" : ",").utf8) }
            if pretty { output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: inner)) }
            guard element(&self, i, inner) else { return false }
        }
        if pretty {
            output.append(0x0A)
            output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
        }
        output.append(close)
        return true
    }

    private mutating func string(_ value: String) {
        output.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), byte])
            case 0x08: output.append(contentsOf: #"\b"#.utf8)
            case 0x09: output.append(contentsOf: #"\t"#.utf8)
            case 0x0A: output.append(contentsOf: #"\n"#.utf8)
            case 0x0C: output.append(contentsOf: #"\f"#.utf8)
            case 0x0D: output.append(contentsOf: #"\r"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: #"\u00"#.utf8)
                output.append(contentsOf: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
