import Attach
import CNIKit
import Netlink

/// What ADD will do, with every value validated before anything is created.
struct MacvtapPlan {
    /// Where the macvtap comes from.
    enum Source: Equatable {
        /// A macvtap the device plugin made for `deviceID`: found under one of `NodeName.devicePluginCandidates`.
        case devicePlugin(deviceID: String)
        /// One this plugin creates on the node NIC `master`.
        case standalone(master: String)
    }

    var source: Source
    /// Always set in the standalone flow (default bridge); in the device-plugin flow only when the config
    /// names it (the device plugin chose the mode), and then only CHECK looks at it.
    var mode: MacvtapMode?
    var mtu: UInt32?
    var promiscuous: Bool
    var owner: UInt32
    var group: UInt32
    var mac: MACAddress?
    var records: RecordStore<AttachmentRecord>

    init(_ config: MacvtapConfig, network: String, environment: Environment, policy: NodePolicy) throws(CNIError) {
        if let deviceID = config.device {
            source = .devicePlugin(deviceID: deviceID)
        } else {
            guard let master = config.master, !master.isEmpty else {
                throw CNIError(.invalidConfig, "master: required when there is no deviceID; name the node NIC to create the macvtap on (or deploy the macvtap device plugin, which passes deviceID)")
            }
            try Environment.validateInterfaceName(master, naming: "master", code: .invalidConfig)
            source = .standalone(master: master)
        }
        mode = try MacvtapPlan.mode(config.mode, standalone: config.device == nil)
        mtu = try MacvtapPlan.mtu(config.mtu)
        promiscuous = config.promiscMode ?? false
        owner = try MacvtapPlan.id(config.owner, naming: "owner")
        group = try MacvtapPlan.id(config.group, naming: "group")
        records = try config.records(network: network, policy: policy)
        // Lowest first: config mac < CNI_ARGS MAC= < args.cni.mac < runtimeConfig.mac.
        mac = try MACChoice.choose([
            .init("mac", config.mac),
            .init("CNI_ARGS MAC", environment.args["MAC"]),
            .init("args.cni.mac", config.args?.cni?.mac),
            .init("runtimeConfig.mac", config.runtimeConfig?.mac),
        ])
    }

    private static func mode(_ text: String?, standalone: Bool) throws(CNIError) -> MacvtapMode? {
        guard let text, !text.isEmpty else { return standalone ? .bridge : nil }
        guard let mode = MacvtapMode(name: text), mode != .source else {
            throw CNIError(.invalidConfig, "mode: \"\(text)\" is not a macvtap mode (bridge, vepa, private or passthru)")
        }
        return mode
    }

    private static func mtu(_ value: Int?) throws(CNIError) -> UInt32? {
        guard let value, value != 0 else { return nil }
        guard (68...65535).contains(value) else {
            throw CNIError(.invalidConfig, "mtu: \(value) is not a usable MTU (68 to 65535; 0 or absent keeps the macvtap's)")
        }
        return UInt32(value)
    }

    private static func id(_ value: Int?, naming field: String) throws(CNIError) -> UInt32 {
        let value = value ?? MacvtapConfig.defaultOwner
        guard (0..<Int(UInt32.max)).contains(value) else {
            throw CNIError(.invalidConfig, "\(field): \(value) is not a user or group id (0 to 4294967294; default 107, KubeVirt's qemu)")
        }
        return UInt32(value)
    }
}

extension MacvtapConfig {
    /// Where the attachment records of `network` live: under `dataDir`, or the default when unset or empty;
    /// either inside the node policy's state directories.
    func records(network: String, policy: NodePolicy) throws(CNIError) -> RecordStore<AttachmentRecord> {
        try RecordStore(dataDir: dataDir, default: MacvtapConfig.defaultDataDir, network: network, policy: policy)
    }
}
