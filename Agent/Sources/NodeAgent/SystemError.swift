#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: what was being done, on which path, and the errno's text.
public struct SystemError: Error, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32

    public init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        "\(operation) \(Log.quoted(path)): \(String(cString: strerror(code)))"
    }
}

/// A problem with the agent's own input (a flag, a kubeconfig, a policy file): the message says what to fix.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
