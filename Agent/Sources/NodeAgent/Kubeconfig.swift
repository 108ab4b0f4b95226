import Foundation
import Yams

/// A kubeconfig file (YAML or JSON): its current context's cluster and user become an `APIEndpoint`.
/// Relative file names are relative to the kubeconfig's directory, as kubectl reads them.
/// Credential plugins (`exec`, `auth-provider`) are not run: give a token or a client certificate.
public enum Kubeconfig {
    struct Named<Value: Decodable>: Decodable {
        let name: String
        let value: Value
        enum CodingKeys: String, CodingKey { case name, cluster, context, user }
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            let key = [CodingKeys.cluster, .context, .user].first { container.contains($0) } ?? .cluster
            value = try container.decode(Value.self, forKey: key)
        }
    }

    struct Cluster: Decodable {
        let server: String
        let certificateAuthority: String?
        let certificateAuthorityData: String?
        let insecureSkipTLSVerify: Bool?
        enum CodingKeys: String, CodingKey {
            case server, certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }

    struct Context: Decodable {
        let cluster: String
        let user: String?
    }

    /// Decodes any value: only whether the key is there matters.
    struct Present: Decodable { init(from decoder: Decoder) throws {} }

    struct User: Decodable {
        let token: String?
        let tokenFile: String?
        let clientCertificate: String?
        let clientCertificateData: String?
        let clientKey: String?
        let clientKeyData: String?
        let exec: Present?
        let authProvider: Present?
        enum CodingKeys: String, CodingKey {
            case token, tokenFile, exec, authProvider = "auth-provider"
            case clientCertificate = "client-certificate", clientCertificateData = "client-certificate-data"
            case clientKey = "client-key", clientKeyData = "client-key-data"
        }
    }

    struct File: Decodable {
        let currentContext: String?
        let clusters: [Named<Cluster>]?
        let contexts: [Named<Context>]?
        let users: [Named<User>]?
        enum CodingKeys: String, CodingKey { case currentContext = "current-context", clusters, contexts, users }
    }

    public static func endpoint(path: String) throws -> APIEndpoint {
        let text = String(decoding: try Directory.readFile(path, limit: 4 << 20), as: UTF8.self)
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: text)
        } catch {
            throw ConfigurationError("the kubeconfig \(AgentLog.quoted(path)) is not a kubeconfig (clusters, contexts, users, current-context)")
        }
        let base = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        func resolve(_ name: String) -> String { name.hasPrefix("/") ? name : base + "/" + name }
        func problem(_ what: String) -> ConfigurationError { ConfigurationError("kubeconfig \(AgentLog.quoted(path)): \(what)") }

        guard let contextName = file.currentContext, !contextName.isEmpty else { throw problem("no current-context") }
        guard let context = file.contexts?.first(where: { $0.name == contextName })?.value else {
            throw problem("no context named \(AgentLog.quoted(contextName))")
        }
        guard let cluster = file.clusters?.first(where: { $0.name == context.cluster })?.value else {
            throw problem("no cluster named \(AgentLog.quoted(context.cluster))")
        }
        if cluster.insecureSkipTLSVerify == true {
            throw problem("insecure-skip-tls-verify is not supported: give certificate-authority or certificate-authority-data")
        }
        let user = try context.user.map { name in
            guard let user = file.users?.first(where: { $0.name == name })?.value else {
                throw problem("no user named \(AgentLog.quoted(name))")
            }
            return user
        }
        if user?.exec != nil || user?.authProvider != nil {
            throw problem("credential plugins (exec, auth-provider) are not run: give token, tokenFile or client-certificate and client-key")
        }

        func material(data: String?, file name: String?, key: String) throws -> [UInt8]? {
            if let data {
                guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                    throw problem("\(key)-data is not base64")
                }
                return Array(decoded)
            }
            return try name.map { try Directory.readFile(resolve($0), limit: 1 << 20) }
        }
        let certificate = try material(data: user?.clientCertificateData, file: user?.clientCertificate, key: "client-certificate")
        let key = try material(data: user?.clientKeyData, file: user?.clientKey, key: "client-key")
        guard (certificate == nil) == (key == nil) else { throw problem("client-certificate and client-key go together") }

        let token: APIEndpoint.Token? = user?.token.map { .literal($0) } ?? user?.tokenFile.map { .file(resolve($0)) }
        return try APIEndpoint(
            server: cluster.server,
            certificateAuthority: try material(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
                                               key: "certificate-authority"),
            token: token,
            clientCertificate: certificate.map { ($0, key!) })
    }
}
