import CNIKit
internal import Glibc
import Netlink

/// IP masquerade of pod traffic leaving the node (the bridge plugin's `ipMasq: true`), in nftables through
/// netlink: no `nft` or `iptables` binary on the node.
///
/// Shape: ONE table `inet swiftcni-nat` (nat in the inet family is in every kernel since 5.2, so one table,
/// one base chain and one lock serve IPv4 and IPv6 alike). Its base chain `postrouting` (nat, priority
/// srcnat 100, policy accept) holds two rules, `ip saddr vmap @pods` and `ip6 saddr vmap @pods6`. Each pod
/// address is one map element jumping to its attachment's chain `cni-masq-<id>`:
///
///     ip daddr 10.77.0.0/24 accept       # the pod's own subnet: not masqueraded
///     ip daddr 224.0.0.0/4 accept        # multicast (IPv6: ff00::/8)
///     masquerade
///
/// which is the reference plugin's per-attachment `CNI-<hash>` chain without its linear list of
/// `-s <podIP> -j CNI-<hash>` jumps: a new connection costs one hash lookup whatever the number of pods,
/// and installing or removing a pod is one transaction touching only that pod's objects (plus re-stating
/// the two base rules), so setup cost does not grow with the pod count.
public enum Masquerade {
    public static let table = NftTable(.inet, "swiftcni-nat")
    public static let baseChain = "postrouting"
    /// Pod IPv4 address -> its attachment's chain.
    public static let ipv4Map = "pods"
    /// Pod IPv6 address -> its attachment's chain.
    public static let ipv6Map = "pods6"
    /// Multicast destinations, never masqueraded (as in the reference plugin).
    public static let ipv4Multicast = IPNetwork("224.0.0.0/4")!
    public static let ipv6Multicast = IPNetwork("ff00::/8")!

    /// One pod attachment: its addresses with their prefixes (from IPAM) and who it belongs to.
    public struct Attachment: Sendable {
        /// Names the attachment's chain; unique per attachment on the node (the host veth name fits).
        public var id: String
        /// Each address with its prefix (`10.77.0.2/24`): the address is the map key, the prefix the
        /// subnet that stays unmasqueraded.
        public var addresses: [IPNetwork]
        /// Who the rules belong to, for comments: "containerID/ifname (network)" (cut to nftables' 127 bytes).
        public var owner: String

        public init(id: String, addresses: [IPNetwork], owner: String) {
            self.id = id
            self.addresses = addresses
            self.owner = String(owner.utf8.prefix(110)) ?? owner
        }
    }

    public static func chainName(_ id: String) -> String { "cni-masq-\(id)" }

    /// Installs the attachment's chain and map elements in one transaction, creating the table, base
    /// chain and maps if needed. Installing again is harmless (one of everything). An address that
    /// another attachment already holds fails the whole transaction (EEXIST): nothing changes.
    public static func install(_ attachment: Attachment, on socket: borrowing NftSocket) throws {
        guard !attachment.id.isEmpty, !attachment.addresses.isEmpty else {
            throw NetlinkError(operation: "install masquerade", object: "for \(attachment.owner)", errno: EINVAL,
                               reason: "an attachment needs an id and at least one address")
        }
        var batch = NftBatch()
        ensureBase(&batch)
        addAttachment(&batch, attachment)
        try withLock { try socket.commit(batch) }
    }

    /// Removes the attachment's map elements and chain; the table goes with the last attachment.
    /// Objects already gone are fine. Elements are found by the chain they jump to (one listing of the
    /// maps, which deciding on the table needs anyway): an address since given to another attachment is
    /// left alone, and a DEL that no longer knows the addresses (`[]`) still cleans up, so `addresses`
    /// is not needed to find anything; it is taken for symmetry with `install` and `isInstalled`.
    public static func remove(id: String, addresses: [IPNetwork] = [], on socket: borrowing NftSocket) throws {
        try withLock {
            guard try socket.tableExists(table) else { return }
            let chain = chainName(id)
            let target = NftVerdict.jump(chain)
            let v4 = try socket.elements(ofSet: ipv4Map, in: table)
            let v6 = try socket.elements(ofSet: ipv6Map, in: table)
            let mine4 = v4.filter { $0.verdict == target }.map(\.key)
            let mine6 = v6.filter { $0.verdict == target }.map(\.key)
            let others = try socket.chains(in: table).filter { $0.name != baseChain && $0.name != chain }
            var batch = NftBatch()
            if mine4.count == v4.count && mine6.count == v6.count && others.isEmpty {
                batch.deleteTable(table, ifExists: true)
            } else {
                if !mine4.isEmpty { batch.deleteElements(mine4, fromSet: ipv4Map, in: table, ifExists: true) }
                if !mine6.isEmpty { batch.deleteElements(mine6, fromSet: ipv6Map, in: table, ifExists: true) }
                batch.deleteChain(chain, in: table, ifExists: true)
            }
            try socket.commit(batch)
        }
    }

