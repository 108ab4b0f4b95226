import Foundation
import Testing

/// `macvtap` (ours only: there is no reference binary of kubevirt/macvtap-cni here), through the libcni
/// runner in a throwaway node netns whose "NIC" is one end of a veth pair.
extension BlackBox {
    @Suite struct Macvtap {
        /// Standalone: every mode the kernel allows on a veth; KubeVirt's interface name; the MAC from
        /// CNI_ARGS; the tap device owned by qemu (107); CHECK passes; DEL twice leaves nothing.
        @Test(arguments: ["bridge", "vepa", "private", "passthru"])
        func standaloneInEveryMode(_ mode: String) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            let network = try MacvtapWorld.standalone(sandbox) { $0["mode"] = mode; $0["mtu"] = 1400 }
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let ifname = IfName.kubevirt()
            let mac = "02:aa:bb:cc:dd:01"
            let args = identity.cniArgs(extra: ["MAC=\(mac)"])

            let add = try cni.add(network: network, netns: pod, ifname: ifname, pod: identity, cniArgs: args)
            try #require(add.succeeded, "\(add)")
            let interfaces = add.json?["interfaces"] as? [[String: Any]]
            #expect(interfaces?.count == 1 && interfaces?.first?["name"] as? String == ifname, "exactly CNI_IFNAME: \(add)")
            #expect(add.sandboxInterface(ifname)?["mac"] as? String == mac)
            #expect(add.sandboxInterface(ifname)?["sandbox"] as? String == Sandbox.path(ofNamespace: pod))
            let state = try MacvtapWorld.kindAndMode(ifname, in: pod)
            #expect(state.kind == "macvtap" && state.mode == mode, "\(state)")
            let link = try NetState(netns: pod).link(ifname)
            #expect(link?.mac == mac && link?.mtu == 1400 && link?.flags.contains("UP") == true)
            let tap = try MacvtapWorld.tapDevice(ifname, in: pod)
            #expect(tap?.owner == 107 && tap?.group == 107, "tap device \(String(describing: tap))")
            #expect(try MacvtapWorld.macvtaps(in: sandbox.node).isEmpty, "the temporary macvtap left the node")

            let check = try cni.check(network: network, netns: pod, ifname: ifname, pod: identity, cniArgs: args)
            #expect(check.succeeded, "\(check)")

            for _ in 0..<2 {
                let del = try cni.del(network: network, netns: pod, ifname: ifname, pod: identity, cniArgs: args)
                #expect(del.succeeded, "\(del)")
            }
            #expect(try NetState(netns: pod).link(ifname) == nil)
            #expect(try MacvtapWorld.macvtaps(in: sandbox.node).isEmpty)
            if let tap { #expect(MacvtapWorld.deviceNode(tap.path)?.number != tap.number, "\(tap.path) went with the macvtap") }
            #expect(MacvtapWorld.records(sandbox).isEmpty)
        }

        /// Device-plugin flow with the seeds' NAD: the device plugin's macvtap (macvtap-cni's hashed name)
        /// moves in as CNI_IFNAME, takes the MTU and the MAC of the `mac` capability (runtimeConfig), its
        /// tap device gets the configured owner; DEL gives it back to the node under its name, as it was.
        @Test func devicePluginFlowGivesTheDeviceBackOnDel() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            try MacvtapWorld.allocate(sandbox)
            let network = try MacvtapWorld.devicePlugin(sandbox, cniVersion: "0.4.0") {
                $0["deviceID"] = MacvtapWorld.deviceID
                $0["mtu"] = 1450
                $0["owner"] = 1000
                $0["group"] = 1001
                $0["capabilities"] = ["mac": true]
            }
            let original = try NetState(netns: sandbox.node).link(MacvtapWorld.deviceLink)
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let ifname = IfName.kubevirt()
            let mac = "02:aa:bb:cc:dd:02"

            let add = try cni.add(network: network, netns: pod, ifname: ifname, pod: identity, capArgs: ["mac": mac])
            try #require(add.succeeded, "\(add)")
            #expect(add.sandboxInterface(ifname)?["mac"] as? String == mac, "\(add)")
            #expect(try MacvtapWorld.macvtaps(in: sandbox.node).isEmpty, "the device moved into the pod")
            let link = try NetState(netns: pod).link(ifname)
            #expect(link?.mac == mac && link?.mtu == 1450 && link?.flags.contains("UP") == true)
            let tap = try MacvtapWorld.tapDevice(ifname, in: pod)
            #expect(tap?.owner == 1000 && tap?.group == 1001, "tap device \(String(describing: tap))")
            let check = try cni.check(network: network, netns: pod, ifname: ifname, pod: identity, capArgs: ["mac": mac])
            #expect(check.succeeded, "\(check)")

