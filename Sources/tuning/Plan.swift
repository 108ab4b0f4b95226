import Attach
import CNIKit
import Netlink

/// What tuning will set on the pod's interface and namespace: the config with every override applied
/// and every value validated, so a bad value fails before anything is touched.
struct TuningPlan {
    var mac: MACAddress?
    var mtu: UInt32?
    /// As in the reference plugin, only `true` does something: `false` leaves the interface as it is.
    var promiscuous: Bool
    var allMulticast: Bool?
    var txQueueLength: UInt32?
    /// Sorted by path, so the order of writes is the same on every run.
    var sysctls: [(key: SysctlKey, value: String)]
    var dataDir: PolicyDirectory

    var linkChange: LinkChange {
        LinkChange(mac: mac, mtu: mtu, txQueueLength: txQueueLength,
                   promiscuous: promiscuous ? true : nil, allMulticast: allMulticast)
    }

    /// Precedence as in the reference: config < CNI_ARGS `MAC=` < `runtimeConfig.mac` < `args.cni`.
    init(_ config: TuningConfig, environment: Environment, policy: NodePolicy, allowlist: SysctlAllowlist?) throws(CNIError) {
        let overrides = config.args?.cni
        let base = config.settings
        mac = try MACChoice.choose([
            .init("mac", base.mac),
            .init("CNI_ARGS MAC", environment.args["MAC"]),
            .init("runtimeConfig.mac", config.runtimeConfig?.mac),
            .init("args.cni.mac", overrides?.mac),
        ])
        mtu = try TuningPlan.mtu(overrides?.mtu.map { ("args.cni.mtu", $0) } ?? base.mtu.map { ("mtu", $0) })
        promiscuous = overrides?.promisc ?? base.promisc ?? false
        allMulticast = overrides?.allmulti ?? base.allmulti
        txQueueLength = try TuningPlan.txQueueLength(
            overrides?.txQLen.map { ("args.cni.txQLen", $0) } ?? base.txQLen.map { ("txQLen", $0) })
        let merged = (base.sysctl ?? [:]).merging(overrides?.sysctl ?? [:]) { _, override in override }
        sysctls = try TuningPlan.sysctls(merged, ifname: environment.ifname, allowlist: allowlist)
        dataDir = try config.backupDirectory(policy: policy)
    }

    /// 0 means "leave the MTU alone", as in the reference.
    private static func mtu(_ value: (field: String, mtu: Int)?) throws(CNIError) -> UInt32? {
        guard let value, value.mtu != 0 else { return nil }
        guard (68...65535).contains(value.mtu) else {
            throw CNIError(.invalidConfig, "\(value.field): \(value.mtu) is not a usable MTU (68 to 65535; 0 leaves the MTU as it is)")
        }
        return UInt32(value.mtu)
    }

    private static func txQueueLength(_ value: (field: String, length: Int)?) throws(CNIError) -> UInt32? {
        guard let value else { return nil }
        guard value.length >= 0, value.length <= Int(UInt32.max) else {
            throw CNIError(.invalidConfig, "\(value.field): \(value.length) is not a transmit queue length (0 to \(UInt32.max))")
        }
        return UInt32(value.length)
    }

    private static func sysctls(_ entries: [String: String], ifname: String,
                                allowlist: SysctlAllowlist?) throws(CNIError) -> [(key: SysctlKey, value: String)] {
        var result: [(key: SysctlKey, value: String)] = []
        for (name, value) in entries {
            let key: SysctlKey
            do {
                key = try SysctlKey(name, ifname: ifname)
            } catch {
                throw CNIError(.invalidConfig, "sysctl: key \"\(name)\" refused: \(error.reason)")
            }
            if let allowlist, !allowlist.allows(name) {
                throw CNIError(.invalidConfig,
                               "sysctl: key \"\(name)\" is not in the node's allowlist \(allowlist.path); ask the node admin to add a pattern for it")
            }
            result.append((key, value))
        }
        return result.sorted { $0.key.path < $1.key.path }
    }
}
