/// An error as the CNI spec puts it on stdout: `{cniVersion, code, msg, details}`.
/// The message names the offending field, variable, interface or netns, and what to do.
public struct CNIError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Code
    public var msg: String
    public var details: String

    public init(_ code: Code, _ msg: String, details: String = "") {
        self.code = code
        self.msg = msg
        self.details = details
    }

    /// Message and details escaped (`Escape.text`): values from input never reach a log or event raw.
    public var description: String {
        let text = details.isEmpty ? msg : "\(msg): \(details)"
        return "\(Escape.text(text)) (CNI code \(code.rawValue))"
    }

    /// The spec's well-known error codes (1-99 are reserved by the spec).
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let incompatibleVersion = Code(rawValue: 1)
        public static let unsupportedField = Code(rawValue: 2)
        public static let unknownContainer = Code(rawValue: 3)
        public static let invalidEnvironment = Code(rawValue: 4)
        public static let ioFailure = Code(rawValue: 5)
        public static let decodeFailure = Code(rawValue: 6)
        public static let invalidConfig = Code(rawValue: 7)
        public static let tryAgainLater = Code(rawValue: 11)
        public static let pluginNotAvailable = Code(rawValue: 50)
        public static let limitedConnectivity = Code(rawValue: 51)
    }
}
