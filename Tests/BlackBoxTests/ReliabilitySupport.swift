import Foundation
import Testing

/// One plugin under the reliability suites (bad input, crashes, concurrency), run directly with the CNI
/// environment and a config on stdin. Every suite walks `ReliabilityPlugin.all`: adding a plugin
/// (layer2-overlay) is one more entry there.
struct ReliabilityPlugin: Sendable, CustomTestStringConvertible {
    /// The CNI `type`, which is also the executable's name.
    let type: String
    /// Config paths (dot-separated) where a custom MAC can be given, with the name the error must use.
    let macFields: [String]
    /// Plugin-specific bad input on top of the common catalog.
    let extraCases: [BadInput]
    /// Makes the world a valid ADD needs (a node NIC, the pod's interface for a chained plugin).
    let prepare: @Sendable (_ sandbox: Sandbox, _ pod: String) throws -> Void
    /// A valid plugin config (cniVersion 1.0.0) for an ADD into `pod` as `ifname`, data dirs in the sandbox.
    let config: @Sendable (_ sandbox: Sandbox, _ pod: String, _ ifname: String) throws -> [String: Any]
    /// The interface name of ADD: tuning changes the one its `prepare` made.
    var ifname: String = IfName.multus
    /// The pod's MTU after an ADD with `mtu: 0` (the overlay derives it from the underlay).
    var mtuForZero: Int = 1500
    /// GC with no valid attachment also removes what the network's pods share (the overlay's bridge and
    /// tunnels), where DEL leaves it.
    var gcRemovesSharedObjects = false

    var testDescription: String { type }

    static let all: [ReliabilityPlugin] = [.tuning, .bridge, .macvtap, .overlay]

    /// Chained after another plugin: `prepare` makes `net1` (a veth end) in the pod, the config carries
    /// a prevResult naming it. Changes MAC, MTU, promisc, allmulti, txqueuelen and two sysctls.
    static let tuning = ReliabilityPlugin(
        type: "tuning", macFields: ["mac", "args.cni.mac", "runtimeConfig.mac"],
        extraCases: [
            .config("sysctl key outside net", code: 7, naming: ["sysctl", "kernel.hostname"]) {
                $0["sysctl"] = ["kernel.hostname": "swift-cni"]
            },
            .config("sysctl key with ..", code: 7, naming: ["sysctl", "net/../kernel/hostname"]) {
                $0["sysctl"] = ["net/../kernel/hostname": "swift-cni"]
            },
            .config("sysctl key climbing out of net", code: 7, naming: ["sysctl", "net.ipv4.conf.all/../../../kernel/hostname"]) {
                $0["sysctl"] = ["net.ipv4.conf.all/../../../kernel/hostname": "swift-cni"]
            },
            .config("absolute sysctl path", code: 7, naming: ["sysctl", "/proc/sys/net/ipv4/ip_forward"]) {
                $0["sysctl"] = ["/proc/sys/net/ipv4/ip_forward": "1"]
            },
            .config("txQLen negative", code: 7, naming: ["txQLen"]) { $0["txQLen"] = -1 },
            .config("args.cni.mtu 70000", code: 7, naming: ["args.cni.mtu"]) { $0["args"] = ["cni": ["mtu": 70000]] },
            .config("no prevResult", code: 7, naming: ["prevResult"]) { $0.removeValue(forKey: "prevResult") },
        ],
        prepare: { _, pod in
            try Shell.must(["ip", "-n", pod, "link", "add", "name", "net1", "type", "veth", "peer", "name", "net1p"])
        },
        config: { sandbox, pod, ifname in
            ["cniVersion": "1.0.0", "name": "rel-tuning", "type": "tuning", "dataDir": sandbox.tuningDir.path,
             "mac": "c2:00:00:00:00:42", "mtu": 1400, "promisc": true, "allmulti": true, "txQLen": 2000,
             "sysctl": ["net.ipv4.conf.all.arp_filter": "1", "net.ipv4.conf.IFNAME.arp_ignore": "2"],
             "prevResult": ["cniVersion": "1.0.0",
                            "interfaces": [["name": ifname, "sandbox": Sandbox.path(ofNamespace: pod)]]]]
        })

