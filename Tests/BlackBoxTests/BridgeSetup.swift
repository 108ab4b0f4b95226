import Foundation
import Testing

/// What every `bridge` test needs: a sandbox (node netns where the bridge lives), the runner for one
/// implementation, one network installed from `conf/`, and readers for the state it leaves.
///
/// Reference = Debian containernetworking-plugins 1.1.1 (`/usr/lib/cni/bridge`). Where it differs from
/// what ours must do, the test says so next to an `impl == .reference` branch. The differences found:
/// - 1.1.1 does not know `disableContainerInterface` (nor `portIsolation`, `vlanTrunk`,
///   `preserveDefaultVlan`): it ignores them, so the pod side comes up and IPAM is allowed with it.
/// - CHECK of an L2-only config fails: code 999 "no plugin name provided" (it runs IPAM CHECK with
///   an empty type).
/// - DEL with the pod netns gone, or with an empty CNI_NETNS, releases IPAM but leaves the pod's
///   spoof-check rules (and, with an empty CNI_NETNS, the veth pair).
/// - DEL after KubeVirt renamed the pod interface deletes the leftover with the old name and leaves
///   the real veth pair (host veth still on the bridge).
/// - The last DEL leaves `table bridge nat` with an empty `PREROUTING` base chain.
/// - A failed IPAM leaves the veth pair (pod side down, host side on the bridge); its spoof-check
///   rules come after IPAM, so none leak there. host-local with an invalid range refuses DEL too.
/// - A bad MAC fails (999) only when the veth is made: the bridge has been created already.
/// - Wrong types are code 999 (ours: 7); both name the key.
/// - `macspoofchk` needs the `nft` binary on the node.
/// - Newer releases than 1.1.1 (which ours follows, README: bridge): DEL removes the veth before IPAM DEL
///   (v1.2.0), `keep_addr_on_down` on a pod interface with IPv6 (v1.7.0), `preserveDefaultVlan` false by
///   default and `vlan` with `vlanTrunk` (v1.8.0). Ours only: without `mtu` the veth takes the bridge's MTU.
/// VLAN (`vlan`, `vlanTrunk`, `preserveDefaultVlan`) needs bridge VLAN filtering and 802.1q, which this
/// kernel lacks: those cases (BridgeVLANTests.swift) run in the stock-kernel VM lane.
struct BridgeSetup {
    static let ifnames = [IfName.multus, IfName.kubevirt()]

    let sandbox: Sandbox
    let cni: CNI
    let impl: Implementation
    let network: String
    let bridge: String
    var node: NetState { NetState(netns: sandbox.node) }

    init(_ impl: Implementation, _ file: String, cniVersion: String? = nil,
         edit: (inout [String: Any]) -> Void = { _ in }) throws {
        self.impl = impl
        sandbox = try Sandbox()
        cni = try CNI(sandbox, impl)
        network = try Fixtures.install(file, in: sandbox, cniVersion: cniVersion) { plugins in
            plugins.edit("bridge", edit)
        }
        let conf = try #require(JSON.object(try Fixtures.pluginConfig(network: network, in: sandbox)))
        bridge = conf["bridge"] as? String ?? "cni0"
    }

    func add(_ pod: String, _ ifname: String, _ identity: PodIdentity, cniArgs: String? = nil,
             capArgs: [String: Any]? = nil) throws -> CNIOutput {
        try cni.add(network: network, netns: pod, ifname: ifname, pod: identity, cniArgs: cniArgs, capArgs: capArgs)
    }

    func check(_ pod: String, _ ifname: String, _ identity: PodIdentity) throws -> CNIOutput {
        try cni.check(network: network, netns: pod, ifname: ifname, pod: identity)
    }

    func del(_ pod: String, _ ifname: String, _ identity: PodIdentity, cniArgs: String? = nil,
             capArgs: [String: Any]? = nil) throws -> CNIOutput {
        try cni.del(network: network, netns: pod, ifname: ifname, pod: identity, cniArgs: cniArgs, capArgs: capArgs)
    }

    /// Runs the bridge binary directly (no libcni) with the installed config, `extra` keys merged in.
    func exec(_ command: String, netns: String?, ifname: String, identity: PodIdentity,
              extra: [String: Any] = [:], cniArgs: String? = nil) throws -> CNIOutput {
        var env = ["CNI_COMMAND": command, "CNI_CONTAINERID": identity.containerID, "CNI_IFNAME": ifname,
                   "CNI_NETNS": netns.map(Sandbox.path(ofNamespace:)) ?? "",
                   "CNI_ARGS": cniArgs ?? identity.cniArgs()]
        env["CNI_PATH"] = cni.cniPath
        return try cni.execPlugin("bridge", environment: env,
                                  stdin: try Fixtures.pluginConfig(network: network, in: sandbox, extra: extra))
    }

    func snapshot(pod: String?, ifname: String, knownMACs: Set<String> = []) throws -> BridgeSnapshot {
        try BridgeSnapshot.take(node: sandbox.node, bridge: bridge, pod: pod, ifname: ifname, knownMACs: knownMACs)
    }

    /// Host veths on the bridge, and every veth in the node netns.
    func ports() throws -> [String] { try node.ports(of: bridge) }
    func nodeVeths() throws -> [String] { try node.links(ofKind: "veth") }

    /// The spoof-check rules that mention a pod: its MAC, host veth or container id.
    func rules(mentioning needles: [String]) throws -> [String] {
        try Nft.rules(in: sandbox.node, mentioning: needles)
    }

    func allocations() -> [String] { sandbox.hostLocalAllocations(network: network) }
}

/// What an ADD result says about one attachment.
struct BridgeResult {
    let interfaces: [[String: Any]]
    let ips: [[String: Any]]

    init(_ add: CNIOutput) {
        interfaces = add.json?["interfaces"] as? [[String: Any]] ?? []
        ips = add.json?["ips"] as? [[String: Any]] ?? []
    }

    var hostVeth: String? { interfaces.count > 1 ? interfaces[1]["name"] as? String : nil }
    var podMAC: String? { interfaces.count > 2 ? (interfaces[2]["mac"] as? String)?.lowercased() : nil }
    /// "10.250.10.2/24" → "10.250.10.2".
    var address: String? { (ips.first?["address"] as? String)?.split(separator: "/").first.map(String.init) }
    var gateway: String? { ips.first?["gateway"] as? String }
}
