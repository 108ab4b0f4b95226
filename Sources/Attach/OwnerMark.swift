import CNIKit
import Netlink

/// Who made a node object that pods share (a bridge, a tunnel, a VLAN gateway), kept in the link's
/// alias (IFLA_IFALIAS, `ip -d link show` prints it): `swift-cni plugin=layer2-overlay network=l2net
/// vni=4242`. ADD, CHECK, DEL, GC and reconcile change or delete only objects whose mark says they are
/// theirs. Only root can set an alias, so a NAD cannot forge one; a node admin can (`ip link set dev X
/// alias "..."`), to hand an object to a network.
public struct OwnerMark: Equatable, Sendable, CustomStringConvertible {
    public var plugin: String
    /// The network's name, or `#` + a hash of it when the name would not fit in an alias (255 bytes).
    public var network: String
    /// layer2-overlay: the network's VNI, so a second network claiming it on the node is found.
    public var vni: UInt32?

    static let prefix = "swift-cni"

    public init(plugin: String, network: String, vni: UInt32? = nil) {
        self.plugin = plugin
        self.network = network.utf8.count <= 160 ? network : "#" + DerivedName.make(prefix: "", key: network)
        self.vni = vni
    }

    /// Parses an alias; nil for one that is not a swift-cni mark (an admin's own alias, or none).
    public init?(alias: String?) {
        guard let alias else { return nil }
        let words = alias.split(separator: " ")
        guard words.first == Self.prefix[...] else { return nil }
        var fields: [Substring: Substring] = [:]
        for word in words.dropFirst() {
            guard let equals = word.firstIndex(of: "=") else { return nil }
            fields[word[..<equals]] = word[word.index(after: equals)...]
        }
        guard let plugin = fields["plugin"], let network = fields["network"] else { return nil }
        self.plugin = String(plugin)
        self.network = String(network)
        if let vni = fields["vni"] {
            guard let value = UInt32(vni) else { return nil }
            self.vni = value
        }
    }

    /// The alias text.
    public var description: String {
        "\(Self.prefix) plugin=\(plugin) network=\(network)" + (vni.map { " vni=\($0)" } ?? "")
    }

    /// The mark of `link`, if it carries one.
    public static func of(_ link: Link) -> OwnerMark? { OwnerMark(alias: link.alias) }

    /// How a message names the owner of `link`: "network l2net (layer2-overlay)" or "no swift-cni network".
    public static func owner(of link: Link) -> String {
        guard let mark = of(link) else { return link.alias == nil ? "nobody (not made by swift-cni)" : "nobody swift-cni knows (alias \"\(link.alias ?? "")\")" }
        return "network \(mark.network) (\(mark.plugin))"
    }
}
