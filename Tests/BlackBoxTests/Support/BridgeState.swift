import Foundation

/// The observable state that a `bridge` ADD leaves in the node and pod netns, normalised so that
/// two implementations can be compared with `==`:
/// - host veth names are abstracted (ours are derived from container id + ifname, the reference's
///   are random `veth<8 hex>`): ports are listed by their properties, routes say `<host-veth>`;
/// - MACs the kernel or the plugin picked at random read `auto`; MACs the test asked for are kept;
/// - only global addresses and non-link-local routes are kept (IPv6 link-local ones derive from
///   random MACs and appear with timing that depends on carrier).
struct BridgeSnapshot: Equatable, CustomStringConvertible {
    struct Bridge: Equatable {
        var kind: String?
        var mtu: Int?
        var up: Bool
        var promisc: Bool
        var stpState: Int?
        var vlanFiltering: Int?
        var addresses: [String]
    }

    /// A link enslaved to the bridge, as `ip -d link` and `bridge -d link` show it.
    struct Port: Equatable, Comparable, CustomStringConvertible {
        var kind: String?
        var mac: String
        var mtu: Int?
        var up: Bool
        var hairpin: Bool?
        var isolated: Bool?
        var learning: Bool?
        var state: String?
        var description: String {
            "kind=\(kind ?? "-") mac=\(mac) mtu=\(mtu.map(String.init) ?? "-") up=\(up) hairpin=\(hairpin.map(String.init) ?? "-") "
                + "isolated=\(isolated.map(String.init) ?? "-") learning=\(learning.map(String.init) ?? "-") state=\(state ?? "-")"
        }
        static func < (a: Port, b: Port) -> Bool { a.description < b.description }
    }

    struct PodInterface: Equatable {
        var name: String
        var kind: String?
        var mac: String
        var mtu: Int?
        var up: Bool
        var addresses: [String]
    }

    var bridge: Bridge?
    var ports: [Port]
    var nodeRoutes: [String]
    var pod: PodInterface?
    var podRoutes: [String]
    /// The node netns' `net.ipv4.ip_forward` (the reference turns it on for `isGateway`).
    var nodeIPForward: String = ""

    /// Host veth names seen (not part of `==`: they differ by design).
    var hostVeths: [String] = []

    static func == (a: BridgeSnapshot, b: BridgeSnapshot) -> Bool {
        a.bridge == b.bridge && a.ports == b.ports && a.nodeRoutes == b.nodeRoutes && a.pod == b.pod
            && a.podRoutes == b.podRoutes && a.nodeIPForward == b.nodeIPForward
    }

    /// The same snapshot with the pod interface's admin state replaced (for `disableContainerInterface`,
    /// which the reference 1.1.1 does not know).
    /// The same state with the pod end left down: its node-side port then has no carrier, and the
    /// bridge keeps it `disabled` instead of `forwarding`.
    func withPodDown() -> BridgeSnapshot {
        var copy = self
        copy.pod?.up = false
        for index in copy.ports.indices { copy.ports[index].state = "disabled" }
        return copy
    }

    var description: String {
        var lines: [String] = []
        if let bridge {
            lines.append("bridge: kind=\(bridge.kind ?? "-") mtu=\(bridge.mtu.map(String.init) ?? "-") up=\(bridge.up) "
                + "promisc=\(bridge.promisc) stp=\(bridge.stpState.map(String.init) ?? "-") "
                + "vlan_filtering=\(bridge.vlanFiltering.map(String.init) ?? "-") addresses=\(bridge.addresses)")
        } else {
            lines.append("bridge: none")
        }
        lines += ports.map { "port: \($0)" }
        lines += nodeRoutes.map { "node route: \($0)" }
        lines.append("node ip_forward: \(nodeIPForward)")
        if let pod {
            lines.append("pod: \(pod.name) kind=\(pod.kind ?? "-") mac=\(pod.mac) mtu=\(pod.mtu.map(String.init) ?? "-") "
                + "up=\(pod.up) addresses=\(pod.addresses)")
        } else {
            lines.append("pod: none")
        }
        lines += podRoutes.map { "pod route: \($0)" }
        return "\n" + lines.joined(separator: "\n")
    }

