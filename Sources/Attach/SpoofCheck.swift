import CNIKit
import Netlink

/// MAC (and, with `ipspoofchk`, IPv4/ARP/IPv6/ND) spoof check of pod ports on a Linux bridge, in
/// nftables through netlink: no `nft` binary on the node.
///
/// Shape: table `bridge swiftcni`; base chain `prerouting` (filter, priority -300, before the bridge
/// learns a source MAC) whose one rule is `iifname vmap @ports`; one map element per pod port jumping
/// to the port's own chain `cni-spoof-<host veth>`. A frame costs one hash lookup whatever the number
/// of pods, and adding or removing a pod is one transaction that touches only that pod's objects.
///
/// With the pod's own addresses (`ipspoofchk` and an IPAM result with at least one address) the chain
/// allows only what the pod's addresses justify and drops everything else (see `SpoofCheckRules.swift`),
/// and two sets per bridge, `ipv4-of-<bridge>` and `ipv6-of-<bridge>`, hold the addresses of the node on
/// that bridge, which no pod may claim (see `SpoofCheckNodeAddresses.swift`).
public enum SpoofCheck {
    public static let table = NftTable(.bridge, "swiftcni")
    public static let baseChain = "prerouting"
    public static let portsMap = "ports"

    /// Which IPv6 link-local addresses a pod with IPv6 may use as its source and claim in NAs (`ipspoofchkLinkLocal`).
    public enum LinkLocal: String, Sendable, CaseIterable {
        /// Only the one made from its MAC (modified EUI-64), as OVN-Kubernetes' port security allows: the default.
        case macDerived = "eui64"
        /// Any `fe80::/64` address but the node's and those made from another MAC: for guests with
        /// stable-privacy (RFC 7217) or random link-local addresses.
        case any

        public static let key = "ipspoofchkLinkLocal"

        /// The config value (absent: `eui64`); anything else is a config error naming the key.
        public init(config value: String?) throws(CNIError) {
            guard let value else { self = .macDerived; return }
            guard let choice = LinkLocal(rawValue: value) else {
                throw CNIError(.invalidConfig, "\(Self.key): \"\(value)\" is not a choice: \"eui64\" (the default: only the link-local address made from the pod's MAC) or \"any\" (any fe80::/64 address but the node's and those made from another MAC, for guests with stable-privacy addresses)")
            }
            self = choice
        }
    }

    /// One pod port and what it may send.
    public struct Port: Sendable {
        public var hostVeth: String
        public var mac: MACAddress
        /// The bridge the port is on: its addresses (and its VLAN gateways') are the node's, never a pod's.
        public var bridge: String
        /// With `ipspoofchk`: the only IPv4 sources (IP and ARP sender) allowed.
        public var ipv4: [[UInt8]]
        /// With `ipspoofchk`: the only IPv6 sources and ND targets allowed besides the link-local ones
        /// `linkLocal` allows and, for DAD, the unspecified address. Both lists empty = MAC check only.
        public var ipv6: [[UInt8]]
        public var linkLocal: LinkLocal
        /// Who the rules belong to, for comments: "containerID/ifname" (cut to nftables' 127 bytes).
        public var owner: String

        /// Whether IP sources are checked: the pod has at least one address of either family.
        public var checksIP: Bool { !ipv4.isEmpty || !ipv6.isEmpty }

        public init(hostVeth: String, mac: MACAddress, bridge: String, ipv4: [[UInt8]] = [], ipv6: [[UInt8]] = [],
                    linkLocal: LinkLocal = .macDerived, owner: String) {
            self.hostVeth = hostVeth
            self.mac = mac
            self.bridge = bridge
            self.ipv4 = ipv4
            self.ipv6 = ipv6
            self.linkLocal = linkLocal
            self.owner = String(owner.utf8.prefix(120)) ?? owner
        }
    }

    public static func chainName(_ hostVeth: String) -> String { "cni-spoof-\(hostVeth)" }

    /// Installs the port's rules in one transaction, creating the table and base chain if needed. With IP
    /// checks, under the bridge's lock, the same transaction refreshes the bridge's node-address sets from
    /// the bridge, `nodeInterfaces` (its VLAN gateway) and the interfaces the sets already name.
    public static func install(_ port: Port, nodeInterfaces: [String] = [], on socket: borrowing NftSocket) throws {
        guard port.checksIP else {
            var batch = NftBatch()
            ensureBase(&batch)
            addPort(&batch, port)
            return try withLock { try socket.commit(batch) }
        }
        try NodeBridge.withLock(port.bridge) { try installChecksIP(port, nodeInterfaces: nodeInterfaces, socket) }
    }