            for _ in 0..<2 {
                let del = try cni.del(network: network, netns: pod, ifname: ifname, pod: identity, capArgs: ["mac": mac])
                #expect(del.succeeded, "\(del)")
            }
            #expect(try NetState(netns: pod).link(ifname) == nil)
            let back = try NetState(netns: sandbox.node).link(MacvtapWorld.deviceLink)
            #expect(back != nil && back?.mac == original?.mac && back?.mtu == original?.mtu && back?.flags.contains("UP") == false,
                    "given back as the device plugin made it: \(String(describing: back?.raw))")
            #expect(MacvtapWorld.records(sandbox).isEmpty)
            try Shell.must(["ip", "-n", sandbox.node, "link", "del", MacvtapWorld.deviceLink])
        }

        /// Older device plugins named the macvtap after the device id itself; `runtimeConfig.deviceID`
        /// (capability) works as the top-level key does.
        @Test func devicePluginDeviceByItsOwnNameThroughRuntimeConfig() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            try MacvtapWorld.allocate(sandbox, name: "dataplaneMvp7")
            let network = try MacvtapWorld.devicePlugin(sandbox) { $0["capabilities"] = ["deviceID": true] }
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()

            let add = try cni.add(network: network, netns: pod, pod: identity, capArgs: ["deviceID": "dataplaneMvp7"])
            try #require(add.succeeded, "\(add)")
            #expect(try MacvtapWorld.kindAndMode(IfName.multus, in: pod).kind == "macvtap")
            #expect(try MacvtapWorld.tapDevice(IfName.multus, in: pod)?.owner == 107)
            let del = try cni.del(network: network, netns: pod, pod: identity, capArgs: ["deviceID": "dataplaneMvp7"])
            #expect(del.succeeded, "\(del)")
            #expect(try MacvtapWorld.macvtaps(in: sandbox.node) == ["dataplaneMvp7"])
            try Shell.must(["ip", "-n", sandbox.node, "link", "del", "dataplaneMvp7"])
        }

        /// The result in every spec version (libcni 1.1.2 stops at 1.0.0 and conflists start at 0.3.0:
        /// the others run the plugin directly): the interface where the version has interfaces, `mtu` in 1.1.
        @Test(arguments: ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
        func everySpecVersion(_ version: String) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try MacvtapWorld.nic(sandbox)
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let ifname = IfName.kubevirt()
            let dataDir = sandbox.dir.appendingPathComponent("macvtap").path
            let conf = try JSON.string(["cniVersion": version, "name": "mvt", "type": "macvtap", "master": "nic0",
                                        "mtu": 1500, "dataDir": dataDir])
            var env = ["CNI_CONTAINERID": identity.containerID, "CNI_NETNS": Sandbox.path(ofNamespace: pod),
                       "CNI_IFNAME": ifname, "CNI_ARGS": identity.cniArgs()]
            env["CNI_COMMAND"] = "ADD"
            let add = try cni.execPlugin("macvtap", environment: env, stdin: conf)
            #expect(add.json?["cniVersion"] as? String == version)
            if version.hasPrefix("0.1") || version.hasPrefix("0.2") {
                // The legacy result holds only ip4/ip6: an L2 attachment cannot be said in it (libcni agrees).
                #expect(add.errorCode == 1 && add.errorMessage?.contains("0.3.0") == true, "\(add)")
                #expect(try MacvtapWorld.macvtaps(in: pod).isEmpty && MacvtapWorld.macvtaps(in: sandbox.node).isEmpty,
                        "refused before anything was made")
            } else {
                try #require(add.succeeded, "\(add)")
                #expect(add.sandboxInterface(ifname)?["mac"] != nil, "\(add)")
                #expect((add.sandboxInterface(ifname)?["mtu"] as? Int == 1500) == (version == "1.1.0"), "\(add)")
                #expect(try MacvtapWorld.kindAndMode(ifname, in: pod).kind == "macvtap")
            }
            env["CNI_COMMAND"] = "DEL"
            let del = try cni.execPlugin("macvtap", environment: env, stdin: conf)
            #expect(del.succeeded, "\(del)")
            #expect(try NetState(netns: pod).link(ifname) == nil)
        }
    }
}
