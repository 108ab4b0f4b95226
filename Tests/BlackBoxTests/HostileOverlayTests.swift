import Foundation
import Testing

/// Attacks 4 and 5 of issue 12: a tenant's NAD aimed at another network's overlay or at a node bridge,
/// with no policy file on the node; then the overlay keys of the policy.
extension BlackBox {
    @Suite(.enabled(if: Implementation.enabled.contains(.ours), "ours only"))
    struct HostileOverlay {
        /// A node (underlay `eth0` 192.0.2.1/24) with the victim network `tenant-a-net` (vni 100) and one
        /// pod on it; no policy file.
        struct Victim {
            let world: HostileWorld
            let network: String
            let pod: String
            let identity = PodIdentity.random()
            let bridge: String

            init(policy: [String: Any]? = nil) throws {
                world = try HostileWorld(policy: policy)
                try world.uplink()
                network = try world.install(["type": "layer2-overlay", "vni": 100, "peers": ["192.0.2.1"], "dataDir": world.runDir],
                                            name: "tenant-a-net")
                pod = try world.sandbox.pod("victim")
                let add = try world.add(network, pod: pod, identity: identity)
                try #require(add.succeeded, "\(add)")
                bridge = try #require((add.json?["interfaces"] as? [[String: Any]])?.first?["name"] as? String)
            }

            /// The victim's bridge: its ports and its mark.
            func bridgeState() throws -> [String] {
                let alias = try world.node.link(bridge)?.raw["ifalias"] as? String ?? "-"
                return try world.node.ports(of: bridge) + ["alias \(alias)"]
            }
        }

        /// Another network's bridge, its VNI, a node port or a flood of peers: each refused naming the key (and
        /// the owner), and the victim's bridge keeps exactly its one pod and its mark.
        @Test func aNADCannotTakeAnotherNetworksOverlay() throws {
            let victim = try Victim()
            let world = victim.world
            let before = try victim.bridgeState()
            #expect(before.last == "alias swift-cni plugin=layer2-overlay network=tenant-a-net vni=100", "\(before)")
            let attacker = try world.sandbox.pod("attacker")
            let own = ["192.0.2.1"]
            let attacks: [(name: String, plugin: [String: Any], naming: [String])] = [
                ("their-bridge", ["type": "layer2-overlay", "vni": 101, "peers": own, "bridge": victim.bridge], ["bridge", "tenant-a-net"]),
                ("their-vni", ["type": "layer2-overlay", "vni": 100, "peers": own], ["vni", "100", "tenant-a-net"]),
                ("dns-port", ["type": "layer2-overlay", "vni": 102, "peers": own, "port": 53], ["port", "53", "overlay.ports"]),
                ("vxlan-port", ["type": "layer2-overlay", "vni": 103, "peers": own, "port": 8472], ["port", "8472"]),
                ("flood", ["type": "layer2-overlay", "vni": 104,
                           "peers": (0..<100_000).map { "10.\($0 >> 16).\(($0 >> 8) & 255).\($0 & 255)" }], ["peers", "overlay.maxPeers"]),
                ("bridge-plugin", ["type": "bridge", "bridge": victim.bridge, "dataDir": world.runDir], ["bridge", "tenant-a-net"]),
                ("macvtap-on-it", ["type": "macvtap", "master": victim.bridge, "dataDir": world.runDir], ["master", victim.bridge]),
            ]
            for attack in attacks {
                let network = try world.install(attack.plugin, name: attack.name)
                let started = Date()
                expectRefused(try world.add(network, pod: attacker), naming: attack.naming)
                #expect(Date().timeIntervalSince(started) < 20, "\(attack.name) took too long")
            }
            #expect(try victim.bridgeState() == before)
            #expect(try NetState(netns: attacker).link(IfName.multus) == nil, "the attacker's pod got an interface")
            #expect(try world.cni.check(network: victim.network, netns: victim.pod, pod: victim.identity).succeeded)
            #expect(try world.node.links(ofKind: "bridge") == [victim.bridge], "a refused ADD left a bridge")
        }

