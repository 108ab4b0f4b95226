import Foundation
import Testing

/// Fault injection: every plugin is killed with SIGKILL inside ADD after each of its steps in turn
/// (`SWIFT_CNI_TEST_CRASH_AT=N`, the test-only hook in `Attach.Rollback`: after the N-th undo pushed, or
/// after the whole ADD before the result is printed). N walks up from 1 until an ADD survives, so every
/// step a plugin has (and any it gains) is a crash point. After each crash the runtime's DEL — and,
/// separately, a GC that lists no valid attachment — must leave the world exactly as before the ADD: no
/// veth, macvtap, nft rule, record or backup, no host-local allocation, tuning's values put back.
extension BlackBox {
    @Suite(.enabled(if: ReliabilityKnobs.oursEnabled, "ours-only: the fault hook is ours"))
    struct ReliabilityCrash {
        enum Cleanup: String, CaseIterable, Sendable { case del, gc }

        static let maxSteps = 12

        @Test(arguments: ReliabilityPlugin.all, Cleanup.allCases)
        func killedAtEveryStepOfAdd(_ plugin: ReliabilityPlugin, _ cleanup: Cleanup) throws {
            let world = try ReliabilityWorld(plugin)
            // One whole ADD and DEL first: objects shared by every pod of the network (a bridge and its
            // gateway address, host-local's bookkeeping) stay, by design, and belong to the baseline.
            let warm = PodIdentity.random()
            let warmAdd = try world.add(warm)
            try #require(warmAdd.succeeded, "\(warmAdd)")
            try #require(try world.del(warm).succeeded)
            // The overlay's GC with nothing valid also takes its bridge: the GC runs start without one.
            if cleanup == .gc && plugin.gcRemovesSharedObjects { try #require(try world.gc().succeeded) }
            let baseline = try world.snapshot()

            var crashes: [String] = []
            for step in 1...Self.maxSteps {
                let identity = PodIdentity.random()
                let add = try world.add(identity, extraEnvironment: ["SWIFT_CNI_TEST_CRASH_AT": "\(step)"])
                let crashed = add.output.status == SIGKILL && add.output.stdout.isEmpty
                if !crashed {
                    #expect(add.succeeded, "\(plugin.type) step \(step): \(add)")
                    #expect(step > 2, "\(plugin.type): the hook never fired; is the fault hook built in?")
                } else {
                    let label = add.output.stderr.split(separator: "\n").last { $0.contains("SIGKILL after") } ?? "?"
                    crashes.append(String(label))
                }
                let out = cleanup == .del ? try world.del(identity) : try world.gc()
                #expect(out.succeeded, "\(plugin.type) \(cleanup) after crash at step \(step): \(out)")
                let after = try world.snapshot()
                #expect(after == baseline, "\(plugin.type) \(cleanup) after \(crashed ? "a crash at step \(step)" : "a whole ADD") left:\n\(after.difference(from: baseline))")
                if !crashed { break }
            }
            #expect(crashes.count >= 2, "\(plugin.type): \(crashes)")
            print("\(plugin.type) crash points (\(cleanup)): \(crashes)")
        }

        /// The pod's netns is deleted between a crashed ADD and DEL: DEL (CNI_NETNS still set, or empty)
        /// succeeds and removes what is on the node.
        @Test(arguments: ReliabilityPlugin.all.filter { $0.type != "tuning" })
        func netnsGoneAfterACrash(_ plugin: ReliabilityPlugin) throws {
            let world = try ReliabilityWorld(plugin)
            let warm = PodIdentity.random()
            try #require(try world.add(warm).succeeded)
            try #require(try world.del(warm).succeeded)
            for (step, netnsGone) in [(2, false), (2, true), (99, false)] {
                let pod = try world.sandbox.pod("gone\(step)\(netnsGone)")
                let identity = PodIdentity.random()
                var call = try world.invocation(identity: identity, netns: pod)
                call.environment["SWIFT_CNI_TEST_CRASH_AT"] = "\(step)"
                _ = try world.run(call)
                try world.sandbox.deleteNamespace(pod)
                var del = try world.invocation("DEL", identity: identity, netns: pod)
                if netnsGone { del.environment["CNI_NETNS"] = "" }
                let out = try world.run(del)
                #expect(out.succeeded, "\(plugin.type) DEL (step \(step), empty CNI_NETNS \(netnsGone)): \(out)")
                let leftovers = try WorldSnapshot.take(world.sandbox, pods: []).lines.filter {
                    $0.contains("kind=veth") && !$0.contains("nic0") || $0.contains("kind=macvtap") || $0.hasPrefix("node nft")
                        || ($0.hasPrefix("file ") && !$0.contains("last_reserved_ip"))
                }
                #expect(leftovers.isEmpty, "\(plugin.type) after DEL (step \(step)): \(leftovers)")
            }
        }

        /// IPAM fails after the veth exists (the range is exhausted): the rollback removes the veth, the
        /// spoof-check rules, the record, and releases nothing it did not get.
        @Test func ipamFailureAfterTheVethRollsBackCompletely() throws {
            let world = try ReliabilityWorld(.bridge)
            let warm = PodIdentity.random()
            try #require(try world.add(warm).succeeded)
            try #require(try world.del(warm).succeeded)
            let baseline = try world.snapshot()
            var call = try world.invocation(identity: PodIdentity.random())
            call.config["ipam"] = ["type": "host-local", "dataDir": world.sandbox.ipamDir.path,
                                   "ranges": [[["subnet": "10.250.12.0/24", "rangeStart": "10.250.12.9", "rangeEnd": "10.250.12.9"]]]]
            let first = PodIdentity.random()
            var taken = call
            taken.environment["CNI_CONTAINERID"] = first.containerID
            taken.environment["CNI_IFNAME"] = "net9"
            try #require(try world.run(taken).succeeded, "the one address")
            let withOne = try world.snapshot()
            let out = try world.run(call)
            #expect(!out.succeeded && [5, 11].contains(out.errorCode ?? 0) || out.errorCode.map { $0 >= 100 } == true, "\(out)")
            #expect(out.errorMessage?.contains("host-local") == true, "\(out)")
            let afterFailure = try world.snapshot()
            #expect(afterFailure == withOne, "\(afterFailure.difference(from: withOne))")
            var del = taken
            del.environment["CNI_COMMAND"] = "DEL"
            #expect(try world.run(del).succeeded)
            let afterDel = try world.snapshot()
            #expect(afterDel == baseline, "\(afterDel.difference(from: baseline))")
        }
    }
}