    /// `br-spoof-check`: a new bridge with a gateway address, host-local, MAC and IP spoof check; records.
    static let bridge = ReliabilityPlugin(
        type: "bridge", macFields: ["runtimeConfig.mac", "args.cni.mac"],
        extraCases: [
            .config("vlan 4095", code: 7, naming: ["vlan", "4095"]) { $0["vlan"] = 4095 },
            .config("vlan -1", code: 7, naming: ["vlan"]) { $0["vlan"] = -1 },
            .config("vlanTrunk id 4095", code: 7, naming: ["vlanTrunk", "4095"]) { $0["vlanTrunk"] = [["id": 4095]] },
            .config("vlanTrunk minID above maxID", code: 7, naming: ["vlanTrunk", "minID"]) {
                $0["vlanTrunk"] = [["minID": 20, "maxID": 10]]
            },
            .config("vlan inside its own vlanTrunk", code: 7, naming: ["vlan", "vlanTrunk"]) {
                $0["vlan"] = 10
                $0["vlanTrunk"] = [["minID": 5, "maxID": 20]]
            },
            .config("hairpinMode with promiscMode", code: 7, naming: ["hairpinMode", "promiscMode"]) {
                $0["hairpinMode"] = true
                $0["promiscMode"] = true
            },
            .config("bridge name too long", code: 7, naming: ["bridge"]) { $0["bridge"] = "br-0123456789abcdef" },
            .config("bridge name with /", code: 7, naming: ["bridge"]) { $0["bridge"] = "br/x" },
            .config("macspoofchk a string", code: 7, naming: ["macspoofchk"]) { $0["macspoofchk"] = "yes" },
            .config("ipMasqBackend unknown", code: 7, naming: ["ipMasqBackend"]) { $0["ipMasqBackend"] = "pf" },
            .config("ipspoofchkLinkLocal unknown", code: 7, naming: ["ipspoofchkLinkLocal", "eui64", "any"]) {
                $0["ipspoofchkLinkLocal"] = "stable"
            },
        ],
        prepare: { _, _ in },
        config: { sandbox, _, _ in
            ["cniVersion": "1.0.0", "name": "rel-bridge", "type": "bridge", "bridge": "br-rel", "isGateway": true,
             "macspoofchk": true, "ipspoofchk": true, "dataDir": sandbox.dir.appendingPathComponent("bridge").path,
             "ipam": ["type": "host-local", "subnet": "10.250.12.0/24", "dataDir": sandbox.ipamDir.path]]
        })

    /// Standalone macvtap on a fake node NIC (a veth end); records.
    static let macvtap = ReliabilityPlugin(
        type: "macvtap", macFields: ["mac", "args.cni.mac", "runtimeConfig.mac"],
        extraCases: [
            .config("mode source", code: 7, naming: ["mode"]) { $0["mode"] = "source" },
            .config("mode unknown", code: 7, naming: ["mode"]) { $0["mode"] = "bogus" },
            .config("no master and no deviceID", code: 7, naming: ["master"]) { $0.removeValue(forKey: "master") },
            .config("master that does not exist", code: 7, naming: ["master", "nic9"]) { $0["master"] = "nic9" },
            .config("deviceID without its macvtap", code: 7, naming: ["deviceID"]) { $0["deviceID"] = "dataplaneMvp9" },
            .config("owner negative", code: 7, naming: ["owner"]) { $0["owner"] = -5 },
            .config("old cniVersion for ADD", code: 1, naming: ["cniVersion"]) {
                $0["cniVersion"] = "0.2.0"
                $0.removeValue(forKey: "prevResult")
            },
        ],
        prepare: { sandbox, _ in try MacvtapWorld.nic(sandbox) },
        config: { sandbox, _, _ in
            ["cniVersion": "1.0.0", "name": "rel-macvtap", "type": "macvtap", "master": "nic0", "mode": "bridge",
             "mtu": 1500, "dataDir": sandbox.dir.appendingPathComponent("macvtap").path]
        })
}

