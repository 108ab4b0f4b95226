import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// What a request to the API ended with, when it did not succeed.
enum APIError: AgentError {
    /// 410 Gone: the resourceVersion is older than the API keeps; list again.
    case gone(String)
    /// Any other refusal (401, 403, 5xx, ...), with the server's message.
    case status(UInt, String)
    /// The reply was not what the API sends.
    case undecodable(String)

    var description: String {
        switch self {
        case .gone(let message): return "410 Gone: \(AgentLog.escaped(message))"
        case .status(let code, let message): return "HTTP \(code)\(code == 401 ? " (token or client certificate refused)" : code == 403 ? " (forbidden: RBAC must allow get, list, watch on nodes)" : ""): \(AgentLog.escaped(message))"
        case .undecodable(let what): return "undecodable reply: \(what)"
        }
    }
}

/// The Node list and watch of core/v1, over one HTTP client (HTTP/2 or HTTP/1.1 over TLS).
final class NodeAPI: Sendable {
    private let client: HTTPClient
    private let endpoint: APIEndpoint
    private let labelSelector: String?

    /// A watch lasts `timeoutSeconds` at most on the server's side; the client waits a minute longer
    /// for bytes before it takes the connection for dead.
    static let longestWatch = 600

    init(endpoint: APIEndpoint, labelSelector: String?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        // How long closing a connection waits for the server's close_notify (default 5 s): SIGTERM
        // should end the agent well within a pod's grace period.
        tls.shutdownTimeout = .seconds(1)
        if let ca = endpoint.certificateAuthority {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            } catch {
                throw ConfigurationError("the certificate authority is not PEM certificates")
            }
        }
        if let pair = endpoint.clientCertificate {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(pair.certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: pair.key, format: .pem))
            } catch {
                throw ConfigurationError("the client certificate or key is not PEM")
            }
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(Int64(NodeAPI.longestWatch + 60))))
        configuration.httpVersion = .automatic
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.endpoint = endpoint
        self.labelSelector = labelSelector
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// One page of the Node list (the server may cut it shorter than `limit` and give a continue token).
    func list(continue token: String?, limit: Int = 500) async throws -> NodeList {
        var query = [("limit", String(limit))]
        if let token { query.append(("continue", token)) }
        let response = try await send(query: query, deadline: .now() + .seconds(30))
        let body = try await response.body.collect(upTo: 256 << 20)
        do {
            return try JSONDecoder().decode(NodeList.self, from: Data(body.readableBytesView))
        } catch {
            throw APIError.undecodable("the Node list is not a NodeList")
        }
    }

    /// Opens a watch from `resourceVersion`; the body is the stream of events, one JSON object a line.
    func watch(from resourceVersion: String, timeoutSeconds: Int) async throws -> HTTPClientResponse.Body {
        let query = [("watch", "1"), ("resourceVersion", resourceVersion), ("allowWatchBookmarks", "true"),
                     ("timeoutSeconds", String(timeoutSeconds))]
        return try await send(query: query, deadline: .now() + .seconds(30)).body
    }

    /// The response when its status is 200; otherwise the API's Status message as an `APIError`.
    private func send(query: [(String, String)], deadline: NIODeadline) async throws -> HTTPClientResponse {
        var items = query
        if let labelSelector { items.append(("labelSelector", labelSelector)) }
        var request = HTTPClientRequest(url: endpoint.server + "/api/v1/nodes?" + NodeAPI.encode(items))
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "swift-cni-node")
        if let authorization = try endpoint.authorization() {
            request.headers.add(name: "Authorization", value: authorization)
        }
        let response = try await client.execute(request, deadline: deadline)
        guard response.status == .ok else {
            let body = try? await response.body.collect(upTo: 64 << 10)
            let status = body.flatMap { try? JSONDecoder().decode(APIStatus.self, from: Data($0.readableBytesView)) }
            let message = status?.message ?? response.status.reasonPhrase
            if response.status.code == 410 { throw APIError.gone(message) }
            throw APIError.status(response.status.code, message)
        }
        return response
    }

    private static func encode(_ items: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return items.map { name, value in
            name + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
    }
}
