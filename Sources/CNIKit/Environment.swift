#if canImport(Glibc)
import Glibc
#endif

/// The `CNI_*` variables of one invocation, checked against what the command requires.
public struct Environment: Equatable, Sendable {
    public var command: Command
    /// `CNI_CONTAINERID`; "" when the command does not require it and it is absent.
    public var containerID: String
    /// `CNI_NETNS`; nil when absent (valid for DEL, STATUS, GC and VERSION).
    public var netns: String?
    /// `CNI_IFNAME`, validated; "" when the command does not require it and it is absent.
    public var ifname: String
    /// `CNI_ARGS`, parsed.
    public var args: CNIArgs
    /// `CNI_PATH` split on `:`, empty entries dropped.
    public var path: [String]
    /// Every variable as given, passed on unchanged to delegated plugins (IPAM).
    public var variables: [String: String]

    /// The process environment (`environ`), as ProcessInfo gives it (a later duplicate wins), read
    /// byte by byte: ProcessInfo's copy under a lock and its Character-wise split cost more than the rest
    /// of a VERSION.
    public static func process() -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                            count: strlen(pointer))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                variables[String(decoding: bytes[..<equals], as: UTF8.self)] =
                    String(decoding: bytes[(equals + 1)...], as: UTF8.self)
            }
            entry += 1
        }
        return variables
    }

    /// Parses and checks the variables; a missing or invalid one is an error (code 4) naming it.
    public static func parse(_ env: [String: String]) throws(CNIError) -> Environment {
        let command = try parseCommand(env["CNI_COMMAND"])
        let missing = command.requiredVariables.filter { (env[$0] ?? "").isEmpty }
        guard missing.isEmpty else {
            throw CNIError(.invalidEnvironment,
                           "required environment variables [\(missing.joined(separator: ","))] missing: "
                               + "the runtime must set them for \(command.rawValue)")
        }
        let containerID = env["CNI_CONTAINERID"] ?? ""
        if !containerID.isEmpty { try validateContainerID(containerID) }
        let ifname = env["CNI_IFNAME"] ?? ""
        if !ifname.isEmpty { try validateInterfaceName(ifname, naming: "CNI_IFNAME") }
        let netns = env["CNI_NETNS"].flatMap { $0.isEmpty ? nil : $0 }
        return Environment(
            command: command, containerID: containerID, netns: netns, ifname: ifname,
            args: try CNIArgs.parse(env["CNI_ARGS"] ?? ""),
            path: (env["CNI_PATH"] ?? "").split(separator: ":").map(String.init),
            variables: env)
    }

    static func parseCommand(_ value: String?) throws(CNIError) -> Command {
        guard let value, !value.isEmpty else {
            throw CNIError(.invalidEnvironment,
                           "required environment variable CNI_COMMAND missing: set it to one of "
                               + Command.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let command = Command(rawValue: value) else {
            throw CNIError(.invalidEnvironment,
                           "unknown CNI_COMMAND \"\(value)\": use one of "
                               + Command.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return command
    }

    /// A container ID: an ASCII letter or digit, then letters, digits, `_`, `.` or `-` (as libcni).
    static func validateContainerID(_ id: String) throws(CNIError) {
        guard isIdentifier(id) else {
            throw CNIError(.invalidEnvironment,
                           "CNI_CONTAINERID \"\(id)\" has invalid characters: "
                               + "use letters, digits, '_', '.' or '-', starting with a letter or digit")
        }
    }

    /// True for `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`, the libcni rule for container IDs and network names.
    static func isIdentifier(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Checks a Linux interface name: 1-15 bytes, not `.` or `..`, no `/`, `:` or whitespace.
    /// The error names `source`, the variable or config key the name came from.
    public static func validateInterfaceName(
        _ name: String, naming source: String, code: CNIError.Code = .invalidEnvironment
    ) throws(CNIError) {
        let bytes = Array(name.utf8)
        let problem: String? =
            if bytes.isEmpty { "is empty" }
            else if bytes.count > 15 { "is longer than 15 bytes" }
            else if name == "." || name == ".." { "may not be \".\" or \"..\"" }
            else if bytes.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 == 0x7f }) {
                "may not contain '/', ':' or whitespace"
            } else { nil }
        if let problem {
            throw CNIError(code, "\(source) \"\(name)\" \(problem): use a valid Linux interface name")
        }
    }
}
