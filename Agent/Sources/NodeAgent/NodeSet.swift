#if canImport(Glibc)
import Glibc
#endif

/// The cluster's nodes as the agent knows them: name → InternalIP, for nodes that have one.
struct NodeSet: Equatable {
    private(set) var addresses: [String: String] = [:]

    /// The peers file's lines: every distinct address, sorted.
    var peers: [String] { Array(Set(addresses.values)).sorted() }

    /// Records `node` as it is now; returns what changed, as a log line, or nil when nothing did.
    mutating func update(_ node: Node) -> String? {
        guard let name = node.metadata.name else { return nil }
        let old = addresses[name]
        let new = node.internalIP.flatMap(NodeSet.canonical)
        addresses[name] = new
        switch (old, new) {
        case (nil, nil):
            return node.internalIP == nil ? nil : "node \(AgentLog.quoted(name)) has no usable InternalIP (\(AgentLog.quoted(node.internalIP!))); skipped"
        case (nil, let new?): return "node added: \(AgentLog.quoted(name)) \(new)"
        case (let old?, nil): return "node \(AgentLog.quoted(name)) lost its InternalIP (was \(old))"
        case (let old?, let new?): return old == new ? nil : "node changed: \(AgentLog.quoted(name)) \(old) -> \(new)"
        }
    }

    mutating func remove(_ node: Node) -> String? {
        guard let name = node.metadata.name, let old = addresses.removeValue(forKey: name) else { return nil }
        return "node removed: \(AgentLog.quoted(name)) \(old)"
    }

    /// What differs between two sets, one log line per node, names sorted.
    static func changes(from old: NodeSet, to new: NodeSet) -> [String] {
        Set(old.addresses.keys).union(new.addresses.keys).sorted().compactMap { name in
            switch (old.addresses[name], new.addresses[name]) {
            case (nil, let ip?): return "node added: \(AgentLog.quoted(name)) \(ip)"
            case (let ip?, nil): return "node removed: \(AgentLog.quoted(name)) \(ip)"
            case (let a?, let b?) where a != b: return "node changed: \(AgentLog.quoted(name)) \(a) -> \(b)"
            default: return nil
            }
        }
    }

    /// The address in its canonical text (inet_ntop), or nil when it is not an IPv4 or IPv6 address.
    static func canonical(_ text: String) -> String? {
        for family in [AF_INET, AF_INET6] {
            var bytes = [UInt8](repeating: 0, count: 16)
            guard inet_pton(family, text, &bytes) == 1 else { continue }
            var out = [UInt8](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(family, bytes, &out, socklen_t(out.count)) != nil else { return nil }
            return String(decoding: out.prefix { $0 != 0 }, as: UTF8.self)
        }
        return nil
    }
}
