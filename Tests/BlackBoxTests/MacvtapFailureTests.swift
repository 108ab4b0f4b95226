import Foundation
import Testing

/// `macvtap` when things go wrong: drift, vanished pods, bad input, a kernel refusal halfway through
/// ADD, GC of attachments no longer valid and STATUS.
extension BlackBox {
    @Suite struct MacvtapFailures {
        /// CHECK reports a changed MTU (and a MAC change), naming the attribute.
        @Test func checkCatchesDrift() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            let network = try MacvtapWorld.standalone(sandbox) { $0["mtu"] = 1400 }
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let add = try cni.add(network: network, netns: pod, pod: identity)
            try #require(add.succeeded, "\(add)")
            #expect(try cni.check(network: network, netns: pod, pod: identity).succeeded)

            try NetState(netns: pod).setLink(IfName.multus, "mtu", "1300")
            let check = try cni.check(network: network, netns: pod, pod: identity)
            #expect(check.errorCode == 7, "\(check)")
            #expect(check.errorMessage?.contains("MTU is 1300") == true, "\(check)")

            try NetState(netns: pod).setLink(IfName.multus, "mtu", "1400")
            try NetState(netns: pod).setLink(IfName.multus, "down")
            let down = try cni.check(network: network, netns: pod, pod: identity)
            #expect(down.errorCode == 7 && down.errorMessage?.contains("down") == true, "\(down)")
            #expect(try cni.del(network: network, netns: pod, pod: identity).succeeded)
        }

        /// DEL after the pod's netns is gone (the macvtap went with it) succeeds and drops the record.
        @Test func delAfterThePodNamespaceIsGone() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            let network = try MacvtapWorld.standalone(sandbox)
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let add = try cni.add(network: network, netns: pod, pod: identity)
            try #require(add.succeeded, "\(add)")
            #expect(MacvtapWorld.records(sandbox).count == 1)

