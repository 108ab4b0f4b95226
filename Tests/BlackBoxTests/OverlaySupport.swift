import Foundation
import Testing

/// The underlay the overlay tests build between their "nodes".
enum UnderlayFamily: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case ipv4, ipv6

    /// Node `index`'s underlay address (1-based): 192.0.2.<index> or 2001:db8::<index>.
    func address(_ index: Int) -> String { self == .ipv4 ? "192.0.2.\(index)" : "2001:db8::\(index)" }
    var prefixLength: Int { self == .ipv4 ? 24 : 64 }
    /// Geneve's overhead on this underlay (DESIGN.md): outer IP + UDP + Geneve + inner Ethernet.
    var overhead: Int { self == .ipv4 ? 50 : 70 }
    var testDescription: String { rawValue }
}

/// One Geneve tunnel as `ip -d -j link` and `bridge -d -j link` show it.
struct Tunnel: Equatable, CustomStringConvertible {
    var name: String
    var vni: Int?
    var remote: String?
    var port: Int?
    var mtu: Int?
    var master: String?
    var up: Bool
    var isolated: Bool?

    var description: String {
        "\(name): vni \(vni.map(String.init) ?? "-") remote \(remote ?? "-") port \(port.map(String.init) ?? "-") "
            + "mtu \(mtu.map(String.init) ?? "-") master \(master ?? "-") up \(up) isolated \(isolated.map(String.init) ?? "-")"
    }
}

/// A "node": a sandbox whose node netns has an underlay NIC (`eth0`) and the overlay network installed from
/// `conf/layer2-overlay.conflist`; the plugin runs inside it through the libcni runner.
struct OverlayNode {
    let index: Int
    let sandbox: Sandbox
    let cni: CNI
    let network: String
    var netns: String { sandbox.node }
    var state: NetState { NetState(netns: sandbox.node) }
    /// Our attachment records of the network (Fixtures points `dataDir` to the parent).
    var records: URL { sandbox.dir.appendingPathComponent("layer2-overlay").appendingPathComponent(network) }

    func add(_ pod: String, _ ifname: String, _ identity: PodIdentity, capArgs: [String: Any]? = nil) throws -> CNIOutput {
        try cni.add(network: network, netns: pod, ifname: ifname, pod: identity, capArgs: capArgs)
    }

    func check(_ pod: String, _ ifname: String, _ identity: PodIdentity) throws -> CNIOutput {
        try cni.check(network: network, netns: pod, ifname: ifname, pod: identity)
    }

    func del(_ pod: String, _ ifname: String, _ identity: PodIdentity) throws -> CNIOutput {
        try cni.del(network: network, netns: pod, ifname: ifname, pod: identity)
    }

    func gc(keeping attachments: [Attachment] = []) throws -> CNIOutput {
        try cni.gc(network: network, attachments: attachments.map { ($0.pod.containerID, $0.ifname) })
    }

    /// Runs the plugin directly (no libcni) with the installed config, `extra` keys merged in, e.g. to ask
    /// for cniVersion 1.1.0, which libcni 1.1.2 does not speak.
    func exec(_ command: String, pod: String?, ifname: String, identity: PodIdentity,
              extra: [String: Any] = [:]) throws -> CNIOutput {
        let env = ["CNI_COMMAND": command, "CNI_CONTAINERID": identity.containerID, "CNI_IFNAME": ifname,
                   "CNI_NETNS": pod.map(Sandbox.path(ofNamespace:)) ?? "", "CNI_ARGS": identity.cniArgs(),
                   "CNI_PATH": cni.cniPath]
        return try cni.execPlugin("layer2-overlay", environment: env,
                                  stdin: try Fixtures.pluginConfig(network: network, in: sandbox, extra: extra))
    }

    /// Every Geneve device of the node, sorted by name.
    func tunnels() throws -> [Tunnel] {
        let links = try state.links()
        let ports = try state.bridgePorts()
        return links.filter { ($0["linkinfo"] as? [String: Any])?["info_kind"] as? String == "geneve" }.map { raw in
            let data = (raw["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any] ?? [:]
            let name = raw["ifname"] as? String ?? "?"
            return Tunnel(name: name, vni: data["id"] as? Int, remote: (data["remote"] ?? data["remote6"]) as? String,
                          port: data["port"] as? Int, mtu: raw["mtu"] as? Int, master: raw["master"] as? String,
                          up: (raw["flags"] as? [String] ?? []).contains("UP"),
                          isolated: ports.first { $0["ifname"] as? String == name }?["isolated"] as? Bool)
        }.sorted { $0.name < $1.name }
    }

    /// Names of every link in the node netns, sorted.
    func linkNames() throws -> [String] { try state.links().compactMap { $0["ifname"] as? String }.sorted() }

    /// Names of the records left in `dataDir` (none when the directory does not exist).
    func recordFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: records.path)) ?? []).sorted()
    }
}

/// Nodes on one underlay: a throwaway netns holding a bridge (`ul`), and per node a veth from its `eth0`
/// to that bridge, with the node's underlay address. Every node gets the same network config, with the
/// peers (default: every node's address), a shared `peersFile` in the first sandbox (every node's policy
/// names that sandbox as its peers directory), and `port`.
/// The namespaces go with the sandboxes, also when a test fails.
final class OverlayCluster {
    static let fixture = "layer2-overlay.conflist"
    let family: UnderlayFamily
    let nodes: [OverlayNode]
    let underlay: String
    let peersFile: URL
    let port: Int

