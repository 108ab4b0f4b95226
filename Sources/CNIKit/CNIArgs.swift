/// `CNI_ARGS`: `KEY=VALUE` pairs separated by `;` (for example `IgnoreUnknown=1;MAC=0a:58:0a:00:00:05`).
public struct CNIArgs: Equatable, Sendable {
    /// The pairs by key; for a key given twice the last value wins.
    public private(set) var values: [String: String]
    /// `IgnoreUnknown=1` (or `true`): keys the plugin does not know are not an error.
    public var ignoreUnknown: Bool

    /// No arguments.
    public init() {
        values = [:]
        ignoreUnknown = false
    }

    /// Parses the variable's value. Empty segments (as in a trailing `;`) are skipped;
    /// a segment without `=` or with an empty key is an invalid-environment error (code 4).
    public static func parse(_ text: String) throws(CNIError) -> CNIArgs {
        var args = CNIArgs()
        for pair in text.split(separator: ";") {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw CNIError(.invalidEnvironment,
                               "CNI_ARGS has the invalid pair \"\(pair)\": write KEY=VALUE pairs separated by ';'")
            }
            args.values[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        if let ignore = args.values["IgnoreUnknown"] {
            args.ignoreUnknown = try parseBool(ignore)
        }
        return args
    }

    /// The value of `key`, if given.
    public subscript(key: String) -> String? {
        values[key]
    }

    /// Fails (code 4) on a key outside `known` unless `IgnoreUnknown` is set.
    /// `IgnoreUnknown` itself is always known.
    public func rejectUnknown(known: Set<String>) throws(CNIError) {
        guard !ignoreUnknown else { return }
        let unknown = values.keys.filter { $0 != "IgnoreUnknown" && !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw CNIError(.invalidEnvironment,
                           "CNI_ARGS has unknown keys \(unknown.joined(separator: ", ")): "
                               + "remove them or add IgnoreUnknown=1")
        }
    }

    private static func parseBool(_ text: String) throws(CNIError) -> Bool {
        switch text.lowercased() {
        case "1", "true": return true
        case "0", "false": return false
        default:
            throw CNIError(.invalidEnvironment,
                           "CNI_ARGS IgnoreUnknown must be 1, true, 0 or false, not \"\(text)\"")
        }
    }
}
