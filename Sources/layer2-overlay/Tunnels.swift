import Attach
import CNIKit
import Netlink
internal import Glibc

/// One Geneve device per peer node, each an isolated port of the network's bridge: a frame that came
/// from one peer is never sent to another (split horizon), so a full mesh has no loops.
struct TunnelSet {
    let vni: UInt32
    let port: UInt16
    let mtu: UInt32

    /// `gnv` + 12 hex digits of "vni/peer": the same on every ADD, so reconciling needs no state.
    func name(of peer: IPAddress) -> String { DerivedName.make(prefix: "gnv", key: "\(vni)/\(peer)") }

    /// Makes the tunnels match `peers`: creates missing ones, replaces ones whose settings differ, removes
    /// those of peers no longer listed. Call it holding the bridge's lock.
    func reconcile(bridge: Link, peers: [IPAddress], node: borrowing RouteSocket) throws {
        let wanted = Dictionary(uniqueKeysWithValues: peers.map { (name(of: $0), $0) })
        for link in try node.links() where link.kind == "geneve" && link.masterIndex == bridge.index && wanted[link.name] == nil {
            try deleteIfPresent(link.name, node)
        }
        for (name, peer) in wanted.sorted(by: { $0.key < $1.key }) {
            try ensure(name, peer: peer, bridge: bridge, node: node)
        }
    }

    /// What differs from the wanted tunnels, for CHECK.
    func drift(bridge: Link, peers: [IPAddress], node: borrowing RouteSocket) throws -> [String] {
        var drift: [String] = []
        for peer in peers {
            let name = name(of: peer)
            guard let link = try node.link(named: name) else { drift.append("the tunnel \(name) to \(peer) is missing"); continue }
            if let problem = try mismatch(name, peer: peer, node: node) { drift.append(problem); continue }
            if link.masterIndex != bridge.index { drift.append("tunnel \(name) is not a port of \(bridge.name)") }
            if link.mtu != mtu { drift.append("tunnel \(name) MTU is \(link.mtu), wanted \(mtu)") }
            if !link.isUp { drift.append("tunnel \(name) is down") }
            if try !node.bridgePort(name).isolated { drift.append("tunnel \(name) is not an isolated port (frames could loop)") }
        }
        return drift
    }

    private func ensure(_ name: String, peer: IPAddress, bridge: Link, node: borrowing RouteSocket) throws {
        if try node.link(named: name) != nil, try mismatch(name, peer: peer, node: node) != nil {
            try deleteIfPresent(name, node)
        }
        if try node.link(named: name) == nil {
            try create(GeneveSpec(name: name, vni: vni, remote: peer, port: port, mtu: mtu), node: node)
        }
        try node.setLink(name, LinkChange(mtu: mtu, up: true, masterIndex: bridge.index))
        try node.setBridgePort(name, BridgePortFlags(isolated: true))
        guard try node.bridgePort(name).isolated else {
            try deleteIfPresent(name, node)
            throw CNIError(.ioFailure, "the kernel ignored IFLA_BRPORT_ISOLATED on tunnel \(name): without split horizon a full mesh of tunnels loops frames; the overlay needs Linux 4.18 or later")
        }
    }

    /// Creates the device; a parallel creation with the same settings is fine.
    private func create(_ spec: GeneveSpec, node: borrowing RouteSocket) throws {
        let failure: NetlinkError
        do {
            try node.addGeneve(spec)
            return
        } catch {
            failure = error
        }
        if failure.errno == EPERM {
            throw CNIError(.ioFailure, "create tunnel \(spec.name) to \(spec.remote): the kernel refused UDP port \(spec.port) (EPERM): a collect_md (external) Geneve device, as OVS, OVN or Cilium make, owns it on this node; set another \"port\" for this network on every node")
        }
        guard failure.isExists else { throw failure }
        if let problem = try mismatch(spec.name, peer: spec.remote, node: node) {
            throw CNIError(.ioFailure, "tunnel \(spec.name) appeared meanwhile with other settings: \(problem)")
        }
    }

    /// Why the device `name` is not the tunnel to `peer`; nil when it is.
    private func mismatch(_ name: String, peer: IPAddress, node: borrowing RouteSocket) throws -> String? {
        guard let info = try? node.geneve(name) else { return "\(name) is not a geneve device" }
        if info.vni != vni { return "tunnel \(name) has VNI \(info.vni), wanted \(vni)" }
        if info.remote != peer { return "tunnel \(name) goes to \(info.remote?.description ?? "no remote"), wanted \(peer)" }
        if info.port != port { return "tunnel \(name) uses port \(info.port), wanted \(port)" }
        return nil
    }

    private func deleteIfPresent(_ name: String, _ node: borrowing RouteSocket) throws {
        do { try node.deleteLink(name) } catch where error.isNotFound { return }
    }
}