            try sandbox.deleteNamespace(pod)
            let del = try cni.del(network: network, netns: pod, pod: identity)
            #expect(del.succeeded, "\(del)")
            #expect(MacvtapWorld.records(sandbox).isEmpty)
            #expect(try MacvtapWorld.macvtaps(in: sandbox.node).isEmpty)
        }

        /// Bad input is code 7 naming the field, and nothing is created.
        /// (what, key, its new value as JSON or nil to remove it, what the message must name)
        @Test(arguments: [
            ("missing master", "master", nil, "master"),
            ("master that does not exist", "master", #""nic9""#, "nic9"),
            ("bad mode", "mode", #""bogus""#, "mode"),
            ("bad mtu", "mtu", "20", "mtu"),
            ("multicast MAC", "mac", #""01:00:5e:00:00:01""#, "mac"),
        ] as [(String, String, String?, String)])
        func badInputIsRefusedBeforeAnythingIsCreated(_ label: String, _ key: String, _ value: String?, _ named: String) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            let network = try MacvtapWorld.standalone(sandbox) { plugin in
                plugin[key] = value.flatMap { JSON.parse($0) }
            }
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let add = try cni.add(network: network, netns: pod, pod: identity)
            #expect(add.errorCode == 7, "\(label): \(add)")
            #expect(add.errorMessage?.contains(named) == true, "\(label): \(add)")
            #expect(try MacvtapWorld.macvtaps(in: sandbox.node).isEmpty && MacvtapWorld.macvtaps(in: pod).isEmpty)
            #expect(MacvtapWorld.records(sandbox).isEmpty)
        }

        /// A device id the device plugin never allocated is code 7 naming it.
        @Test func unknownDeviceIsRefused() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            let network = try MacvtapWorld.devicePlugin(sandbox)
            let pod = try sandbox.pod()
            let add = try cni.add(network: network, netns: pod, pod: PodIdentity.random())
            #expect(add.errorCode == 7 && add.errorMessage?.contains(MacvtapWorld.deviceID) == true, "\(add)")
        }

        /// The kernel refuses an MTU above the NIC's after the macvtap moved into the pod: standalone, the
        /// macvtap is deleted; device-plugin flow, it is back on the node under its name. No record stays.
        @Test(arguments: [false, true])
        func failureMidAddLeavesNothing(_ devicePlugin: Bool) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox, mtu: 1500)
            let network: String
            if devicePlugin {
                try MacvtapWorld.allocate(sandbox)
                network = try MacvtapWorld.devicePlugin(sandbox) { $0["deviceID"] = MacvtapWorld.deviceID; $0["mtu"] = 9000 }
            } else {
                network = try MacvtapWorld.standalone(sandbox) { $0["mtu"] = 9000 }
            }
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let ifname = IfName.kubevirt()
            let add = try cni.add(network: network, netns: pod, ifname: ifname, pod: identity)
            #expect(!add.succeeded)
            #expect(add.errorMessage?.contains("MTU 9000") == true, "\(add)")
            #expect(try MacvtapWorld.macvtaps(in: pod).isEmpty, "nothing left in the pod")
            #expect(try MacvtapWorld.macvtaps(in: sandbox.node) == (devicePlugin ? [MacvtapWorld.deviceLink] : []))
            #expect(MacvtapWorld.records(sandbox).isEmpty)
            if devicePlugin {
                #expect(try NetState(netns: sandbox.node).link(MacvtapWorld.deviceLink)?.mtu == 1500)
                try Shell.must(["ip", "-n", sandbox.node, "link", "del", MacvtapWorld.deviceLink])
            }
        }

        /// GC removes the macvtap of an attachment no longer valid and keeps the valid one; GC of another
        /// network sharing the dataDir touches neither; STATUS is ready while the master exists and not
        /// (code 50, naming it) once it is gone.
        @Test func gcAndStatus() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            let network = try MacvtapWorld.standalone(sandbox, cniVersion: "1.0.0")
            let kept = PodIdentity.random(), gone = PodIdentity.random()
            let keptPod = try sandbox.pod("pod1"), gonePod = try sandbox.pod("pod2")
            for (identity, pod) in [(kept, keptPod), (gone, gonePod)] {
                let add = try cni.add(network: network, netns: pod, pod: identity)
                try #require(add.succeeded, "\(add)")
            }
            #expect(MacvtapWorld.records(sandbox).count == 2)

            // STATUS and GC exist from spec 1.1.0, which libcni 1.1.2 cannot ADD with: the same network
            // rewritten as 1.1.0, and another 1.1.0 network with the same plugin and dataDir.
            _ = try MacvtapWorld.standalone(sandbox, cniVersion: "1.1.0")
            try Fixtures.write(["cniVersion": "1.1.0", "name": "macvtap-other", "plugins": [["type": "macvtap", "master": "nic0"]]],
                               as: "macvtap-other.conflist", in: sandbox)
            let other = try cni.gc(network: "macvtap-other", attachments: [])
            #expect(other.succeeded, "\(other)")
            #expect(MacvtapWorld.records(sandbox).count == 2, "GC of another network leaves this one's records")
            #expect(try MacvtapWorld.macvtaps(in: gonePod) == [IfName.multus])
            let status = try cni.status(network: network)
            #expect(status.succeeded, "\(status)")
            let gc = try cni.gc(network: network, attachments: [(kept.containerID, IfName.multus)])
            #expect(gc.succeeded, "\(gc)")
            #expect(try MacvtapWorld.macvtaps(in: keptPod) == [IfName.multus])
            #expect(try MacvtapWorld.macvtaps(in: gonePod).isEmpty)
            #expect(MacvtapWorld.records(sandbox) == ["\(network)/\(kept.containerID)-\(IfName.multus).json"])
            _ = try MacvtapWorld.standalone(sandbox, cniVersion: "1.0.0")  // libcni 1.1.2 DELs only up to 1.0.0

            #expect(try cni.del(network: network, netns: keptPod, pod: kept).succeeded)
            try Shell.must(["ip", "-n", sandbox.node, "link", "del", "nic0"])
            _ = try MacvtapWorld.standalone(sandbox, cniVersion: "1.1.0")
            let notReady = try cni.status(network: network)
            #expect(notReady.errorCode == 50 && notReady.errorMessage?.contains("nic0") == true, "\(notReady)")
        }
    }
}
