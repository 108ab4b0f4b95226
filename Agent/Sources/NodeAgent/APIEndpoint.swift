#if canImport(Glibc)
import Glibc
#endif

/// Where the Kubernetes API is and how to prove who we are: from a kubeconfig or the pod's service
/// account. A bearer token named by a file is read again on every request, so rotated (bound
/// service account) tokens keep working.
public struct APIEndpoint: Sendable {
    public enum Token: Sendable {
        case literal(String)
        case file(String)
    }

    /// `https://host:port` with an optional path prefix, no trailing slash.
    public var server: String
    /// PEM; nil trusts nothing but the client's default roots.
    public var certificateAuthority: [UInt8]?
    public var token: Token?
    /// PEM certificate chain and private key.
    public var clientCertificate: (certificate: [UInt8], key: [UInt8])?

    public init(server: String, certificateAuthority: [UInt8]?, token: Token?,
                clientCertificate: (certificate: [UInt8], key: [UInt8])?) throws {
        guard server.hasPrefix("https://") else {
            throw ConfigurationError("the API server \(AgentLog.quoted(server)) is not an https:// URL")
        }
        var trimmed = server
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.server = trimmed
        self.certificateAuthority = certificateAuthority
        self.token = token
        self.clientCertificate = clientCertificate
    }

    /// The value of the Authorization header for the next request, if any.
    func authorization() throws -> String? {
        switch token {
        case nil: return nil
        case .literal(let value): return "Bearer " + value
        case .file(let path):
            let bytes = try Directory.readFile(path, limit: 1 << 16)
            let value = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
            guard !value.isEmpty else { throw ConfigurationError("the token file \(AgentLog.quoted(path)) is empty") }
            return "Bearer " + value
        }
    }

    /// The pod's service account, as every in-cluster client finds it.
    public static func inCluster(serviceAccount directory: String,
                                 environment: [String: String]) throws -> APIEndpoint {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw ConfigurationError("not in a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT unset): give --kubeconfig")
        }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return try APIEndpoint(
            server: "https://" + authority,
            certificateAuthority: try Directory.readFile(directory + "/ca.crt", limit: 1 << 20),
            token: .file(directory + "/token"),
            clientCertificate: nil)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