    /// Under the bridge's lock.
    private static func installChecksIP(_ port: Port, nodeInterfaces: [String], _ socket: borrowing NftSocket) throws {
        let node = try RouteSocket()
        var batch = NftBatch()
        ensureBase(&batch)
        try refreshNodeAddresses(&batch, bridge: port.bridge, interfaces: nodeInterfaces, nft: socket, node: node)
        addPort(&batch, port)
        try withLock { try socket.commit(batch) }
    }

    /// Removes the port's rules; the table goes with the last port. Rules already gone are fine. With the
    /// port's `bridge`, its node-address sets (if there) are refreshed, under the bridge's lock.
    public static func remove(hostVeth: String, bridge: String?, on socket: borrowing NftSocket) throws {
        guard let bridge else { return try removeLocked(hostVeth: hostVeth, bridge: nil, socket) }
        try NodeBridge.withLock(bridge) { try removeLocked(hostVeth: hostVeth, bridge: bridge, socket) }
    }

    /// The same, for a caller that already holds the lock of `bridge`.
    public static func remove(hostVeth: String, holdingLockOf bridge: String, on socket: borrowing NftSocket) throws {
        try removeLocked(hostVeth: hostVeth, bridge: bridge, socket)
    }

    /// Under the bridge's lock when there is a bridge; takes the nftables lock.
    private static func removeLocked(hostVeth: String, bridge: String?, _ socket: borrowing NftSocket) throws {
        try withLock { try removeUnderLocks(hostVeth: hostVeth, bridge: bridge, socket) }
    }

    private static func removeUnderLocks(hostVeth: String, bridge: String?, _ socket: borrowing NftSocket) throws {
        guard try socket.tableExists(table) else { return }
        var batch = NftBatch()
        removePort(&batch, hostVeth: hostVeth)
        try socket.commit(batch)
        if try socket.elements(ofSet: portsMap, in: table).isEmpty {
            var drop = NftBatch()
            drop.deleteTable(table, ifExists: true)
            try socket.commit(drop)
        } else if let bridge {
            try refreshNodeAddressesIfPresent(bridge: bridge, nft: socket, node: try RouteSocket())
        }
    }

    /// Whether the port's chain and its map element are in place (for CHECK).
    public static func isInstalled(hostVeth: String, on socket: borrowing NftSocket) throws -> Bool {
        guard try socket.tableExists(table), try socket.chainExists(chainName(hostVeth), in: table) else { return false }
        return try socket.elements(ofSet: portsMap, in: table).contains { $0.key == .ifname(hostVeth) }
    }

    /// Table, base chain, map and the dispatch rule; repeating it leaves one dispatch rule.
    public static func ensureBase(_ batch: inout NftBatch) {
        batch.addTable(table, comment: "swift-cni")
        batch.addChain(baseChain, in: table,
                       base: NftBaseChain(hook: .prerouting, priority: -300, type: .filter, policy: .accept),
                       comment: "MAC spoof check of pod ports")
        batch.addSet(NftSet(name: portsMap, keyType: .ifname, isVerdictMap: true, comment: "pod port -> its chain"), in: table)
        batch.flushChain(baseChain, in: table)
        batch.addRule(NftRule.verdictMap(.iifname, map: portsMap), toChain: baseChain, in: table)
    }

    /// The port's chain (replacing its rules) and its map element; with IP checks, its bridge's
    /// node-address sets if missing (their elements are `setNodeAddresses`'s).
    public static func addPort(_ batch: inout NftBatch, _ port: Port, counter: Bool = false) {
        let chain = chainName(port.hostVeth)
        if port.checksIP { addNodeAddressSets(&batch, bridge: port.bridge) }
        batch.addChain(chain, in: table, comment: "pod \(port.owner)")
        batch.flushChain(chain, in: table)
        for rule in rules(port, counter: counter) { batch.addRule(rule, toChain: chain, in: table) }
        batch.addElements([NftElement(.ifname(port.hostVeth), verdict: .jump(chain), comment: port.owner)],
                          toSet: portsMap, in: table)
    }

    /// Element first (it references the chain), then the chain.
    public static func removePort(_ batch: inout NftBatch, hostVeth: String) {
        batch.deleteElements([.ifname(hostVeth)], fromSet: portsMap, in: table, ifExists: true)
        batch.deleteChain(chainName(hostVeth), in: table, ifExists: true)
    }

    /// Spoof-check changes of every plugin on the node are serialized, so removing the table after the
    /// last port can never race with another pod's install. Taken after a bridge's lock, never before.
    private static func withLock<R>(_ body: () throws -> R) throws -> R {
        try FileLock.holding("\(NodeBridge.lockDirectory)/nft-\(table.name).lock", body)
    }
}