extension ReliabilityPlugin {
    /// `layer2-overlay` on a node whose only peer is its own underlay address (192.0.2.1 on a veth end), so it
    /// runs on kernels without Geneve: bridge, pod port, host-local, MAC and IP spoof check, records.
    static let overlay = ReliabilityPlugin(
        type: "layer2-overlay", macFields: ["runtimeConfig.mac", "args.cni.mac"],
        extraCases: [
            .config("vni missing", code: 7, naming: ["vni"]) { $0.removeValue(forKey: "vni") },
            .config("vni 0", code: 7, naming: ["vni", "0"]) { $0["vni"] = 0 },
            .config("vni 2^24", code: 7, naming: ["vni", "16777216"]) { $0["vni"] = 16_777_216 },
            .config("vni a string", code: 7, naming: ["vni"]) { $0["vni"] = "4242" },
            .config("peer not an IP", code: 7, naming: ["peers[1]", "node-b"]) { $0["peers"] = ["192.0.2.1", "node-b"] },
            .config("peer with a prefix", code: 7, naming: ["peers[0]", "192.0.2.1/24"]) { $0["peers"] = ["192.0.2.1/24"] },
            .config("peers not a list", code: 7, naming: ["peers"]) { $0["peers"] = "192.0.2.1" },
            .config("no peers at all", code: 7, naming: ["peers"]) { $0["peers"] = [String]() },
            .config("peersFile a path", code: 7, naming: ["peersFile", "/etc/shadow", "file name"]) { $0["peersFile"] = "/etc/shadow" },
            .config("peersFile missing", code: 7, naming: ["peersFile", "nonexistent.peers"]) { $0["peersFile"] = "nonexistent.peers" },
            .config("port the policy does not allow", code: 7, naming: ["port", "53", "overlay.ports"]) { $0["port"] = 53 },
            .config("more peers than the policy allows", code: 7, naming: ["peers", "overlay.maxPeers"]) {
                $0["peers"] = (0..<5000).map { "10.9.\($0 >> 8).\($0 & 255)" }
            },
            .config("port 0", code: 7, naming: ["port", "0"]) { $0["port"] = 0 },
            .config("port 65536", code: 7, naming: ["port", "65536"]) { $0["port"] = 65536 },
            .config("port -1", code: 7, naming: ["port"]) { $0["port"] = -1 },
            .config("bridge name too long", code: 7, naming: ["bridge"]) { $0["bridge"] = "l2o-0123456789abcdef" },
            .config("macspoofchk a string", code: 7, naming: ["macspoofchk"]) { $0["macspoofchk"] = "yes" },
            .config("ipspoofchkLinkLocal not a string", code: 7, naming: ["ipspoofchkLinkLocal"]) { $0["ipspoofchkLinkLocal"] = true },
        ],
        prepare: { sandbox, _ in
            try MacvtapWorld.nic(sandbox)
            try Shell.must(["ip", "-n", sandbox.node, "addr", "add", "192.0.2.1/24", "dev", "nic0"])
        },
        config: { sandbox, _, _ in
            ["cniVersion": "1.0.0", "name": "rel-overlay", "type": "layer2-overlay", "vni": 4242, "peers": ["192.0.2.1"],
             "macspoofchk": true, "ipspoofchk": true, "dataDir": sandbox.dir.appendingPathComponent("layer2-overlay").path,
             "ipam": ["type": "host-local", "subnet": "10.250.13.0/24", "dataDir": sandbox.ipamDir.path]]
        },
        mtuForZero: 1450, gcRemovesSharedObjects: true)
}

/// One bad (or borderline valid) input: how it changes a valid invocation and what must come back.
struct BadInput: Sendable {
    let name: String
    /// The CNI error code; nil when the input is valid and ADD must succeed.
    let code: Int?
    /// What the error message must name (case-insensitively), e.g. the field or variable.
    let naming: [String]
    let change: @Sendable (inout Invocation) -> Void

    static func config(_ name: String, code: Int?, naming: [String],
                       _ change: @escaping @Sendable (inout [String: Any]) -> Void) -> BadInput {
        BadInput(name: name, code: code, naming: naming) { change(&$0.config) }
    }

    static func env(_ name: String, code: Int?, naming: [String],
                    _ change: @escaping @Sendable (inout [String: String]) -> Void) -> BadInput {
        BadInput(name: name, code: code, naming: naming) { change(&$0.environment) }
    }
}

