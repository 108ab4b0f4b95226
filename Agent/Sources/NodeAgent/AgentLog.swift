#if canImport(Glibc)
import Glibc
#endif

/// One line per event on stderr, prefixed with the program's name. Everything that came from outside
/// (the API, a file, a flag) goes through `escaped` before it is logged, so a node name or a server
/// message can never forge a line or carry a terminal control sequence.
public enum AgentLog {
    public static func info(_ message: String) {
        let line = "swift-cni-node: " + message + "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(2, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    /// Printable ASCII stays; a quote, a backslash, control characters and everything else become
    /// `\"`, `\\`, `\n`, `\t` or `\u{XXXX}`, so the result is one line of plain ASCII.
    public static func escaped(_ value: some StringProtocol) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case " "..."~": out.unicodeScalars.append(scalar)
            default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
        return out
    }

    /// A value from outside, escaped and quoted.
    public static func quoted(_ value: some StringProtocol) -> String { "\"" + escaped(value) + "\"" }
}
