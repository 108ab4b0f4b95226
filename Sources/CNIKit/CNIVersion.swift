/// The CNI spec versions and comparisons between them.
public enum CNIVersion {
    /// Every spec version CNIKit can speak, oldest first.
    public static let all = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

    /// The newest spec version CNIKit implements.
    public static let latest = "1.1.0"

    /// The version libcni assumes when a config has no `cniVersion`.
    public static let implied = "0.1.0"

    /// Parses `major.minor.patch`, each one to 18 ASCII digits; nil for anything else.
    public static func parse(_ version: String) -> (major: Int, minor: Int, patch: Int)? {
        let parts = version.utf8.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard (1...18).contains(part.count), part.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                return nil
            }
            numbers.append(part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
        }
        return (numbers[0], numbers[1], numbers[2])
    }

    /// True when `version` is `minimum` or newer; false when either does not parse.
    public static func isAtLeast(_ version: String, _ minimum: String) -> Bool {
        guard let v = parse(version), let m = parse(minimum) else { return false }
        return (v.major, v.minor, v.patch) >= (m.major, m.minor, m.patch)
    }

    /// True for the legacy 0.1.0/0.2.0 result shape (`ip4`/`ip6`).
    static func isLegacy(_ version: String) -> Bool {
        !isAtLeast(version, "0.3.0")
    }
}
