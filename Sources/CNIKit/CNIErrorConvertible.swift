/// An error a plugin can turn into a spec error itself (for example a netlink error).
/// `PluginMain` uses it for any thrown error that is not already a `CNIError`.
public protocol CNIErrorConvertible: Error {
    /// The spec error to print for this error.
    var cniError: CNIError { get }
}

extension CNIError {
    /// Converts any thrown error: a `CNIError` as is, a `CNIErrorConvertible` through its
    /// conversion, anything else as an I/O failure (code 5) carrying its description.
    public init(converting error: any Error) {
        switch error {
        case let error as CNIError: self = error
        case let error as any CNIErrorConvertible: self = error.cniError
        default: self.init(.ioFailure, String(describing: error))
        }
    }

    /// The error as the spec prints it on stdout; `details` is left out when empty. Message and details
    /// are escaped (`Escape.text`): a runtime turns them into events and log lines as they are.
    public func json(cniVersion: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "cniVersion": .string(cniVersion), "code": .number(Double(code.rawValue)), "msg": .string(Escape.text(msg)),
        ]
        if !details.isEmpty { object["details"] = .string(Escape.text(details)) }
        return .object(object)
    }
}