        /// GC (or ADD) naming a node bridge that no overlay made (`docker0`, with its address) never deletes or
        /// takes it; an unmarked bridge under the network's own derived name (an earlier version's) is adopted.
        @Test func aNodeBridgeIsNeverTakenOrDeleted() throws {
            let victim = try Victim()
            let world = victim.world
            try Shell.must(["ip", "-n", world.sandbox.node, "link", "add", "docker0", "type", "bridge"])
            try Shell.must(["ip", "-n", world.sandbox.node, "addr", "add", "172.17.0.1/16", "dev", "docker0"])
            let before = try world.snapshot(pods: [])
            let network = try world.install(["type": "layer2-overlay", "vni": 200, "peers": ["192.0.2.1"], "bridge": "docker0",
                                             "dataDir": world.runDir], name: "docker-gc")
            expectRefused(try world.add(network, pod: try world.sandbox.pod("p2")), naming: ["bridge", "docker0"])
            let gc = try world.cni.gc(network: network)
            #expect(gc.succeeded, "\(gc)")
            let after = try world.snapshot(pods: [])
            #expect(after == before, "\(after.difference(from: before))")
            // Upgrade: the victim's bridge without its mark (as an earlier version left it) is adopted on the next ADD.
            try Shell.must(["ip", "-n", world.sandbox.node, "link", "set", "dev", victim.bridge, "alias", ""])
            let second = PodIdentity.random()
            let add = try world.add(victim.network, pod: try world.sandbox.pod("p3"), identity: second)
            #expect(add.succeeded, "\(add)")
            #expect(try victim.bridgeState().last == "alias swift-cni plugin=layer2-overlay network=tenant-a-net vni=100")
        }

        /// `overlay.vnis`, `overlay.underlay` and `overlay.ports` confine what a NAD may ask for; what they name works.
        @Test func overlayPolicyKeys() throws {
            let world = try HostileWorld(policy: HostileWorld.policy(["overlay": ["ports": [7081], "vnis": ["1000-1999"],
                                                                                  "underlay": ["192.0.2.0/24"]]]))
            try world.uplink()
            let pod = try world.sandbox.pod()
            let base: [String: Any] = ["type": "layer2-overlay", "peers": ["192.0.2.1"], "port": 7081, "dataDir": world.sandbox.dir.path]
            let refusals: [(String, [String: Any], [String])] = [
                ("vni-out", ["vni": 100], ["vni", "100", "overlay.vnis"]),
                ("port-default", ["vni": 1000, "port": 6081], ["port", "6081", "overlay.ports"]),
                ("peer-out", ["vni": 1001, "peers": ["192.0.2.1", "198.51.100.7"]], ["peers[1]", "overlay.underlay"]),
            ]
            for (name, change, naming) in refusals {
                expectRefused(try world.add(try world.install(base.merging(change) { $1 }, name: name), pod: pod), naming: naming)
            }
            let allowed = try world.install(base.merging(["vni": 1500]) { $1 }, name: "allowed")
            let identity = PodIdentity.random()
            let add = try world.add(allowed, pod: pod, identity: identity)
            #expect(add.succeeded, "\(add)")
            #expect(try world.del(allowed, pod: pod, identity: identity).succeeded)
        }

        /// host-local allocates per node: on a segment with other nodes it would give one address twice, so it
        /// is refused unless the admin allows it (`overlay.nodeLocalIPAM`); a single-node network keeps it.
        @Test func nodeLocalIPAMOnASegmentAcrossNodes() throws {
            for allowed in [false, true] {
                let world = try HostileWorld(policy: HostileWorld.policy(["overlay": ["nodeLocalIPAM": allowed]]))
                try world.uplink()
                let pod = try world.sandbox.pod()
                let ipam: [String: Any] = ["type": "host-local", "subnet": "10.42.7.0/24", "dataDir": world.sandbox.ipamDir.path]
                let network = try world.install(["type": "layer2-overlay", "vni": 300, "peers": ["192.0.2.1", "192.0.2.2"],
                                                 "ipam": ipam, "dataDir": world.sandbox.dir.path], name: "spread")
                let identity = PodIdentity.random()
                let add = try world.add(network, pod: pod, identity: identity)
                if !allowed {
                    expectRefused(add, naming: ["ipam", "host-local", "overlay.nodeLocalIPAM"])
                    #expect(world.sandbox.hostLocalAllocations(network: network).isEmpty)
                } else if try GeneveKernel.available {
                    #expect(add.succeeded, "\(add)")
                } else {
                    // Allowed; this kernel then fails at the tunnel it cannot make (the VM lane has Geneve).
                    #expect(add.errorMessage?.contains("allocates per node") == false, "\(add)")
                }
                _ = try world.del(network, pod: pod, identity: identity)
                let single = try world.install(["type": "layer2-overlay", "vni": 301, "peers": ["192.0.2.1"], "ipam": ipam,
                                                "dataDir": world.sandbox.dir.path], name: "single")
                let one = try world.add(single, pod: pod, ifname: "net2", identity: identity)
                #expect(one.succeeded, "one node: \(one)")
                #expect(try world.del(single, pod: pod, ifname: "net2", identity: identity).succeeded)
            }
        }
    }
}