/// A direct plugin run: environment and config (or raw stdin, which wins when set).
struct Invocation {
    var environment: [String: String]
    var config: [String: Any]
    var rawStdin: String?

    func stdin() throws -> String { try rawStdin ?? JSON.string(config) }
}

/// A sandbox with one pod prepared for one plugin, and direct runs of that plugin.
struct ReliabilityWorld {
    let plugin: ReliabilityPlugin
    let sandbox: Sandbox
    let cni: CNI
    let pod: String

    init(_ plugin: ReliabilityPlugin) throws {
        self.plugin = plugin
        sandbox = try Sandbox()
        cni = try CNI(sandbox, .ours)
        pod = try sandbox.pod()
        try plugin.prepare(sandbox, pod)
    }

    /// A valid ADD (or `command`) of attachment `identity`.
    func invocation(_ command: String = "ADD", identity: PodIdentity, netns: String? = nil) throws -> Invocation {
        let env = ["CNI_COMMAND": command, "CNI_CONTAINERID": identity.containerID, "CNI_IFNAME": plugin.ifname,
                   "CNI_NETNS": Sandbox.path(ofNamespace: netns ?? pod), "CNI_ARGS": identity.cniArgs(),
                   "CNI_PATH": cni.cniPath]
        return Invocation(environment: env, config: try plugin.config(sandbox, netns ?? pod, plugin.ifname))
    }

    func run(_ invocation: Invocation) throws -> CNIOutput {
        try cni.execPlugin(plugin.type, environment: invocation.environment, stdin: try invocation.stdin())
    }

    func add(_ identity: PodIdentity, extraEnvironment: [String: String] = [:]) throws -> CNIOutput {
        var call = try invocation("ADD", identity: identity)
        call.environment.merge(extraEnvironment) { $1 }
        return try run(call)
    }

    /// DEL as a runtime sends it: the ADD's config, CNI_NETNS given unless `netnsGone`.
    func del(_ identity: PodIdentity, netnsGone: Bool = false) throws -> CNIOutput {
        var call = try invocation("DEL", identity: identity)
        if netnsGone { call.environment["CNI_NETNS"] = "" }
        return try run(call)
    }

    /// GC with cniVersion 1.1.0 and the given still-valid attachments (none: everything is stale).
    func gc(valid: [PodIdentity] = []) throws -> CNIOutput {
        var config = try plugin.config(sandbox, pod, plugin.ifname)
        config["cniVersion"] = "1.1.0"
        config.removeValue(forKey: "prevResult")
        config["cni.dev/valid-attachments"] = valid.map { ["containerID": $0.containerID, "ifname": plugin.ifname] }
        return try cni.execPlugin(plugin.type, environment: ["CNI_COMMAND": "GC", "CNI_PATH": cni.cniPath],
                                  stdin: try JSON.string(config))
    }

    func snapshot() throws -> WorldSnapshot { try WorldSnapshot.take(sandbox, pods: [pod]) }
}

/// Everything a plugin could leave behind, as text lines so a difference reads well: links (kind, MTU,
/// MAC, flags, master, txqueuelen) and global addresses in the node and the pods, a few per-netns
/// sysctls tuning and bridge change, the node's nftables ruleset, and every file under the sandbox's
/// data dirs (records, tuning backups, host-local allocations).
struct WorldSnapshot: Equatable, CustomStringConvertible {
    var lines: [String]

    var description: String { "\n  " + lines.joined(separator: "\n  ") }

    /// The lines in `self` but not in `other`, and the other way round.
    func difference(from other: WorldSnapshot) -> String {
        let mine = Set(lines), theirs = Set(other.lines)
        let added = lines.filter { !theirs.contains($0) }, removed = other.lines.filter { !mine.contains($0) }
        return "now there: \(added)\ngone: \(removed)"
    }

    static let sysctls = ["net.ipv4.ip_forward"]

