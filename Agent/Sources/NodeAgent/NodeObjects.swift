/// The parts of the API's objects the agent reads (core/v1 Node, NodeList, Status, watch events).
struct ObjectMeta: Decodable {
    let name: String?
    let resourceVersion: String?
}

struct ListMeta: Decodable {
    let resourceVersion: String?
    let `continue`: String?
}

struct Node: Decodable {
    struct Address: Decodable {
        let type: String
        let address: String
    }
    struct Status: Decodable { let addresses: [Address]? }

    let metadata: ObjectMeta
    let status: Status?

    /// The node's first InternalIP (a dual-stack node lists one per family; the first is its primary).
    var internalIP: String? { status?.addresses?.first { $0.type == "InternalIP" }?.address }
}

struct NodeList: Decodable {
    let metadata: ListMeta
    let items: [Node]
}

/// meta/v1 Status: what the API says when it refuses (also the object of a watch ERROR event).
struct APIStatus: Decodable {
    let code: Int?
    let reason: String?
    let message: String?
}

/// One line of a watch stream: `{"type": "ADDED", "object": {...}}`.
enum WatchEvent: Decodable {
    case added(Node), modified(Node), deleted(Node), bookmark(resourceVersion: String?)
    case error(APIStatus)
    case unknown(type: String)

    enum CodingKeys: String, CodingKey { case type, object }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": self = .added(try container.decode(Node.self, forKey: .object))
        case "MODIFIED": self = .modified(try container.decode(Node.self, forKey: .object))
        case "DELETED": self = .deleted(try container.decode(Node.self, forKey: .object))
        case "BOOKMARK":
            self = .bookmark(resourceVersion: try container.decode(Node.self, forKey: .object).metadata.resourceVersion)
        case "ERROR": self = .error(try container.decode(APIStatus.self, forKey: .object))
        default: self = .unknown(type: type)
        }
    }
}