    init(_ family: UnderlayFamily, nodes count: Int, peers: [String]? = nil, port: Int = 7081, underlayMTU: Int = 1500,
         edit: (inout [String: Any]) -> Void = { _ in }, editPolicy: (inout [String: Any]) -> Void = { _ in }) throws {
        self.family = family
        self.port = port
        let sandboxes = try (1...count).map { _ in try Sandbox() }
        let underlay = try sandboxes[0].pod("underlay")
        let peersFile = sandboxes[0].dir.appendingPathComponent("l2net.peers")
        try Data("# more underlay IPs, one per line\n".utf8).write(to: peersFile)
        try Shell.must(["ip", "-n", underlay, "link", "add", "ul", "mtu", "\(underlayMTU)", "type", "bridge"])
        try Shell.must(["ip", "-n", underlay, "link", "set", "ul", "up"])
        let peerList = peers ?? (1...count).map(family.address)
        nodes = try sandboxes.enumerated().map { offset, sandbox in
            let index = offset + 1
            try Shell.must(["ip", "-n", sandbox.node, "link", "add", "eth0", "mtu", "\(underlayMTU)", "type", "veth",
                            "peer", "name", "n\(index)", "mtu", "\(underlayMTU)", "netns", underlay])
            try Shell.must(["ip", "-n", underlay, "link", "set", "n\(index)", "master", "ul", "up"])
            try Shell.must(["ip", "-n", sandbox.node, "addr", "add", "\(family.address(index))/\(family.prefixLength)", "dev", "eth0"]
                           + (family == .ipv6 ? ["nodad"] : []))
            try Shell.must(["ip", "-n", sandbox.node, "link", "set", "eth0", "up"])
            var policy = sandbox.testPolicy
            policy["peersDirectory"] = sandboxes[0].dir.path
            editPolicy(&policy)
            try sandbox.writePolicy(policy)
            let network = try Fixtures.install(Self.fixture, in: sandbox) { plugins in
                plugins.edit("layer2-overlay") { plugin in
                    plugin["peers"] = peerList
                    plugin["peersFile"] = peersFile.lastPathComponent
                    plugin["port"] = port
                    edit(&plugin)
                }
            }
            return OverlayNode(index: index, sandbox: sandbox, cni: try CNI(sandbox, .ours), network: network)
        }
        self.underlay = underlay
        self.peersFile = peersFile
    }

    /// Replaces the lines of the shared peersFile.
    func setExtraPeers(_ peers: [String]) throws {
        try Data((["# more underlay IPs, one per line"] + peers).joined(separator: "\n").appending("\n").utf8).write(to: peersFile)
    }

    /// A bridge-family table in the underlay netns counting what crosses it: UDP to `port`, and frames
    /// carrying the pods' own IPv4 subnet unencapsulated (which must stay at zero).
    func countUnderlayTraffic(podSubnet: String) throws {
        try Shell.must(["ip", "netns", "exec", underlay, "nft", "-f", "-"], stdin: """
            table bridge scni-underlay {
                chain forward {
                    type filter hook forward priority 0; policy accept;
                    udp dport \(port) counter
                    ip daddr \(podSubnet) counter
                }
            }
            """)
    }

    /// (Geneve packets to `port`, bare pod packets to `podSubnet`) counted so far.
    func underlayCounters(podSubnet: String) throws -> (geneve: Int, bare: Int) {
        let text = try Shell.must(["ip", "netns", "exec", underlay, "nft", "list", "table", "bridge", "scni-underlay"]).stdout
        func packets(after rule: String) -> Int? {
            guard let range = text.range(of: rule + " counter packets ") else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }
        guard let geneve = packets(after: "udp dport \(port)"), let bare = packets(after: "ip daddr \(podSubnet)") else {
            throw HarnessError("no counters in the underlay's table: \(text)")
        }
        return (geneve, bare)
    }
}

enum Ping {
    /// One echo from `netns` to `address` answered (up to `attempts` tries: the first may wait for ARP).
    /// `size` is ping's payload (`-s`); `dontFragment` sets DF (`-M do`).
    static func reaches(from netns: String, _ address: String, size: Int? = nil, dontFragment: Bool = false,
                        attempts: Int = 3) throws -> Bool {
        var argv = ["ip", "netns", "exec", netns, "ping", "-q", "-n", "-c", "1", "-W", "2"]
        if let size { argv += ["-s", "\(size)"] }
        if dontFragment { argv += ["-M", "do"] }
        for _ in 0..<attempts where try Shell.run(argv + [address]).succeeded { return true }
        return false
    }
}

/// Whether this kernel can make Geneve devices: tried in a throwaway netns (the host kernel of this
/// project cannot, Debian's stock kernel in the VM lane can).
enum GeneveKernel {
    static var available: Bool {
        get throws {
            try Environment.requireRoot()
            let name = "scni-probe-\(UInt32.random(in: 0...UInt32.max))"
            try Shell.must(["ip", "netns", "add", name])
            defer { _ = try? Shell.run(["ip", "netns", "del", name]) }
            return try Shell.run(["ip", "-n", name, "link", "add", "gnvprobe", "type", "geneve", "id", "1",
                                  "remote", "192.0.2.1"]).succeeded
        }
    }

    static let skipReason: Comment = "this kernel has no geneve: the stock-kernel VM lane runs it (make test-vm)"
}
