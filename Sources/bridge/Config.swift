import CNIKit

/// The bridge config as admins write it today: every key of the reference plugin, same names,
/// types and defaults, plus our `ipspoofchk` and `dataDir`.
struct BridgeConfig: Decodable {
    var bridge: String?
    var isGateway: Bool?
    var isDefaultGateway: Bool?
    var forceAddress: Bool?
    var ipMasq: Bool?
    var ipMasqBackend: String?
    var mtu: Int?
    var hairpinMode: Bool?
    var promiscMode: Bool?
    var vlan: Int?
    var vlanTrunk: [VLANTrunk]?
    var preserveDefaultVlan: Bool?
    var macspoofchk: Bool?
    var ipspoofchk: Bool?
    /// Ours: which IPv6 link-local addresses `ipspoofchk` allows, "eui64" (default) or "any".
    var ipspoofchkLinkLocal: String?
    var enabledad: Bool?
    var disableContainerInterface: Bool?
    var portIsolation: Bool?
    /// Where attachment records for DEL and GC live (ours; default `/var/lib/cni/swift-cni/bridge`).
    var dataDir: String?
    var runtimeConfig: RuntimeMAC?
    var args: ArgsWithMAC?

    struct VLANTrunk: Decodable {
        var id: Int?
        var minID: Int?
        var maxID: Int?
    }

    static let defaultBridge = "cni0"
    static let defaultDataDir = "/var/lib/cni/swift-cni/bridge"
}