    /// Reads the state of bridge `bridge` in `node` and of `ifname` in `pod` (nil: no pod side).
    /// `knownMACs` are kept as they are (lowercased); every other MAC reads `auto`.
    static func take(node: String, bridge bridgeName: String, pod: String?, ifname: String,
                     knownMACs: Set<String> = []) throws -> BridgeSnapshot {
        let known = Set(knownMACs.map { $0.lowercased() })
        let label = { (mac: String?) -> String in
            guard let mac = mac?.lowercased() else { return "-" }
            return known.contains(mac) ? mac : "auto"
        }
        let nodeState = NetState(netns: node)
        let links = try nodeState.links()
        let bridgeLink = links.first { $0["ifname"] as? String == bridgeName }
        let portDetails = try nodeState.bridgePorts()

        var bridge: Bridge?
        if let raw = bridgeLink {
            let info = raw["linkinfo"] as? [String: Any]
            let data = info?["info_data"] as? [String: Any]
            bridge = Bridge(kind: info?["info_kind"] as? String, mtu: raw["mtu"] as? Int,
                            up: flags(raw).contains("UP"), promisc: (raw["promiscuity"] as? Int ?? 0) > 0,
                            stpState: data?["stp_state"] as? Int, vlanFiltering: data?["vlan_filtering"] as? Int,
                            addresses: try globalAddresses(netns: node, dev: bridgeName))
        }
        let enslaved = links.filter { $0["master"] as? String == bridgeName }
        let hostVeths = enslaved.compactMap { $0["ifname"] as? String }
        let ports = enslaved.map { raw -> Port in
            let name = raw["ifname"] as? String
            let detail = portDetails.first { $0["ifname"] as? String == name }
            return Port(kind: (raw["linkinfo"] as? [String: Any])?["info_kind"] as? String, mac: label(raw["address"] as? String),
                        mtu: raw["mtu"] as? Int, up: flags(raw).contains("UP"), hairpin: detail?["hairpin"] as? Bool,
                        isolated: detail?["isolated"] as? Bool, learning: detail?["learning"] as? Bool,
                        state: detail?["state"] as? String)
        }.sorted()
        let rename = { (dev: String) -> String in hostVeths.contains(dev) ? "<host-veth>" : dev }
        let nodeRoutes = try routes(netns: node, rename: rename)

        var podInterface: PodInterface?
        var podRoutes: [String] = []
        if let pod, let raw = try NetState(netns: pod).links().first(where: { $0["ifname"] as? String == ifname }) {
            podInterface = PodInterface(name: ifname, kind: (raw["linkinfo"] as? [String: Any])?["info_kind"] as? String,
                                        mac: label(raw["address"] as? String), mtu: raw["mtu"] as? Int,
                                        up: flags(raw).contains("UP"),
                                        addresses: try globalAddresses(netns: pod, dev: ifname))
            podRoutes = try routes(netns: pod, rename: { $0 })
        }
        var snapshot = BridgeSnapshot(bridge: bridge, ports: ports, nodeRoutes: nodeRoutes, pod: podInterface,
                                      podRoutes: podRoutes)
        snapshot.hostVeths = hostVeths
        snapshot.nodeIPForward = try nodeState.sysctl("net.ipv4.ip_forward")
        return snapshot
    }

    private static func flags(_ raw: [String: Any]) -> [String] { raw["flags"] as? [String] ?? [] }

    private static func globalAddresses(netns: String, dev: String) throws -> [String] {
        let out = try Shell.run(["ip", "-n", netns, "-j", "addr", "show", "dev", dev])
        guard out.succeeded, let list = JSON.parse(out.stdout) as? [[String: Any]] else { return [] }
        return list.flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
            .filter { $0["scope"] as? String == "global" }
            .compactMap { info in
                guard let local = info["local"] as? String, let prefix = info["prefixlen"] as? Int else { return nil }
                return "\(local)/\(prefix)"
            }.sorted()
    }

    /// Main-table routes, IPv4 and IPv6, without IPv6 link-local and multicast ones.
    private static func routes(netns: String, rename: (String) -> String) throws -> [String] {
        var result: [String] = []
        for family in ["-4", "-6"] {
            let out = try Shell.must(["ip", "-n", netns, "-j", family, "route", "show", "table", "main"])
            for route in JSON.parse(out.stdout) as? [[String: Any]] ?? [] {
                let dst = route["dst"] as? String ?? "?"
                if dst.hasPrefix("fe80:") || dst.hasPrefix("ff00:") || dst.hasPrefix("multicast") { continue }
                var text = dst
                if let gateway = route["gateway"] as? String { text += " via \(gateway)" }
                if let dev = route["dev"] as? String { text += " dev \(rename(dev))" }
                if let proto = route["protocol"] as? String { text += " proto \(proto)" }
                if let scope = route["scope"] as? String { text += " scope \(scope)" }
                if let src = route["prefsrc"] as? String { text += " src \(src)" }
                if let metric = route["metric"] as? Int { text += " metric \(metric)" }
                result.append(text)
            }
        }
        return result.sorted()
    }
}

extension NetState {
    /// `ip -j -d link show`: every link of the netns.
    func links() throws -> [[String: Any]] {
        let out = try Shell.must(["ip", "-n", netns, "-j", "-d", "link", "show"])
        return JSON.parse(out.stdout) as? [[String: Any]] ?? []
    }

