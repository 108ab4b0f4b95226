import Foundation
import Testing

/// Whether this kernel can run the bridge VLAN suites: bridge `vlan_filtering` and 802.1Q devices,
/// tried once in a throwaway namespace. The host kernel of this project's machines has neither (the
/// suites skip there, saying why); the stock-kernel VM lane has both.
enum VLANKernel {
    static let supported: Bool = {
        guard getuid() == 0 else { return false }
        let netns = "scni-vlanprobe-\(UInt32.random(in: 0...UInt32.max))"
        guard (try? Shell.run(["ip", "netns", "add", netns]))?.succeeded == true else { return false }
        defer { _ = try? Shell.run(["ip", "netns", "del", netns]) }
        let steps = [["link", "add", "b0", "type", "bridge", "vlan_filtering", "1"],
                     ["link", "add", "v0", "type", "veth", "peer", "name", "v1"],
                     ["link", "add", "link", "v0", "name", "v0.10", "type", "vlan", "id", "10"]]
        return steps.allSatisfy { (try? Shell.run(["ip", "-n", netns] + $0))?.succeeded == true }
    }()

    static let skipReason: Comment =
        "this kernel has no bridge VLAN filtering or 802.1Q: run it in the stock-kernel VM lane (make test-vm VM_SUITES='swift BridgeVLAN')"
}

/// Pods attached to one bridge through networks made from conf/bridge-vlan.conflist: the fixture as
/// the base network, variants of it (another VLAN, a trunk, ...) on the same bridge.
struct VLANWorld {
    let setup: BridgeSetup
    var base: String { setup.network }
    var node: NetState { setup.node }

    init(_ impl: Implementation, edit: (inout [String: Any]) -> Void = { _ in }) throws {
        setup = try BridgeSetup(impl, "bridge-vlan.conflist", edit: edit)
    }

    /// Installs a variant of the fixture named `name` (same bridge) and returns its name.
    @discardableResult
    func network(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let url = Fixtures.confDir.appendingPathComponent("bridge-vlan.conflist")
        guard var list = JSON.object(String(decoding: try Data(contentsOf: url), as: UTF8.self)),
              var plugins = list["plugins"] as? [[String: Any]] else { throw HarnessError("\(url.path) is not a conflist") }
        plugins.edit("bridge", edit)
        list["plugins"] = plugins
        list["name"] = name
        try Fixtures.write(list, as: "\(name).conflist", in: setup.sandbox)
        return name
    }

    /// A new pod netns attached through `network` as net1; `address` (CIDR), when given, is put on net1 by
    /// the test (L2 networks: the plugin gives none).
    func attach(_ network: String, _ suffix: String, address: String? = nil) throws -> Attached {
        let pod = try setup.sandbox.pod(suffix)
        let identity = PodIdentity.random()
        let add = try setup.cni.add(network: network, netns: pod, ifname: IfName.multus, pod: identity)
        try #require(add.succeeded, "ADD of \(suffix) to \(network): \(add)")
        let result = BridgeResult(add)
        let attached = Attached(network: network, pod: pod, identity: identity, add: add,
                                hostVeth: try #require(result.hostVeth, "\(add)"), mac: try #require(result.podMAC, "\(add)"))
        if let address { try Shell.must(["ip", "-n", pod, "addr", "add", address, "dev", IfName.multus]) }
        return attached
    }

    func check(_ pod: Attached) throws -> CNIOutput {
        try setup.cni.check(network: pod.network, netns: pod.pod, ifname: IfName.multus, pod: pod.identity)
    }

    func del(_ pod: Attached) throws -> CNIOutput {
        try setup.cni.del(network: pod.network, netns: pod.pod, ifname: IfName.multus, pod: pod.identity)
    }

    /// `bridge -j vlan show` in the node: every device's VLANs, one entry per ID ("10 pvid untagged", "1 untagged", "100 tagged").
    func vlans() throws -> [String: [String]] {
        let out = try node.exec(["bridge", "-j", "vlan", "show"])
        guard out.succeeded else { throw HarnessError("bridge vlan show failed: \(out)") }
        var result: [String: [String]] = [:]
        for device in JSON.parse(out.stdout) as? [[String: Any]] ?? [] {
            guard let name = device["ifname"] as? String else { continue }
            for entry in device["vlans"] as? [[String: Any]] ?? [] {
                let flags = entry["flags"] as? [String] ?? []
                let first = entry["vlan"] as? Int ?? 0, last = entry["vlanEnd"] as? Int ?? first
                let suffix = (flags.contains("PVID") ? " pvid" : "") + (flags.contains("Egress Untagged") ? " untagged" : flags.contains("PVID") ? "" : " tagged")
                result[name, default: []] += (first...max(first, last)).map { "\($0)\(suffix)" }
            }
        }
        return result
    }

    func vlans(of dev: String) throws -> [String] { try vlans()[dev] ?? [] }

    /// The bridge's `vlan_filtering` as `ip -d link` shows it.
    func vlanFiltering() throws -> Int? { try setup.snapshot(pod: nil, ifname: IfName.multus).bridge?.vlanFiltering }

    /// Makes `from` send unicast frames straight to `to`'s MAC (no ARP), so only the bridge decides
    /// whether they arrive: a "cannot reach" then proves the bridge dropped them.
    func pin(_ from: Attached, to address: String, of to: Attached, dev: String = IfName.multus) throws {
        try Shell.must(["ip", "-n", from.pod, "neigh", "replace", address, "lladdr", to.mac, "dev", dev, "nud", "permanent"])
    }
}

/// One pod attached by `VLANWorld.attach`.
struct Attached {
    let network: String
    let pod: String
    let identity: PodIdentity
    let add: CNIOutput
    let hostVeth: String
    let mac: String
}
