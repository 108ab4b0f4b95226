import CNIKit
import Netlink

/// MAC (and optional IPv4/ARP) spoof check of pod ports on a Linux bridge, in nftables through
/// netlink: no `nft` binary on the node.
///
/// Shape: table `bridge swiftcni`; base chain `prerouting` (filter, priority -300, before the bridge
/// learns a source MAC) whose one rule is `iifname vmap @ports`; one map element per pod port jumping
/// to the port's own chain `cni-spoof-<host veth>`. A frame costs one hash lookup whatever the number
/// of pods, and adding or removing a pod is one transaction that touches only that pod's objects.
public enum SpoofCheck {
    public static let table = NftTable(.bridge, "swiftcni")
    public static let baseChain = "prerouting"
    public static let portsMap = "ports"

    /// One pod port and what it may send.
    public struct Port: Sendable {
        public var hostVeth: String
        public var mac: MACAddress
        /// With `ipspoofchk`: the only IPv4 sources (IP and ARP) allowed; empty = MAC check only.
        public var ipv4: [[UInt8]]
        /// Who the rules belong to, for comments: "containerID/ifname" (cut to nftables' 127 bytes).
        public var owner: String

        public init(hostVeth: String, mac: MACAddress, ipv4: [[UInt8]] = [], owner: String) {
            self.hostVeth = hostVeth
            self.mac = mac
            self.ipv4 = ipv4
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

    private static func rules(_ port: Port, counter: Bool) -> [NftRule] {
        guard !port.ipv4.isEmpty else {
            return [NftRule([.etherSource(port.mac)], verdict: .return, comment: "pod MAC"),
                    NftRule(counter: counter, verdict: .drop, comment: "spoofed")]
        }
        var rules = [NftRule([.etherSource(port.mac, .notEqual)], counter: counter, verdict: .drop, comment: "spoofed MAC"),
                     NftRule([.arpSenderHardware(port.mac, .notEqual)], counter: counter, verdict: .drop, comment: "spoofed ARP MAC")]
        for address in port.ipv4 {
            rules.append(NftRule([.arpSenderIPv4(address)], verdict: .return, comment: "pod ARP"))
            rules.append(NftRule([.ipv4Source(address)], verdict: .return, comment: "pod IPv4"))
        }
        rules.append(NftRule([.etherType(0x0806)], counter: counter, verdict: .drop, comment: "spoofed ARP IP"))
        rules.append(NftRule([.metaProtocol(0x0800)], counter: counter, verdict: .drop, comment: "spoofed IPv4"))
        return rules
    }

    /// Spoof-check changes of every plugin on the node are serialized, so removing the table after the
    /// last port can never race with another pod's install.
    private static func withLock<R>(_ body: () throws -> R) throws -> R {
        try FileLock.holding("\(NodeBridge.lockDirectory)/nft-\(table.name).lock", body)
    }
}
