import CNIKit

/// The layer2-overlay config: one NAD, identical on every node.
struct OverlayConfig: Decodable {
    /// Required: the virtual network identifier, 1 ... 2^24-1.
    var vni: Int?
    /// Underlay IPs of all nodes; this node's own addresses are skipped.
    var peers: [String]?
    /// One IP per line (`#` comments), read on every ADD and CHECK and merged with `peers`.
    var peersFile: String?
    var port: Int?
    /// 0 or absent: the underlay MTU minus the Geneve overhead.
    var mtu: Int?
    var bridge: String?
    var macspoofchk: Bool?
    var ipspoofchk: Bool?
    /// Ours: which IPv6 link-local addresses `ipspoofchk` allows, "eui64" (default) or "any".
    var ipspoofchkLinkLocal: String?
    var enabledad: Bool?
    var dataDir: String?
    var runtimeConfig: RuntimeMAC?
    var args: ArgsWithMAC?

    static let defaultPort = 6081
    static let defaultDataDir = "/var/lib/cni/swift-cni/layer2-overlay"
}
