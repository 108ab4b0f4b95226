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
/// also allows, per family, only what the pod's addresses justify (see `ipRules`); a family the result
/// has no address of is dropped whole (IPv4 with ARP; IPv6 with ND).
public enum SpoofCheck {
    public static let table = NftTable(.bridge, "swiftcni")
    public static let baseChain = "prerouting"
    public static let portsMap = "ports"

    /// One pod port and what it may send.
    public struct Port: Sendable {
        public var hostVeth: String
        public var mac: MACAddress
        /// With `ipspoofchk`: the only IPv4 sources (IP and ARP sender) allowed.
        public var ipv4: [[UInt8]]
        /// With `ipspoofchk`: the only IPv6 sources and ND targets allowed besides link-local (fe80::/64)
        /// and, for DAD, the unspecified address. Both lists empty = MAC check only.
        public var ipv6: [[UInt8]]
        /// Who the rules belong to, for comments: "containerID/ifname" (cut to nftables' 127 bytes).
        public var owner: String

        /// Whether IP sources are checked: the pod has at least one address of either family.
        public var checksIP: Bool { !ipv4.isEmpty || !ipv6.isEmpty }

        public init(hostVeth: String, mac: MACAddress, ipv4: [[UInt8]] = [], ipv6: [[UInt8]] = [], owner: String) {
            self.hostVeth = hostVeth
            self.mac = mac
            self.ipv4 = ipv4
            self.ipv6 = ipv6
            self.owner = String(owner.utf8.prefix(120)) ?? owner
        }
    }

    public static func chainName(_ hostVeth: String) -> String { "cni-spoof-\(hostVeth)" }

    /// Installs the port's rules in one transaction, creating the table and base chain if needed.
    public static func install(_ port: Port, on socket: borrowing NftSocket) throws {
        var batch = NftBatch()
        ensureBase(&batch)
        addPort(&batch, port)
        try withLock { try socket.commit(batch) }
    }

