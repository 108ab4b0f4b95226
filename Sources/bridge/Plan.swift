import Attach
import CNIKit
import Netlink

/// What ADD will build, with every value validated before anything is created.
struct BridgePlan {
    var bridge: String
    var isGateway: Bool
    var isDefaultGateway: Bool
    var forceAddress: Bool
    var ipMasq: Bool
    var mtu: UInt32?
    var hairpin: Bool
    var promiscuous: Bool
    var macSpoofCheck: Bool
    var ipSpoofCheck: Bool
    var linkLocal: SpoofCheck.LinkLocal
    var enableDAD: Bool
    var disableContainerInterface: Bool
    var portIsolation: Bool
    /// L2 only when false (`ipam` absent or `{}`).
    var hasIPAM: Bool
    var mac: MACAddress?
    var records: RecordStore<BridgedPod.Record>
    /// `vlan`, `vlanTrunk`, `preserveDefaultVlan`.
    var vlans: PortVLANs
    /// With `isGateway` and an access VLAN, the gateway lives on `<bridge>.<vlan>`, as the reference names it.
    var vlanGateway: String?
    /// Where the gateway addresses go: the VLAN gateway interface, or the bridge itself.
    var gatewayDevice: String { vlanGateway ?? bridge }
    /// The mark of the bridge and VLAN gateway this network creates.
    var owner: OwnerMark

    init(_ config: BridgeConfig, conf: NetConf, environment: Environment, policy: NodePolicy) throws(CNIError) {
        bridge = config.bridge.flatMap { $0.isEmpty ? nil : $0 } ?? BridgeConfig.defaultBridge
        try Environment.validateInterfaceName(bridge, naming: "bridge", code: .invalidConfig)
        try policy.allowBridge(bridge, key: "bridge")
        owner = OwnerMark(plugin: "bridge", network: conf.name)
        isDefaultGateway = config.isDefaultGateway ?? false
        isGateway = (config.isGateway ?? false) || isDefaultGateway
        forceAddress = config.forceAddress ?? false
        ipMasq = config.ipMasq ?? false
        hairpin = config.hairpinMode ?? false
        promiscuous = config.promiscMode ?? false
        macSpoofCheck = config.macspoofchk ?? false
        ipSpoofCheck = config.ipspoofchk ?? false
        linkLocal = try SpoofCheck.LinkLocal(config: config.ipspoofchkLinkLocal)
        enableDAD = config.enabledad ?? false
        disableContainerInterface = config.disableContainerInterface ?? false
        portIsolation = config.portIsolation ?? false
        hasIPAM = conf.ipam != nil
        records = try config.records(network: conf.name, policy: policy)
        mtu = try BridgePlan.mtu(config.mtu)
        vlans = try PortVLANs(config)
        if isGateway, hasIPAM, let access = vlans.access {
            let name = "\(bridge).\(access)"
            try Environment.validateInterfaceName(name, naming: "bridge and vlan: the VLAN gateway interface", code: .invalidConfig)
            vlanGateway = name
        }
        // Reference precedence: CNI_ARGS MAC= < args.cni.mac < runtimeConfig.mac.
        mac = try MACChoice.choose([
            .init("CNI_ARGS MAC", environment.args["MAC"]),
            .init("args.cni.mac", config.args?.cni?.mac),
            .init("runtimeConfig.mac", config.runtimeConfig?.mac),
        ])
        try BridgePlan.refuseConflicts(config, plan: self)
    }

    private static func mtu(_ value: Int?) throws(CNIError) -> UInt32? {
        guard let value, value != 0 else { return nil }
        guard (68...65535).contains(value) else {
            throw CNIError(.invalidConfig, "mtu: \(value) is not a usable MTU (68 to 65535; 0 or absent keeps the kernel's default)")
        }
        return UInt32(value)
    }

    private static func refuseConflicts(_ config: BridgeConfig, plan: BridgePlan) throws(CNIError) {
        if plan.hairpin && plan.promiscuous {
            throw CNIError(.invalidConfig, "hairpinMode and promiscMode: cannot set both; the bridge would send every frame back to its sender")
        }
        if plan.disableContainerInterface && plan.hasIPAM {
            throw CNIError(.invalidConfig, "disableContainerInterface: an interface left down cannot take the addresses IPAM gives; remove ipam or this key")
        }
        // Masquerade is always done with nftables through netlink; "iptables" is accepted for existing
        // configs (the rules are equivalent) so they keep working on nodes without the iptables binary.
        if let backend = config.ipMasqBackend, !["", "nftables", "iptables"].contains(backend) {
            throw CNIError(.invalidConfig, "ipMasqBackend: \"\(backend)\" is not a backend (nftables or iptables)")
        }
    }
}

extension BridgeConfig {
    /// Where the attachment records of `network` live: under `dataDir`, or the default when unset or empty;
    /// either inside the node policy's state directories.
    func records(network: String, policy: NodePolicy) throws(CNIError) -> RecordStore<BridgedPod.Record> {
        try RecordStore(dataDir: dataDir, default: BridgeConfig.defaultDataDir, network: network, policy: policy)
    }
}