    /// One shell per netns (the suites take many snapshots): links, addresses, per-interface
    /// arp_filter/arp_ignore (incl. all and default), `sysctls`, the nftables ruleset; `@@` between them.
    static let script = """
        ip -d -j link show; echo @@; ip -j addr show; echo @@
        for d in /proc/sys/net/ipv4/conf/*; do echo "conf.${d##*/}.arp_filter,arp_ignore=$(cat $d/arp_filter),$(cat $d/arp_ignore)"; done
        echo @@
        for k in \(sysctls.joined(separator: " ")); do echo "$k=$(cat /proc/sys/$(echo $k | tr . /))"; done
        echo @@; nft list ruleset
        """

    static func take(_ sandbox: Sandbox, pods: [String]) throws -> WorldSnapshot {
        var lines: [String] = []
        for netns in [sandbox.node] + pods {
            let label = netns == sandbox.node ? "node" : "pod \(netns)"
            let parts = try Shell.must(["ip", "netns", "exec", netns, "sh", "-c", script]).stdout.components(separatedBy: "@@\n")
            guard parts.count == 5 else { throw HarnessError("snapshot of \(netns): unexpected output \(parts)") }
            for link in JSON.parse(parts[0]) as? [[String: Any]] ?? [] {
                let name = link["ifname"] as? String ?? "?"
                let kind = (link["linkinfo"] as? [String: Any])?["info_kind"] as? String ?? "-"
                let flags = (link["flags"] as? [String] ?? []).filter { !["LOWER_UP", "NO-CARRIER", "M-DOWN"].contains($0) }
                lines.append("\(label) link \(name) kind=\(kind) mtu=\(link["mtu"] as? Int ?? 0) mac=\(link["address"] as? String ?? "-") "
                    + "flags=\(flags.sorted().joined(separator: ",")) master=\(link["master"] as? String ?? "-") "
                    + "txqlen=\(link["txqlen"] as? Int ?? -1) promiscuity=\(link["promiscuity"] as? Int ?? 0) "
                    + "allmulti=\(link["allmulti"] as? Int ?? 0)")
            }
            for entry in JSON.parse(parts[1]) as? [[String: Any]] ?? [] {
                let dev = entry["ifname"] as? String ?? "?"
                for info in entry["addr_info"] as? [[String: Any]] ?? [] where info["scope"] as? String == "global" {
                    lines.append("\(label) address \(dev) \(info["local"] as? String ?? "?")/\(info["prefixlen"] as? Int ?? 0)")
                }
            }
            for (part, what) in zip(parts[2...4], ["sysctl", "sysctl", "nft"]) {
                lines += part.split(separator: "\n").map { "\(label) \(what) \($0.trimmingCharacters(in: .whitespaces))" }
            }
        }
        lines += files(under: sandbox.dir, skipping: ["net.d", "cache", "policy.json"]).map { "file \($0)" }
        return WorldSnapshot(lines: lines.sorted())
    }

    /// Relative paths of the regular files below `root`; host-local's `lock` (it keeps it) left out.
    static func files(under root: URL, skipping: Set<String>) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var paths: [String] = []
        while let path = walker.nextObject() as? String {
            if let top = path.split(separator: "/").first, skipping.contains(String(top)) { continue }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory),
                  !isDirectory.boolValue, !path.hasSuffix("/lock") else { continue }
            paths.append(path)
        }
        return paths.sorted()
    }
}

/// Knobs of the reliability suites, from the environment.
enum ReliabilityKnobs {
    /// `RELIABILITY_ROUNDS`: how often the concurrency rounds repeat (default 20, what `make test` runs;
    /// fewer for a quick local run; 1 in the VM lane).
    static var rounds: Int {
        Environment.env["RELIABILITY_ROUNDS"].flatMap(Int.init).map { max(1, $0) } ?? (inVM ? 1 : 20)
    }

    /// Inside the stock-kernel guest (Tests/vm/run.sh sets SCNI_VM): software emulation, one vCPU, about ten
    /// times slower, so the rounds default to 1 and the overlay's concurrency runs its 24-pod case only.
    static var inVM: Bool { Environment.env["SCNI_VM"] != nil }

    /// Pod counts of the overlay's concurrency test: 24 and 96 on the host, 24 in the VM lane.
    static var overlayPodCounts: [Int] { inVM ? [24] : [24, 96] }

    static var oursEnabled: Bool { Implementation.enabled.contains(.ours) }
}