    /// Removes the port's rules; the table goes with the last port. Rules already gone are fine.
    public static func remove(hostVeth: String, on socket: borrowing NftSocket) throws {
        try withLock {
            guard try socket.tableExists(table) else { return }
            var batch = NftBatch()
            removePort(&batch, hostVeth: hostVeth)
            try socket.commit(batch)
            if try socket.elements(ofSet: portsMap, in: table).isEmpty {
                var drop = NftBatch()
                drop.deleteTable(table, ifExists: true)
                try socket.commit(drop)
            }
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

    /// The port's chain (replacing its rules) and its map element.
    public static func addPort(_ batch: inout NftBatch, _ port: Port, counter: Bool = false) {
        let chain = chainName(port.hostVeth)
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

    static func rules(_ port: Port, counter: Bool) -> [NftRule] {
        guard port.checksIP else {
            return [NftRule([.etherSource(port.mac)], verdict: .return, comment: "pod MAC"),
                    NftRule(counter: counter, verdict: .drop, comment: "spoofed")]
        }
        return [NftRule([.etherSource(port.mac, .notEqual)], counter: counter, verdict: .drop, comment: "spoofed MAC"),
                NftRule([.arpSenderHardware(port.mac, .notEqual)], counter: counter, verdict: .drop, comment: "spoofed ARP MAC")]
            + ipv4Rules(port, counter: counter) + ipv6Rules(port, counter: counter)
    }

    /// IPv4 and ARP from the pod's IPv4 addresses return; any other IPv4 or ARP is dropped (all of it
    /// when the pod has no IPv4 address). The drops match `meta protocol`, which also sees a frame
    /// whose VLAN tag the kernel holds outside it.
    private static func ipv4Rules(_ port: Port, counter: Bool) -> [NftRule] {
        var rules: [NftRule] = []
        for address in port.ipv4 {
            rules.append(NftRule([.arpSenderIPv4(address)], verdict: .return, comment: "pod ARP"))
            rules.append(NftRule([.ipv4Source(address)], verdict: .return, comment: "pod IPv4"))
        }
        let what = port.ipv4.isEmpty ? "no IPv4 in the pod's result" : "spoofed"
        rules.append(NftRule([.metaProtocol(0x0806)], counter: counter, verdict: .drop, comment: "ARP: \(what)"))
        rules.append(NftRule([.metaProtocol(0x0800)], counter: counter, verdict: .drop, comment: "IPv4: \(what)"))
        return rules
    }

    /// Link-local: the pod's kernel (or a VM's) makes its own, EUI-64 or stable-privacy, so any is allowed.
    static let linkLocal = IPNetwork(address: IPAddress(bytes: [0xfe, 0x80] + [UInt8](repeating: 0, count: 14))!, prefixLength: 64)!

    /// IPv6 and Neighbor Discovery, in this order (the first rule that decides wins):
    /// 1. the pod's own or a link-local source, not ICMPv6: return (the fast path of data traffic);
    /// 2. Router Advertisement and Redirect: drop (a pod is never the router);
    /// 3. NS or NA longer than 32 bytes (more than one option): drop, so the first option is the only one;
    /// 4. NS/NA whose first option is a source/target link-layer address other than the pod MAC: drop;
    /// 5. NA: return when its target and its source are each the pod's or link-local, else drop;
    /// 6. from `::` (DAD): NS for the pod's or a link-local target and other ICMPv6 (MLD) return, an NS
    ///    for another target (DAD against someone else's address) is dropped;
    /// 7. the pod's own or a link-local source: return; 8. any other IPv6: drop.
    /// Without IPv6 addresses in the result all IPv6 is dropped, link-local and ND included.
    private static func ipv6Rules(_ port: Port, counter: Bool) -> [NftRule] {
        guard !port.ipv6.isEmpty else {
            return [NftRule([.metaProtocol(0x86dd)], counter: counter, verdict: .drop, comment: "IPv6: no IPv6 in the pod's result")]
        }
        let (icmpv6, routerAdvert, ns, na, redirect): (UInt8, UInt8, UInt8, UInt8, UInt8) = (58, 134, 135, 136, 137)
        let sources = port.ipv6.map { NftMatch.ipv6Source($0) } + [.source(in: linkLocal)]
        let targets = port.ipv6.map { NftMatch.ndTarget($0) } + [.ndTarget(in: linkLocal)]
        let unspecified = NftMatch.ipv6Source([UInt8](repeating: 0, count: 16))
        var rules = sources.map { NftRule([$0, .metaL4proto(icmpv6, .notEqual)], verdict: .return, comment: "pod IPv6") }
        rules.append(NftRule([.icmpv6Type(routerAdvert)], counter: counter, verdict: .drop, comment: "router advertisement from a pod"))
        rules.append(NftRule([.icmpv6Type(redirect)], counter: counter, verdict: .drop, comment: "redirect from a pod"))
        for type in [ns, na] {
            rules.append(NftRule([.icmpv6Type(type), .ipv6PayloadLength(greaterThan: 32)], counter: counter, verdict: .drop,
                                 comment: "ND with more than one option"))
        }
        rules.append(NftRule([.icmpv6Type(ns), .ndFirstOption(type: 1), .ndFirstOptionLinkLayer(port.mac, .notEqual)],
                             counter: counter, verdict: .drop, comment: "spoofed ND source link-layer address"))
        rules.append(NftRule([.icmpv6Type(na), .ndFirstOption(type: 2), .ndFirstOptionLinkLayer(port.mac, .notEqual)],
                             counter: counter, verdict: .drop, comment: "spoofed ND target link-layer address"))
        for target in targets {
            for source in sources {
                rules.append(NftRule([.icmpv6Type(na), target, source], verdict: .return, comment: "pod NA"))
            }
        }
        rules.append(NftRule([.icmpv6Type(na)], counter: counter, verdict: .drop, comment: "spoofed NA"))
        for target in targets {
            rules.append(NftRule([unspecified, .icmpv6Type(ns), target], verdict: .return, comment: "pod DAD"))
        }
        rules.append(NftRule([unspecified, .icmpv6Type(ns)], counter: counter, verdict: .drop, comment: "DAD for a foreign address"))
        rules.append(NftRule([unspecified, .metaL4proto(icmpv6)], verdict: .return, comment: "ICMPv6 from ::"))
        rules += sources.map { NftRule([$0], verdict: .return, comment: "pod IPv6") }
        rules.append(NftRule([.metaProtocol(0x86dd)], counter: counter, verdict: .drop, comment: "IPv6: spoofed"))
        return rules
    }

    /// Spoof-check changes of every plugin on the node are serialized, so removing the table after the
    /// last port can never race with another pod's install.
    private static func withLock<R>(_ body: () throws -> R) throws -> R {
        try FileLock.holding("\(NodeBridge.lockDirectory)/nft-\(table.name).lock", body)
    }
}
