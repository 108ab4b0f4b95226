import Foundation
import Testing

/// Many pods at once on one bridge (host-local, MAC and IP spoof check), through libcni: ADDs, CHECKs, DELs and
/// GCs all running at the same time, round after round (`RELIABILITY_ROUNDS`, default 20). Every call
/// succeeds, every round ends with nothing left: no veth, nft table, record or host-local allocation.
extension BlackBox {
    @Suite(.enabled(if: ReliabilityKnobs.oursEnabled, "ours-only: the reference leaves its nft table and leaks on GC"))
    struct ReliabilityConcurrency {
        @Test(arguments: [24, 96])
        func addCheckDelAndGCAtOnce(pods: Int) throws {
            // ipspoofchk: every ADD and DEL also refreshes the bridge's node-address sets under the bridge lock.
            let setup = try BridgeSetup(.ours, "br-spoof-check.conflist") { $0["ipspoofchk"] = true }
            let netns = try (1...pods).map { try setup.sandbox.pod("c\($0)") }
            let records = setup.sandbox.dir.appendingPathComponent("bridge").appendingPathComponent(setup.network)
            let started = Date()
            for round in 1...ReliabilityKnobs.rounds {
                let all = netns.enumerated().map { index, pod in
                    Attachment(netns: pod, ifname: index.isMultiple(of: 2) ? IfName.multus : IfName.kubevirt(),
                               pod: PodIdentity.random(name: "virt-launcher-\(round)-\(index)"))
                }
                let first = Array(all.prefix(pods / 2)), second = Array(all.dropFirst(pods / 2))
                // 1: every ADD, and a GC that knows them all (a runtime lists what it is adding).
                try phase("round \(round) ADD + GC", setup, [("add", all)], gcKeeping: all)
                // 2: every CHECK, and again a GC keeping everything.
                try phase("round \(round) CHECK + GC", setup, [("check", all)], gcKeeping: all)
                let files = try FileManager.default.contentsOfDirectory(atPath: records.path)
                #expect(files.count == pods, "round \(round): \(files.count) records for \(pods) pods")
                #expect(setup.allocations().count == pods, "round \(round): allocations \(setup.allocations().count)")
                // 3: half go (DEL), the other half are checked, GC keeps only those.
                try phase("round \(round) DEL + CHECK + GC", setup, [("del", first), ("check", second)], gcKeeping: second)
                // 4: the rest go, the first half is deleted again, and a GC keeps nothing.
                try phase("round \(round) DEL + DEL again + GC", setup, [("del", second), ("del", first)], gcKeeping: [])

                #expect(try setup.nodeVeths() == [], "round \(round): veths left")
                #expect(setup.allocations() == [], "round \(round): host-local allocations left")
                #expect(try Nft.tables(in: setup.sandbox.node) == [], "round \(round): nft table left")
                #expect(try FileManager.default.contentsOfDirectory(atPath: records.path) == [], "round \(round): records left")
                for attachment in all {
                    #expect(try NetState(netns: attachment.netns).link(attachment.ifname) == nil, "round \(round): \(attachment.ifname) left in \(attachment.netns)")
                }
            }
            print("concurrency: \(pods) pods x \(ReliabilityKnobs.rounds) rounds in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }

        /// The same rounds on one `layer2-overlay` network (host-local, MAC and IP spoof check). Its peers are the
        /// node's own address and, where the kernel has Geneve (the VM lane), two more underlay addresses, so
        /// the ADDs also reconcile two tunnels; without Geneve the rounds still race bridge creation, the lock
        /// and GC removing the bridge. Each round ends with a GC that keeps nothing: the node is back to its
        /// underlay NIC alone.
        @Test(arguments: ReliabilityKnobs.overlayPodCounts)
        func overlayAddCheckDelAndGCAtOnce(pods: Int) throws {
            let tunnels = try GeneveKernel.available
            let peers = tunnels ? ["192.0.2.1", "192.0.2.2", "192.0.2.3"] : ["192.0.2.1"]
            // host-local on a segment with other nodes is refused unless the node admin allows it (one node here).
            let cluster = try OverlayCluster(.ipv4, nodes: 1, peers: peers, edit: {
                $0["ipam"] = ["type": "host-local", "subnet": "10.250.14.0/24"]
                $0["ipspoofchk"] = true
            }, editPolicy: { $0["overlay"] = ["ports": [7081], "nodeLocalIPAM": true] })
            let node = cluster.nodes[0]
            let netns = try (1...pods).map { try node.sandbox.pod("c\($0)") }
            let started = Date()
            for round in 1...ReliabilityKnobs.rounds {
                let all = netns.enumerated().map { index, pod in
                    Attachment(netns: pod, ifname: index.isMultiple(of: 2) ? IfName.multus : IfName.kubevirt(),
                               pod: PodIdentity.random(name: "virt-launcher-\(round)-\(index)"))
                }
                let first = Array(all.prefix(pods / 2)), second = Array(all.dropFirst(pods / 2))
                try phase("round \(round) ADD + GC", node.cni, node.network, [("add", all)], gcKeeping: all)
                try phase("round \(round) CHECK + GC", node.cni, node.network, [("check", all)], gcKeeping: all)
                #expect(node.recordFiles().count == pods, "round \(round): \(node.recordFiles().count) records for \(pods) pods")
                #expect(node.sandbox.hostLocalAllocations(network: node.network).count == pods)
                let geneve = try node.tunnels()
                #expect(geneve.count == peers.count - 1 && geneve.allSatisfy { $0.isolated == true && $0.up && $0.mtu == 1450 },
                        "round \(round): \(geneve)")
                try phase("round \(round) DEL + CHECK + GC", node.cni, node.network, [("del", first), ("check", second)],
                          gcKeeping: second)
                try phase("round \(round) DEL + DEL again + GC", node.cni, node.network, [("del", second), ("del", first)],
                          gcKeeping: [])
                // The GC of the last phase may have run before the last DELs: one more removes the bridge.
                let gc = try node.gc()
                #expect(gc.succeeded, "round \(round): \(gc)")
                #expect(try node.linkNames() == ["eth0", "lo"], "round \(round): links left")
                #expect(node.sandbox.hostLocalAllocations(network: node.network) == [], "round \(round): allocations left")
                #expect(try Nft.tables(in: node.netns) == [], "round \(round): nft table left")
                #expect(node.recordFiles() == [], "round \(round): records left")
                for attachment in all {
                    #expect(try NetState(netns: attachment.netns).link(attachment.ifname) == nil, "round \(round): \(attachment.ifname) left in \(attachment.netns)")
                }
            }
            print("overlay concurrency (\(tunnels ? "with 2 tunnels" : "no Geneve: without tunnels")): \(pods) pods x \(ReliabilityKnobs.rounds) rounds in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }

        /// Runs every (command, attachments) group and one GC keeping `gcKeeping`, all at the same time;
        /// every one must succeed.
        private func phase(_ name: String, _ setup: BridgeSetup, _ groups: [(String, [Attachment])],
                           gcKeeping: [Attachment]) throws {
            try phase(name, setup.cni, setup.network, groups, gcKeeping: gcKeeping)
        }

        private func phase(_ name: String, _ cni: CNI, _ network: String, _ groups: [(String, [Attachment])],
                           gcKeeping: [Attachment]) throws {
            var invocations: [(argv: [String], env: [String: String])] = []
            for (command, attachments) in groups {
                invocations += try attachments.map {
                    try cni.invocation(command, network: network, netns: $0.netns, ifname: $0.ifname,
                                       pod: $0.pod, cniArgs: nil, capArgs: nil)
                }
            }
            // The GC goes in the middle, so it overlaps the others rather than starting first.
            invocations.insert(cni.gcInvocation(network: network, keeping: gcKeeping), at: invocations.count / 2)
            let outputs = try Shell.runAll(invocations)
            let failed = outputs.filter { !$0.succeeded }
            #expect(failed.isEmpty, "\(name): \(failed.count) of \(outputs.count) failed; first: \(failed.first.map { "\($0)" } ?? "")")
        }
    }
}
