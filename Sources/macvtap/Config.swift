import CNIKit

/// The macvtap config: every key of kubevirt/macvtap-cni (`deviceID`, `mtu`, `promiscMode`, `owner`,
/// `group`), plus our standalone keys (`master`, `mode`), a config `mac` and `dataDir`.
struct MacvtapConfig: Decodable {
    /// The device plugin's device: Multus puts it here from the pod's resource.
    var deviceID: String?
    /// Standalone: the node NIC to create the macvtap on.
    var master: String?
    /// Standalone: `bridge` (default), `vepa`, `private` or `passthru`.
    var mode: String?
    var mtu: Int?
    var promiscMode: Bool?
    /// Owner and group of `/dev/tap<ifindex>`: KubeVirt's qemu user (107) unless set.
    var owner: Int?
    var group: Int?
    var mac: String?
    /// Where attachment records for DEL and GC live (ours; default `/var/lib/cni/swift-cni/macvtap`).
    var dataDir: String?
    var runtimeConfig: RuntimeConfig?
    var args: ArgsWithMAC?

    struct RuntimeConfig: Decodable {
        var mac: String?
        var deviceID: String?
    }

    static let defaultDataDir = "/var/lib/cni/swift-cni/macvtap"
    /// KubeVirt's qemu user and group.
    static let defaultOwner = 107

    /// The device plugin's device, from the top level or `runtimeConfig.deviceID`; nil when neither is set.
    var device: String? {
        [deviceID, runtimeConfig?.deviceID].compactMap { $0 }.first { !$0.isEmpty }
    }
}
