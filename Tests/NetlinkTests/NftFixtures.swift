import Foundation
import Attach
import Netlink
import Testing
import TestSupport

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

/// The bridge plugin's spoof-check table: the tests build their rulesets in it, with `SpoofCheck`'s shape.
let spoofTable = SpoofCheck.table
