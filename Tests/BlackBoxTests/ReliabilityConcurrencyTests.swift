import Foundation
import Testing

/// Many pods at once on one bridge (host-local, MAC spoof check), through libcni: ADDs, CHECKs, DELs and
/// GCs all running at the same time, round after round (`RELIABILITY_ROUNDS`, default 20). Every call
/// succeeds, every round ends with nothing left: no veth, nft table, record or host-local allocation.
extension BlackBox {
    @Suite(.enabled(if: ReliabilityKnobs.oursEnabled, "ours-only: the reference leaves its nft table and leaks on GC"))
    struct ReliabilityConcurrency {
        @Test(arguments: [24, 96])
        func addCheckDelAndGCAtOnce(pods: Int) throws {
            let setup = try BridgeSetup(.ours, "br-spoof-check.conflist")
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

        /// Runs every (command, attachments) group and one GC keeping `gcKeeping`, all at the same time;
        /// every one must succeed.
        private func phase(_ name: String, _ setup: BridgeSetup, _ groups: [(String, [Attachment])],
                           gcKeeping: [Attachment]) throws {
            var invocations: [(argv: [String], env: [String: String])] = []
            for (command, attachments) in groups {
                invocations += try attachments.map {
                    try setup.cni.invocation(command, network: setup.network, netns: $0.netns, ifname: $0.ifname,
                                             pod: $0.pod, cniArgs: nil, capArgs: nil)
                }
            }
            // The GC goes in the middle, so it overlaps the others rather than starting first.
            invocations.insert(setup.cni.gcInvocation(network: setup.network, keeping: gcKeeping), at: invocations.count / 2)
            let outputs = try Shell.runAll(invocations)
            let failed = outputs.filter { !$0.succeeded }
            #expect(failed.isEmpty, "\(name): \(failed.count) of \(outputs.count) failed; first: \(failed.first.map { "\($0)" } ?? "")")
        }
    }
}
