import Foundation
import Testing

/// Pods that die without a DEL, on networks that never get a GC (Multus sends GC only to the cluster
/// network, podman none): the next ADD on the network removes what they left — spoof-check and masquerade
/// chains, records, tuning's backups, host-local's allocations — and nothing of a pod that still runs,
/// nor of a record an older version wrote (no namespace in it: DEL and GC still remove it). A namespace
/// made again at the dead pod's path is another namespace (device and inode), so the dead pod's leftovers
/// go all the same. Ours only: the reference keeps them until a DEL.
extension BlackBox {
    @Suite(.enabled(if: ReliabilityKnobs.oursEnabled, "the sweep is ours"))
    struct LeftoverSweep {
        /// bridge (isGateway, ipMasq, macspoofchk, host-local) + tuning, one conflist.
        @Test func bridgeAndTuningADDRemoveWhatAGonePodLeft() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            let bridge: [String: Any] = ["type": "bridge", "bridge": "br-sweep", "isGateway": true, "ipMasq": true, "macspoofchk": true,
                                         "ipam": ["type": "host-local", "subnet": "10.250.30.0/24"]]
            let tuning: [String: Any] = ["type": "tuning", "sysctl": ["net.ipv4.conf.IFNAME.arp_filter": "1"]]
            try Fixtures.write(["cniVersion": "1.0.0", "name": "sweep", "plugins": [bridge, tuning]], as: "sweep.conflist", in: sandbox)
            let records = sandbox.dir.appendingPathComponent("bridge/sweep")
            let world = SweepWorld(sandbox: sandbox, cni: cni, network: "sweep", records: records, tuningBackups: true)
            try world.run(nodeBridge: "br-sweep") { pod in
                let reached = try Traffic.udpEcho(from: pod, to: "10.250.30.1", in: sandbox.node)
                #expect(reached, "the live pod still reaches its gateway")
            }
        }

        /// layer2-overlay on one node (no tunnel), macspoofchk and host-local.
        @Test func overlayADDRemovesWhatAGonePodLeft() throws {
            let cluster = try OverlayCluster(.ipv4, nodes: 1, peers: ["192.0.2.1"]) {
                $0["ipam"] = ["type": "host-local", "subnet": "10.250.31.0/24"]
            }
            let node = cluster.nodes[0]
            let world = SweepWorld(sandbox: node.sandbox, cni: node.cni, network: node.network, records: node.records, tuningBackups: false)
            try world.run(nodeBridge: nil) { _ in }
        }

        /// A standalone macvtap: the record of a pod gone goes (its macvtap went with its namespace).
        @Test func macvtapADDRemovesTheRecordOfAGonePod() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            let network = try MacvtapWorld.standalone(sandbox)
            let records = sandbox.dir.appendingPathComponent("macvtap").appendingPathComponent(network)
            let world = SweepWorld(sandbox: sandbox, cni: cni, network: network, records: records, tuningBackups: false)
            try world.run(nodeBridge: nil) { pod in
                let macvtaps = try MacvtapWorld.macvtaps(in: pod)
                #expect(macvtaps == [IfName.multus])
            }
            #expect(try MacvtapWorld.macvtaps(in: sandbox.node) == [])
        }
    }
}

/// One network, a pod that dies without DEL, one that lives, and what an ADD after that leaves.
struct SweepWorld {
    let sandbox: Sandbox
    let cni: CNI
    let network: String
    /// The plugin's record directory of the network.
    let records: URL
    /// Whether the network chains tuning (backups in the sandbox's tuning dir).
    let tuningBackups: Bool

    /// What an attachment may leave: files of records and backups, host-local's addresses, nftables rules.
    struct Traces: Equatable, CustomStringConvertible {
        var records: [String]
        var backups: [String]
        var allocations: [String]
        var rules: Int
        var description: String { "records \(records), backups \(backups), allocations \(allocations), \(rules) rules" }
    }

