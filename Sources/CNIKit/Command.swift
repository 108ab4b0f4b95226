/// The operation a runtime asks of a plugin, from `CNI_COMMAND`.
public enum Command: String, CaseIterable, Sendable {
    case add = "ADD"
    case del = "DEL"
    case check = "CHECK"
    case version = "VERSION"
    case status = "STATUS"
    case gc = "GC"

    /// The environment variables the spec requires for this command.
    public var requiredVariables: [String] {
        switch self {
        case .add, .check: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"]
        case .del: ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"]
        case .version: []
        case .status, .gc: ["CNI_PATH"]
        }
    }

    /// The first spec version that defines this command.
    public var minimumVersion: String {
        switch self {
        case .add, .del, .version: "0.1.0"
        case .check: "0.4.0"
        case .status, .gc: "1.1.0"
        }
    }
}