    /// Whether the attachment's chain is there and every one of its addresses jumps to it (for CHECK).
    public static func isInstalled(id: String, addresses: [IPNetwork], on socket: borrowing NftSocket) throws -> Bool {
        let chain = chainName(id)
        guard try socket.tableExists(table), try socket.chainExists(chain, in: table) else { return false }
        let v4 = addresses.filter { $0.family == .v4 }, v6 = addresses.filter { $0.family == .v6 }
        for (map, wanted) in [(ipv4Map, v4), (ipv6Map, v6)] where !wanted.isEmpty {
            let elements = try socket.elements(ofSet: map, in: table)
            for network in wanted where !elements.contains(where: { $0.key == key(network) && $0.verdict == .jump(chain) }) {
                return false
            }
        }
        return true
    }

    /// Table, base chain, both maps and the two dispatch rules; repeating it leaves one of each.
    public static func ensureBase(_ batch: inout NftBatch) {
        batch.addTable(table, comment: "swift-cni")
        batch.addChain(baseChain, in: table,
                       base: NftBaseChain(hook: .postrouting, priority: 100, type: .nat, policy: .accept),
                       comment: "masquerade of pod traffic")
        batch.addSet(NftSet(name: ipv4Map, keyType: .ipv4Address, isVerdictMap: true, comment: "pod address -> its chain"), in: table)
        batch.addSet(NftSet(name: ipv6Map, keyType: .ipv6Address, isVerdictMap: true, comment: "pod address -> its chain"), in: table)
        batch.flushChain(baseChain, in: table)
        batch.addRule(NftRule.verdictMap(.ipv4Source, map: ipv4Map), toChain: baseChain, in: table)
        batch.addRule(NftRule.verdictMap(.ipv6Source, map: ipv6Map), toChain: baseChain, in: table)
    }

    /// The attachment's chain (replacing its rules), then its map elements (they refer to the chain).
    public static func addAttachment(_ batch: inout NftBatch, _ attachment: Attachment) {
        let chain = chainName(attachment.id)
        batch.addChain(chain, in: table, comment: "pod \(attachment.owner)")
        batch.flushChain(chain, in: table)
        for rule in rules(attachment) { batch.addRule(rule, toChain: chain, in: table) }
        for (map, family) in [(ipv4Map, IPAddress.Family.v4), (ipv6Map, .v6)] {
            let elements = unique(attachment.addresses.filter { $0.family == family }.map(key))
                .map { NftElement($0, verdict: .jump(chain), comment: attachment.owner) }
            if !elements.isEmpty { batch.addElements(elements, toSet: map, in: table) }
        }
    }

    /// Per family present: accept the pod's subnets and multicast; then masquerade the rest.
    static func rules(_ attachment: Attachment) -> [NftRule] {
        var rules: [NftRule] = []
        for (family, multicast) in [(IPAddress.Family.v4, ipv4Multicast), (.v6, ipv6Multicast)] {
            let subnets = unique(attachment.addresses.filter { $0.family == family }.map(\.network))
            guard !subnets.isEmpty else { continue }
            rules += subnets.map { NftRule([.destination(in: $0)], verdict: .accept, comment: "pod subnet") }
            rules.append(NftRule([.destination(in: multicast)], verdict: .accept, comment: "multicast"))
        }
        rules.append(NftRule(statement: .masquerade, comment: attachment.owner))
        return rules
    }

    static func key(_ network: IPNetwork) -> NftValue {
        network.family == .v4 ? .ipv4(network.address.bytes) : .ipv6(network.address.bytes)
    }

    private static func unique<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        return values.filter { seen.insert($0).inserted }
    }

    /// Masquerade changes of every plugin on the node are serialized, so removing the table after the
    /// last attachment can never race with another pod's install.
    private static func withLock<R>(_ body: () throws -> R) throws -> R {
        try FileLock.holding("\(NodeBridge.lockDirectory)/nft-\(table.name).lock", body)
    }
}
