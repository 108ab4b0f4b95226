import NetworkTypes

/// What the node admin lets a NetworkAttachmentDefinition reach. A NAD is written by a namespace user and
/// run as root, so every path, NIC, bridge, port or peer it names is checked against this before use.
///
/// Read from one admin-owned file (`NodePolicy.load`); nothing in a config, `CNI_ARGS`, `runtimeConfig` or
/// `prevResult` changes where it is read from or what it says. Without the file every value is the safe
/// default documented on its property.
public struct NodePolicy: Equatable, Sendable {
    /// Where a NAD's `dataDir` may point: a directory at or under one of these. Default: the plugins' own
    /// defaults live under them (`/run/cni/tuning`, `/var/lib/cni/swift-cni/<plugin>`).
    public var stateDirectories: [String]
    /// Where a NAD's `logFile` (a file name, never a path) is created. Default none: logs go to stderr.
    public var logDirectory: String?
    /// Where layer2-overlay looks up a `peersFile` name; the node agent writes `nodes` there.
    public var peersDirectory: String
    /// The bridges a `bridge` NAD may name; nil (the default) allows any, as the reference plugin does.
    public var bridges: [NamePattern]?
    /// The node NICs a macvtap NAD may name as `master`; nil (the default) allows a NIC only when the node
    /// does not use it (see the macvtap plugin's master check).
    public var macvtapMasters: [NamePattern]?
    public var overlay: Overlay
    /// Which pod namespaces (`K8S_POD_NAMESPACE`, set by Multus) may attach to a network, by network
    /// name. A network not listed is open to every namespace.
    public var networks: [String: NetworkRule]

    public struct Overlay: Equatable, Sendable {
        /// The UDP ports a layer2-overlay NAD may bind on the node. Default: Geneve's 6081 only.
        public var ports: [UInt16]
        /// The most peers one network may list (each costs a Geneve device). Default 4096.
        public var maxPeers: Int
        /// When set, every peer must be inside one of these networks.
        public var underlay: [IPNetwork]?
        /// When set, a network's `vni` must be inside one of these ranges.
        public var vnis: [ClosedRange<UInt32>]?
        /// host-local and other node-local IPAM on a network with peers hand out the same address on
        /// several nodes of one segment: refused unless this is true. Default false.
        public var nodeLocalIPAM: Bool

        public static let defaultPorts: [UInt16] = [6081]
        public static let defaultMaxPeers = 4096

        public init(ports: [UInt16] = defaultPorts, maxPeers: Int = defaultMaxPeers, underlay: [IPNetwork]? = nil,
                    vnis: [ClosedRange<UInt32>]? = nil, nodeLocalIPAM: Bool = false) {
            self.ports = ports
            self.maxPeers = maxPeers
            self.underlay = underlay
            self.vnis = vnis
            self.nodeLocalIPAM = nodeLocalIPAM
        }
    }

    public struct NetworkRule: Equatable, Sendable {
        public var namespaces: [String]
        public init(namespaces: [String]) { self.namespaces = namespaces }
    }

    public static let defaultStateDirectories = ["/run/cni", "/var/lib/cni"]
    public static let defaultPeersDirectory = "/etc/cni/swift-cni/peers"

    public init(stateDirectories: [String] = defaultStateDirectories, logDirectory: String? = nil,
                peersDirectory: String = defaultPeersDirectory, bridges: [NamePattern]? = nil,
                macvtapMasters: [NamePattern]? = nil, overlay: Overlay = Overlay(),
                networks: [String: NetworkRule] = [:]) {
        self.stateDirectories = stateDirectories
        self.logDirectory = logDirectory
        self.peersDirectory = peersDirectory
        self.bridges = bridges
        self.macvtapMasters = macvtapMasters
        self.overlay = overlay
        self.networks = networks
    }

    /// The directory for a config's `key` (`dataDir`): `configured` when set, else `fallback` (the plugin's
    /// default). Either must be an absolute path without `.` or `..` at or under a `stateDirectories` entry;
    /// otherwise code 7 naming the key, before anything is created.
    public func stateDirectory(_ configured: String?, key: String, default fallback: String) throws(CNIError) -> PolicyDirectory {
        let path = configured.flatMap { $0.isEmpty ? nil : $0 } ?? fallback
        let shown = configured.flatMap { $0.isEmpty ? nil : $0 } == nil ? "\(key) (default \(fallback))" : key
        guard let components = PolicyDirectory.components(of: path) else {
            throw CNIError(.invalidConfig, "\(shown) \"\(path)\" must be an absolute path without empty, \".\" or \"..\" components")
        }
        for root in stateDirectories {
            let rootComponents = PolicyDirectory.components(of: root) ?? []
            guard components.starts(with: rootComponents) else { continue }
            return PolicyDirectory(root: root, below: Array(components.dropFirst(rootComponents.count)))
        }
        throw CNIError(.invalidConfig, "\(shown) \"\(path)\" is outside the directories the node policy allows for state "
            + "(\(stateDirectories.joined(separator: ", "))): leave it unset or use a directory under them; the node admin sets stateDirectories in \(NodePolicy.defaultPath)")
    }

    /// Fails (code 7) unless the pod's namespace may attach to `network` (ADD and CHECK).
    public func admit(network: String, podNamespace: String?) throws(CNIError) {
        guard let rule = networks[network] else { return }
        guard let podNamespace, rule.namespaces.contains(podNamespace) else {
            let who = podNamespace.map { "pod namespace \"\($0)\"" } ?? "a pod without K8S_POD_NAMESPACE in CNI_ARGS"
            throw CNIError(.invalidConfig, "name: network \"\(network)\" is open only to the namespaces the node policy lists "
                + "(networks.\(network).namespaces), and \(who) is not one of them; ask the node admin")
        }
    }

    /// Fails (code 7) unless a `bridge` NAD may use the bridge `name` (the `bridges` list, when set).
    public func allowBridge(_ name: String, key: String) throws(CNIError) {
        guard let bridges, !bridges.contains(where: { $0.matches(name) }) else { return }
        throw CNIError(.invalidConfig, "\(key): \"\(name)\" is not one of the bridges the node policy allows "
            + "(bridges: \(bridges.map(\.description).joined(separator: ", "))); use one of them or ask the node admin")
    }
}

/// An interface name as the admin lists it: exact, or a prefix ending in `*` (`ens2f*`).
public struct NamePattern: Equatable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ text: String) { description = text }

    public func matches(_ name: String) -> Bool {
        description.hasSuffix("*") ? name.hasPrefix(description.dropLast()) : name == description
    }
}