    /// Names of the links of kind `kind` (e.g. veth, bridge) in the netns.
    func links(ofKind kind: String) throws -> [String] {
        try links().filter { ($0["linkinfo"] as? [String: Any])?["info_kind"] as? String == kind }
            .compactMap { $0["ifname"] as? String }.sorted()
    }

    /// Names of the links enslaved to `bridge`.
    func ports(of bridge: String) throws -> [String] {
        try links().filter { $0["master"] as? String == bridge }.compactMap { $0["ifname"] as? String }.sorted()
    }

    /// `bridge -j -d link show`: per-port flags (hairpin, isolated, learning, state).
    func bridgePorts() throws -> [[String: Any]] {
        let out = try exec(["bridge", "-j", "-d", "link", "show"])
        guard out.succeeded else { throw HarnessError("bridge link failed: \(out)") }
        return JSON.parse(out.stdout) as? [[String: Any]] ?? []
    }

    /// The port flags of one link from `bridge -j -d link show`.
    func bridgePort(_ dev: String) throws -> [String: Any]? {
        try bridgePorts().first { $0["ifname"] as? String == dev }
    }
}

/// The nftables ruleset of a netns, read with `nft -j list ruleset` (only to observe: the
/// reference needs the `nft` binary, ours must not).
enum Nft {
    static func ruleset(in netns: String) throws -> [[String: Any]] {
        let out = try Shell.must(["ip", "netns", "exec", netns, "nft", "-j", "list", "ruleset"])
        return (JSON.object(out.stdout)?["nftables"] as? [[String: Any]]) ?? []
    }

    /// "family name" of every table.
    static func tables(in netns: String) throws -> [String] {
        try ruleset(in: netns).compactMap { $0["table"] as? [String: Any] }
            .map { "\($0["family"] as? String ?? "?") \($0["name"] as? String ?? "?")" }
    }

    /// "family table name" of every chain.
    static func chains(in netns: String) throws -> [String] {
        try ruleset(in: netns).compactMap { $0["chain"] as? [String: Any] }
            .map { "\($0["family"] as? String ?? "?") \($0["table"] as? String ?? "?") \($0["name"] as? String ?? "?")" }
    }

    /// Every rule, as sorted-keys JSON text.
    static func rules(in netns: String) throws -> [String] {
        try ruleset(in: netns).compactMap { $0["rule"] }.map { try JSON.string($0) }
    }

    /// The rules whose JSON mentions any of `needles` (a MAC in `aa:bb:..` or `0xaabb..` form, a
    /// link name, a container id), case-insensitively.
    static func rules(in netns: String, mentioning needles: [String]) throws -> [String] {
        let forms = needles.filter { !$0.isEmpty }.flatMap { needle -> [String] in
            let lower = needle.lowercased()
            let isMAC = lower.split(separator: ":").count == 6 && lower.count == 17
            return isMAC ? [lower, "0x" + lower.replacingOccurrences(of: ":", with: "")] : [lower]
        }
        return try rules(in: netns).filter { rule in
            let text = rule.lowercased()
            return forms.contains { text.contains($0) }
        }
    }
}

extension Sandbox {
    /// IP addresses host-local holds for `network` (its files named after addresses).
    func hostLocalAllocations(network: String) -> [String] {
        let dir = ipamDir.appendingPathComponent(network)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.filter { $0 != "lock" && !$0.hasPrefix("last_reserved_ip") && ($0.contains(".") || $0.contains(":")) }
            .sorted()
    }
}

extension Fixtures {
    /// The config that plugin number `index` of an installed network gets on stdin when run directly
    /// (name and cniVersion of the list, plus `extra` keys), for `CNI.execPlugin`.
    static func pluginConfig(network: String, in sandbox: Sandbox, index: Int = 0,
                             extra: [String: Any] = [:]) throws -> String {
        for file in try FileManager.default.contentsOfDirectory(atPath: sandbox.confDir.path) {
            let data = FileManager.default.contents(atPath: sandbox.confDir.appendingPathComponent(file).path) ?? Data()
            guard let list = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  list["name"] as? String == network,
                  let plugins = list["plugins"] as? [[String: Any]], plugins.indices.contains(index) else { continue }
            var conf = plugins[index]
            conf["name"] = network
            conf["cniVersion"] = list["cniVersion"]
            conf.merge(extra) { $1 }
            return try JSON.string(conf)
        }
        throw HarnessError("network \(network) is not installed in \(sandbox.confDir.path)")
    }
}

/// Waits until `condition` holds (netns teardown in the kernel is asynchronous), up to `seconds`.
func eventually(seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if try condition() { return true }
        usleep(100_000)
    } while Date() < deadline
    return try condition()
}