    func traces(of ids: [PodIdentity], hostVeths: [String]) throws -> Traces {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: records.path)) ?? []).filter { name in ids.contains { name.hasPrefix($0.containerID) } }
        let backups = tuningBackups
            ? ((try? FileManager.default.contentsOfDirectory(atPath: sandbox.tuningDir.path)) ?? []).filter { name in ids.contains { name.hasPrefix($0.containerID) } } : []
        let allocations = sandbox.hostLocalAllocations(network: network).filter { address in
            let owner = (try? String(contentsOf: sandbox.ipamDir.appendingPathComponent(network).appendingPathComponent(address), encoding: .utf8)) ?? ""
            return ids.contains { owner.hasPrefix($0.containerID) }
        }
        let rules = try Nft.rules(in: sandbox.node, mentioning: hostVeths + ids.map(\.containerID)).count
        return Traces(records: files.sorted(), backups: backups.sorted(), allocations: allocations, rules: rules)
    }

    /// ADD of a pod that will die and of one that lives; an older version's record planted; the first
    /// pod's namespace deleted (and made again at its path); then an ADD of a third pod, which must leave
    /// nothing of the first and everything of the others. `alive` checks the living pod still works.
    func run(nodeBridge: String?, alive: (String) throws -> Void) throws {
        let gone = try sandbox.pod("gone"), live = try sandbox.pod("live"), next = try sandbox.pod("next")
        let goneID = PodIdentity.random(), liveID = PodIdentity.random(), nextID = PodIdentity.random()
        let addGone = try cni.add(network: network, netns: gone, pod: goneID)
        try #require(addGone.succeeded, "\(addGone)")
        let addLive = try cni.add(network: network, netns: live, pod: liveID)
        try #require(addLive.succeeded, "\(addLive)")
        let goneVeths = BridgeResult(addGone).hostVeth.map { [$0] } ?? [], liveVeths = BridgeResult(addLive).hostVeth.map { [$0] } ?? []
        // An older version's record: no namespace in it (macvtap's always had its path, not always its identity).
        let old = PodIdentity.random()
        let oldRecord = records.appendingPathComponent("\(old.containerID)-\(IfName.multus).json")
        let namespace = nodeBridge == nil ? #","netns":"/var/run/netns/scni-gone-long-ago","devicePlugin":false,"nodeName":"mvt0ld""# : ""
        try Data((#"{"containerID":"\#(old.containerID)","ifname":"net1","bridge":"\#(nodeBridge ?? "-")","hostVeth":"veth0ld0000000","addresses":[]"#
            + namespace + "}").utf8).write(to: oldRecord)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: oldRecord.path)

        let before = try traces(of: [goneID], hostVeths: goneVeths)
        #expect(before.records.count == 1 && before.backups.count == (tuningBackups ? 1 : 0), "\(before)")
        let liveBefore = try traces(of: [liveID], hostVeths: liveVeths)

        try sandbox.deleteNamespace(gone)
        _ = try sandbox.pod("gone")  // another namespace at the same path
        #expect(try eventually { try goneVeths.allSatisfy { try NetState(netns: sandbox.node).link($0) == nil } },
                "the dead pod's veth goes with its namespace")
        let addNext = try cni.add(network: network, netns: next, pod: nextID)
        try #require(addNext.succeeded, "\(addNext)")

        let after = try traces(of: [goneID], hostVeths: goneVeths)
        #expect(after == Traces(records: [], backups: [], allocations: [], rules: 0), "nothing of the dead pod is left: \(after)")
        #expect(try traces(of: [liveID], hostVeths: liveVeths) == liveBefore, "the live pod keeps everything")
        #expect(FileManager.default.fileExists(atPath: oldRecord.path), "an older version's record (no namespace) is kept")
        let check = try cni.check(network: network, netns: live, pod: liveID)
        #expect(check.succeeded, "\(check)")
        try alive(live)

        // GC still removes the older record; DELs of the others leave the network as before.
        let gc = try cni.gc(network: network, attachments: [(liveID.containerID, IfName.multus), (nextID.containerID, IfName.multus)])
        #expect(gc.succeeded, "\(gc)")
        #expect(!FileManager.default.fileExists(atPath: oldRecord.path), "GC removes the older version's record")
        for (pod, id) in [(live, liveID), (next, nextID)] {
            let del = try cni.del(network: network, netns: pod, pod: id)
            #expect(del.succeeded, "\(del)")
        }
        let empty = try traces(of: [goneID, liveID, nextID], hostVeths: goneVeths + liveVeths)
        #expect(empty == Traces(records: [], backups: [], allocations: [], rules: 0), "\(empty)")
    }
}
