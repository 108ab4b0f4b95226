import Foundation
import Testing

/// Every file in `conf/` works unchanged on a node whose admin wrote no policy: ADD, CHECK (0.4.0 and
/// later), DEL through the libcni runner, with our data dirs at their defaults. What the runtime or the node
/// provides is set up as on a real node: the NICs the files name (`eth1`, `ens1f1`, an underlay `eth0`),
/// the device plugin's macvtap and the `deviceID` Multus adds. host-local's own `dataDir` (the reference
/// IPAM's key, not ours) goes into the sandbox, and the overlay's `peersFile` is dropped: its lookup
/// directory is the node admin's `/etc/cni/swift-cni/peers`, which tests never touch. The VM lane runs it
/// again with Geneve (the overlay file's three peers, so two tunnels) and VLAN filtering.
extension BlackBox {
    @Suite(.enabled(if: Implementation.enabled.contains(.ours), "ours only"))
    struct ConfWithoutPolicy {
        static let all = ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.confDir.path)) ?? [])
            .filter { $0.hasSuffix(".conf") || $0.hasSuffix(".conflist") }.sorted()
        /// `bridge-vlan.conflist` needs bridge VLAN filtering: on a kernel without it (the host lane) it is left
        /// to the VM lane, which runs this suite too.
        static let files = all.filter { $0 != "bridge-vlan.conflist" || VLANKernel.supported }

        @Test func everyConfFileIsCovered() {
            #expect(Self.all.count >= 10, "\(Self.all)")
            #expect(Self.files.count == Self.all.count || !VLANKernel.supported)
        }

        @Test(arguments: files)
        func worksWithoutAPolicyFile(file: String) throws {
            let world = try HostileWorld()
            try world.uplink()
            for nic in ["eth1", "ens1f1"] { try MacvtapWorld.nic(world.sandbox, nic) }
            if file == "macvtap-deviceplugin.conf" { try MacvtapWorld.allocate(world.sandbox, on: "eth1") }
            let tunnels = try GeneveKernel.available
            let network = try Fixtures.install(file, in: world.sandbox, isolatingOurs: false) { plugins in
                plugins.edit("macvtap") { if file == "macvtap-deviceplugin.conf" { $0["deviceID"] = MacvtapWorld.deviceID } }
                plugins.edit("layer2-overlay") {
                    $0.removeValue(forKey: "peersFile")
                    // Without Geneve (the host lane) no tunnel can be made: the node's own address only.
                    if !tunnels { $0["peers"] = ["192.0.2.1"] }
                }
            }
            let before = Self.ourRecords(network: network)
            let pod = try world.sandbox.pod()
            let identity = PodIdentity.random()
            defer { _ = try? world.del(network, pod: pod, identity: identity) }
            let add = try world.add(network, pod: pod, identity: identity)
            #expect(add.succeeded, "\(file) ADD: \(add)")
            let version = try #require(JSON.object(try Fixtures.pluginConfig(network: network, in: world.sandbox))?["cniVersion"] as? String)
            if add.succeeded, !["0.1.0", "0.2.0", "0.3.0", "0.3.1"].contains(version) {
                let check = try world.cni.check(network: network, netns: pod, pod: identity)
                #expect(check.succeeded, "\(file) CHECK: \(check)")
            }
            let del = try world.del(network, pod: pod, identity: identity)
            #expect(del.succeeded, "\(file) DEL: \(del)")
            #expect(Self.ourRecords(network: network) == before, "\(file): records left in the default data dirs")
            Self.removeEmptyRecordDirectories(network: network)
        }

        /// Our default data dirs' files for `network` (records, tuning backups of the network's pods).
        static func ourRecords(network: String) -> [String] {
            let dirs = ["bridge", "macvtap", "layer2-overlay"].map { "/var/lib/cni/swift-cni/\($0)/\(network)" }
            return dirs.flatMap { dir in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).map { "\(dir)/\($0)" } }.sorted()
        }

        /// The per-network record directories ADD made (empty again after DEL): the test leaves none.
        static func removeEmptyRecordDirectories(network: String) {
            for plugin in ["bridge", "macvtap", "layer2-overlay"] {
                rmdir("/var/lib/cni/swift-cni/\(plugin)/\(network)")
            }
        }
    }
}
