#if canImport(Glibc)
import Glibc
#endif

/// An error of the agent's own whose description is a whole message, escaped where it quotes input.
public protocol AgentError: Error, CustomStringConvertible {}

/// A failed system call: what was being done, on which path, and the errno's text.
public struct SystemError: AgentError {
    public let operation: String
    public let path: String
    public let code: Int32

    public init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        "\(operation) \(AgentLog.quoted(path)): \(String(cString: strerror(code)))"
    }
}

/// A problem with the agent's own input (a flag, a kubeconfig, a policy file): the message says what to fix.
public struct ConfigurationError: AgentError {
    public let description: String
    public init(_ description: String) { self.description = description }
}
