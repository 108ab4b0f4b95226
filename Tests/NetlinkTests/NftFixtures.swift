import Foundation
import Netlink
import Testing

/// The ruleset of a throwaway namespace as `nft -j list ruleset` prints it: the objects under "nftables",
/// each a one-key dictionary ("table", "chain", "map", "rule", ...). Only reads state.
struct ListedRuleset {
    let objects: [[String: Any]]

    init(_ namespace: ThrowawayNamespace) throws {
        let text = try run("/usr/sbin/ip", "netns", "exec", namespace.name, "/usr/sbin/nft", "-j", "list", "ruleset")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        objects = try #require(root["nftables"] as? [[String: Any]])
    }

    /// Every object of one kind ("table", "chain", "map", "rule", "set").
    func all(_ kind: String) -> [[String: Any]] { objects.compactMap { $0[kind] as? [String: Any] } }

    func chain(_ name: String) -> [String: Any]? { all("chain").first { $0["name"] as? String == name } }
    func rules(in chain: String) -> [[String: Any]] { all("rule").filter { $0["chain"] as? String == chain } }

    /// A rule's expressions re-serialized as sorted-key JSON, for exact comparison with what nft would write.
    static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// `nft list ruleset` text of a namespace, for messages.
func nftText(_ namespace: ThrowawayNamespace) -> String {
    (try? run("/usr/sbin/ip", "netns", "exec", namespace.name, "/usr/sbin/nft", "list", "ruleset")) ?? "(nft failed)"
}

let spoofTable = NftTable(.bridge, "swiftcni")

/// The spoof-check shape the bridge plugin will use: one bridge table, one prerouting base chain whose single
/// rule looks the input port up in a verdict map, and one chain per pod port.
enum SpoofCheck {
    static let baseChain = "prerouting"
    static let portsMap = "ports"

    /// Table, base chain, map and dispatch rule; idempotent (the rule is re-added only with the chain flushed).
    static func ensureBase(_ batch: inout NftBatch) {
        batch.addTable(spoofTable, comment: "swift-cni")
        batch.addChain(baseChain, in: spoofTable,
                       base: NftBaseChain(hook: .prerouting, priority: -300, type: .filter, policy: .accept),
                       comment: "MAC spoof check of pod ports")
        batch.addSet(NftSet(name: portsMap, keyType: .ifname, isVerdictMap: true, comment: "pod port -> its chain"),
                     in: spoofTable)
        batch.flushChain(baseChain, in: spoofTable)
        batch.addRule(NftRule.verdictMap(.iifname, map: portsMap), toChain: baseChain, in: spoofTable)
    }

    static func chainName(_ port: String) -> String { "cni-spoof-\(port)" }

    /// The per-pod chain (only `mac` may send from `port`) and its map element.
    static func addPort(_ batch: inout NftBatch, port: String, mac: MACAddress, counter: Bool = false) {
        let chain = chainName(port)
        batch.addChain(chain, in: spoofTable, comment: "port \(port)")
        batch.flushChain(chain, in: spoofTable)
        batch.addRule(NftRule([.etherSource(mac)], verdict: .return, comment: "pod MAC"), toChain: chain, in: spoofTable)
        batch.addRule(NftRule(counter: counter, verdict: .drop, comment: "spoofed"), toChain: chain, in: spoofTable)
        batch.addElements([NftElement(.ifname(port), verdict: .jump(chain), comment: "pod port")],
                          toSet: portsMap, in: spoofTable)
    }

    /// Element first (it references the chain), then the chain.
    static func removePort(_ batch: inout NftBatch, port: String) {
        batch.deleteElements([.ifname(port)], fromSet: portsMap, in: spoofTable, ifExists: true)
        batch.deleteChain(chainName(port), in: spoofTable, ifExists: true)
    }
}
