import Foundation
import Testing

/// A NAD is written by a namespace user and Multus runs us as root with it. Each attack of issue 12 (and
/// the next ones) through the libcni runner, first with no policy file on the node: refused with the
/// spec's code and a message naming the key, and no decoy, link, address, rule or file outside the
/// allowed places changes. Then the policy keys that open exactly what the admin names.
extension BlackBox {
    @Suite(.enabled(if: Implementation.enabled.contains(.ours), "ours only: these keys are ours"))
    struct HostileNAD {
        // MARK: 1. Write any file as root, with injected lines

        /// `logFile` naming a path (the node's `/etc/ld.so.preload`, here a decoy) is refused before anything
        /// is written; a bridge name carrying a newline and a library path is escaped in the message.
        @Test func logFileCannotNameAPath() throws {
            let world = try HostileWorld()
            let preload = try world.decoy("etc/ld.so.preload", "")
            let before = world.decoyTree()
            let pod = try world.sandbox.pod()
            let network = try world.install(["type": "bridge", "logFile": preload.path, "bridge": "x\n/var/lib/kubelet/evil.so\n"])
            expectRefused(try world.add(network, pod: pod), naming: ["logFile"])
            // A bare name is no path: without a log directory in the policy it is ignored, logs go to stderr.
            let named = try world.install(["type": "bridge", "logFile": "ld.so.preload", "bridge": "x\n/evil.so\n"], name: "named")
            let out = try world.add(named, pod: pod)
            expectRefused(out, naming: ["bridge", #"x\n/evil.so\n"#])
            #expect(world.decoyTree() == before, "a decoy changed")
            #expect(try world.node.links(ofKind: "bridge") == [], "a refused ADD made a bridge")
        }

        /// With the admin's log directory: the name is created there only, one line per message whatever the
        /// input holds, and a symlink planted at the name is not followed.
        @Test func logFileLandsInTheAdminsDirectoryOnly() throws {
            let world = try HostileWorld()
            let logs = try world.decoyDirectory("logs")
            let target = try world.decoy("etc/shadow", "root:secret")
            try FileManager.default.createSymbolicLink(at: logs.appendingPathComponent("link.log"), withDestinationURL: target)
            try world.sandbox.writePolicy(["logDirectory": logs.path])
            let pod = try world.sandbox.pod()
            for (name, file) in [("via-link", "link.log"), ("plain", "tenant.log")] {
                let network = try world.install(["type": "bridge", "logFile": file, "logLevel": "debug", "bridge": "x\ny"], name: name)
                expectRefused(try world.add(network, pod: pod), naming: ["bridge"])
            }
            #expect(try String(contentsOf: target, encoding: .utf8) == "root:secret", "written through the symlink")
            let lines = try String(contentsOf: logs.appendingPathComponent("tenant.log"), encoding: .utf8).split(separator: "\n")
            #expect(!lines.isEmpty && lines.allSatisfy { $0.contains("bridge[") }, "\(lines)")
            #expect(lines.contains { $0.contains(#""x\ny""#) }, "the value is escaped on its line: \(lines)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: logs.path).sorted() == ["link.log", "tenant.log"])
        }

        // MARK: 2. Read any root-readable file and get a line back

        /// `peersFile` is a name in the admin's peers directory: a path is refused, and a file there that is a
        /// symlink, a FIFO, too large or not a peers list is refused without a word of its content.
        @Test func peersFileCannotReadOrHang() throws {
            let world = try HostileWorld()
            let shadow = try world.decoy("etc/shadow", "root:*:19700:0:99999:7:::\n")
            let peers = try world.decoyDirectory("peers")
            try world.sandbox.writePolicy(["peersDirectory": peers.path])
            try world.uplink()
            try FileManager.default.createSymbolicLink(at: peers.appendingPathComponent("shadow"), withDestinationURL: shadow)
            try FileManager.default.createSymbolicLink(atPath: peers.appendingPathComponent("zero").path, withDestinationPath: "/dev/zero")
            try Data("root:*:19700:0:99999:7:::\n".utf8).write(to: peers.appendingPathComponent("garbage"))
            try Data(repeating: UInt8(ascii: "#"), count: 2 << 20).write(to: peers.appendingPathComponent("huge"))
            #expect(mkfifo(peers.appendingPathComponent("fifo").path, 0o600) == 0)
            let before = world.decoyTree()
            let pod = try world.sandbox.pod()
            let cases: [(String, [String])] = [(shadow.path, ["peersFile", "file name"]), ("/dev/zero", ["peersFile"]),
                                               ("../etc/shadow", ["peersFile"]), ("shadow", ["peersFile", "symlink"]),
                                               ("zero", ["peersFile", "symlink"]), ("fifo", ["peersFile", "not a regular file"]),
                                               ("huge", ["peersFile", "larger than"]), ("garbage", ["peersFile", "line 1"])]
            for (index, (file, naming)) in cases.enumerated() {
                let network = try world.install(["type": "layer2-overlay", "vni": 4000 + index, "peers": ["192.0.2.1"],
                                                 "peersFile": file], name: "peers\(index)")
                let started = Date()
                expectRefused(try world.add(network, pod: pod), naming: naming, hiding: ["root:", "19700"])
                #expect(Date().timeIntervalSince(started) < 10, "\(file): the plugin hung")
            }
            #expect(world.decoyTree() == before)
            #expect(try world.node.links(ofKind: "bridge") == [])
        }

        // MARK: 3. Take the node's NIC

        /// Without the admin's list a macvtap NAD may only name a NIC the node does not use: its uplink (an
        /// address, the default route), a NIC carrying a route, a bridge, a NIC enslaved elsewhere are refused
        /// in every mode, passthru included, and nothing of the node changes.
        @Test(arguments: ["bridge", "vepa", "private", "passthru"])
        func macvtapCannotTakeANICTheNodeUses(mode: String) throws {
            let world = try HostileWorld()
            try world.uplink()
            try MacvtapWorld.nic(world.sandbox, "eth2")
            try Shell.must(["ip", "-n", world.sandbox.node, "route", "add", "198.51.100.0/24", "dev", "eth2"])
            try Shell.must(["ip", "-n", world.sandbox.node, "link", "add", "br-mgmt", "type", "bridge"])
            try MacvtapWorld.nic(world.sandbox, "eth3")
            try Shell.must(["ip", "-n", world.sandbox.node, "link", "set", "eth3", "master", "br-mgmt"])
            try MacvtapWorld.nic(world.sandbox, "eth1")
            let pod = try world.sandbox.pod()
            let before = try world.snapshot(pods: [pod])
            for (master, reason) in [("eth0", "192.0.2.1/24"), ("eth2", "route"), ("br-mgmt", "bridge"), ("eth3", "enslaved")] {
                let network = try world.install(["type": "macvtap", "master": master, "mode": mode], name: "take-\(master)")
                expectRefused(try world.add(network, pod: pod), naming: ["master", master, reason])
            }
            let after = try world.snapshot(pods: [pod])
            #expect(after == before, "\(after.difference(from: before))")
            // A NIC dedicated to VMs works, as before.
            let vm = try world.install(["type": "macvtap", "master": "eth1", "mode": mode, "dataDir": world.runDir], name: "vm-nic")
            let identity = PodIdentity.random()
            let add = try world.add(vm, pod: pod, identity: identity)
            #expect(add.succeeded, "\(add)")
            #expect(try world.del(vm, pod: pod, identity: identity).succeeded)
        }

        /// The admin's `macvtap.masters` list opens exactly the NICs it names, the node's own included.
        @Test func macvtapMastersOpenWhatTheAdminNames() throws {
            let world = try HostileWorld(policy: HostileWorld.policy(["macvtap": ["masters": ["eth0", "ens*"]]]))
            try world.uplink()
            try MacvtapWorld.nic(world.sandbox, "eth1")
            try MacvtapWorld.nic(world.sandbox, "ens2f0")
            let pod = try world.sandbox.pod()
            expectRefused(try world.add(try world.install(["type": "macvtap", "master": "eth1", "dataDir": world.sandbox.dir.path], name: "unlisted"), pod: pod),
                          naming: ["master", "eth1", "macvtap.masters"])
            for master in ["eth0", "ens2f0"] {
                let network = try world.install(["type": "macvtap", "master": master, "dataDir": world.sandbox.dir.path],
                                                name: "listed-\(master)")
                let identity = PodIdentity.random()
                let add = try world.add(network, pod: pod, identity: identity)
                #expect(add.succeeded, "\(master): \(add)")
                #expect(try world.del(network, pod: pod, identity: identity).succeeded)
            }
        }

        // MARK: 6. Write where it likes; 7. lock files

        /// `dataDir` outside the state directories (a decoy `/etc/cni/net.d`, a missing directory) is code 7 for
        /// every plugin and every command that keeps state, and nothing is created or removed there; GC of
        /// such a "dataDir" deletes none of the `*.json` files it holds.
        @Test(arguments: ["bridge", "macvtap", "layer2-overlay", "tuning"])
        func dataDirStaysInsideTheStateDirectories(type: String) throws {
            let world = try HostileWorld()
            try world.uplink()
            try MacvtapWorld.nic(world.sandbox, "eth1")
            let netd = try world.decoyDirectory("etc/cni/net.d")
            try world.decoy("etc/cni/net.d/00-cluster.conflist", "{}")
            try world.decoy("etc/cni/net.d/tenant-net/victim-eth0.json", "{}")
            let before = world.decoyTree()
            let pod = try world.sandbox.pod()
            var plugin: [String: Any] = ["type": type]
            switch type {
            case "macvtap": plugin["master"] = "eth1"
            case "layer2-overlay": (plugin["vni"], plugin["peers"]) = (4242, ["192.0.2.1"])
            default: break
            }
            for dataDir in [netd.path, world.decoys.appendingPathComponent("missing/state").path, "/var/lib/cni/../../\(netd.path)"] {
                plugin["dataDir"] = dataDir
                let network = try world.install(plugin)
                if type == "tuning" {
                    try Shell.must(["ip", "-n", pod, "link", "add", IfName.multus, "type", "veth", "peer", "name", "tp0"])
                }
                let identity = PodIdentity.random()
                let add = type == "tuning" ? try tuningAdd(world, network, pod, identity) : try world.add(network, pod: pod, identity: identity)
                expectRefused(add, naming: ["dataDir"])
                expectRefused(try world.del(network, pod: pod, identity: identity), naming: ["dataDir"])
                expectRefused(try world.cni.gc(network: network), naming: ["dataDir"])
                if type == "tuning" { try Shell.must(["ip", "-n", pod, "link", "del", IfName.multus]) }
            }
            #expect(world.decoyTree() == before, "a decoy changed")
        }

        /// Below an allowed directory, a symlink in the middle of `dataDir` is not followed (code 5), and
        /// what it points to stays empty.
        @Test func aSymlinkInsideDataDirIsNotFollowed() throws {
            let world = try HostileWorld(policy: HostileWorld.policy())
            let real = try world.decoyDirectory("real")
            try FileManager.default.createSymbolicLink(at: world.sandbox.dir.appendingPathComponent("link"), withDestinationURL: real)
            let pod = try world.sandbox.pod()
            let network = try world.install(["type": "bridge", "bridge": "br-sym",
                                             "dataDir": world.sandbox.dir.appendingPathComponent("link/records").path])
            expectRefused(try world.add(network, pod: pod), code: 5, naming: ["symlink"])
            #expect(world.decoyTree() == ["real/"])
            #expect(try world.node.links(ofKind: "veth") == [], "ADD did not roll back")
        }

        /// A config refused for its bridge name takes no lock: lock files are made only for configs that
        /// passed validation.
        @Test func refusedConfigsLeaveNoLockFile() throws {
            let world = try HostileWorld(policy: ["bridges": ["br-vm*"]])
            let pod = try world.sandbox.pod()
            let before = HostileWorld.lockFiles()
            let names = ["br-\(world.sandbox.id)-x", "evil\n\(world.sandbox.id)"]
            for (index, bridge) in names.enumerated() {
                let out = try world.add(try world.install(["type": "bridge", "bridge": bridge], name: "locks\(index)"), pod: pod)
                expectRefused(out, naming: ["bridge"])
            }
            let made = HostileWorld.lockFiles().subtracting(before).filter { $0.contains(world.sandbox.id) }
            #expect(made.isEmpty, "\(made)")
        }

        // MARK: the policy's other keys

        /// `bridges` limits the bridges a NAD may name; the default (no list) is any, as the reference.
        @Test func bridgesAllowedByName() throws {
            let world = try HostileWorld(policy: HostileWorld.policy(["bridges": ["br-vm*"]]))
            let pod = try world.sandbox.pod()
            expectRefused(try world.add(try world.install(["type": "bridge", "bridge": "br0"], name: "br0net"), pod: pod),
                          naming: ["bridge", "br0", "br-vm*"])
            #expect(try world.node.links(ofKind: "bridge") == [])
            let allowed = try world.install(["type": "bridge", "bridge": "br-vm1", "dataDir": world.sandbox.dir.path], name: "vmnet")
            let identity = PodIdentity.random()
            #expect(try world.add(allowed, pod: pod, identity: identity).succeeded)
            #expect(try world.del(allowed, pod: pod, identity: identity).succeeded)
        }

        /// `networks.<name>.namespaces`: only the listed pod namespaces (K8S_POD_NAMESPACE, from Multus) may
        /// attach; another one, or none, is code 7 and nothing is made; DEL works for anyone.
        @Test func namespacesAllowedPerNetwork() throws {
            let world = try HostileWorld(policy: HostileWorld.policy(["networks": ["l2net": ["namespaces": ["tenant-a"]]]]))
            let network = try world.install(["type": "bridge", "bridge": "br-ns", "dataDir": world.sandbox.dir.path], name: "l2net")
            let pod = try world.sandbox.pod()
            let intruder = PodIdentity(namespace: "tenant-b", name: "vm", containerID: PodIdentity.random().containerID, uid: "u")
            expectRefused(try world.cni.add(network: network, netns: pod, pod: intruder), naming: ["tenant-b", "networks.l2net.namespaces"])
            expectRefused(try world.cni.add(network: network, netns: pod, cniArgs: "IgnoreUnknown=1;K8S_POD_NAME=vm"),
                          naming: ["K8S_POD_NAMESPACE"])
            #expect(try world.node.links(ofKind: "veth") == [])
            #expect(try world.cni.del(network: network, netns: pod, pod: intruder).succeeded)
            let member = PodIdentity(namespace: "tenant-a", name: "vm", containerID: PodIdentity.random().containerID, uid: "u")
            #expect(try world.cni.add(network: network, netns: pod, pod: member).succeeded)
            #expect(try world.cni.del(network: network, netns: pod, pod: member).succeeded)
        }

        /// tuning is chained: run it alone with the prevResult libcni would hand it.
        private func tuningAdd(_ world: HostileWorld, _ network: String, _ pod: String, _ identity: PodIdentity) throws -> CNIOutput {
            let prev: [String: Any] = ["cniVersion": "1.0.0", "interfaces": [["name": IfName.multus, "sandbox": Sandbox.path(ofNamespace: pod)]]]
            let env = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": identity.containerID, "CNI_IFNAME": IfName.multus,
                       "CNI_NETNS": Sandbox.path(ofNamespace: pod), "CNI_ARGS": identity.cniArgs()]
            return try world.cni.execPlugin("tuning", environment: env,
                                            stdin: try Fixtures.pluginConfig(network: network, in: world.sandbox, extra: ["prevResult": prev]))
        }
    }
}
