import Attach
import CNIKit
import Netlink
internal import Glibc

/// One Geneve device per peer node, each an isolated port of the network's bridge: a frame that came
/// from one peer is never sent to another (split horizon), so a full mesh has no loops.
public struct TunnelSet: Sendable {
    public let vni: UInt32
    public let port: UInt16
    public let mtu: UInt32
    /// Every tunnel carries the network's mark; one marked for another network is never taken or removed.
    public let owner: OwnerMark

    public init(vni: UInt32, port: UInt16, mtu: UInt32, owner: OwnerMark) {
        self.vni = vni
        self.port = port
        self.mtu = mtu
        self.owner = owner
    }

    /// `gnv` + 12 hex digits of "vni/peer": the same on every ADD, so reconciling needs no state.
    public func name(of peer: IPAddress) -> String { DerivedName.make(prefix: "gnv", key: "\(vni)/\(peer)") }

    /// Makes the tunnels match `peers`: creates missing ones, replaces ones whose settings differ, removes
    /// those of peers no longer listed. Call it holding the bridge's lock.
    public func reconcile(bridge: Link, peers: [IPAddress], node: borrowing RouteSocket) throws {
        let wanted = Dictionary(uniqueKeysWithValues: peers.map { (name(of: $0), $0) })
        for link in try node.links() where link.kind == "geneve" && link.masterIndex == bridge.index && wanted[link.name] == nil
            && (OwnerMark.of(link).map { $0 == owner } ?? true) {
            try deleteIfPresent(link.name, node)
        }
        for (name, peer) in wanted.sorted(by: { $0.key < $1.key }) {
            try ensure(name, peer: peer, bridge: bridge, node: node)
        }
    }

    /// What differs from the wanted tunnels, for CHECK: missing ones, wrong VNI, remote, port, MTU, master,
    /// state or isolation, and tunnels of peers no longer listed.
    public func drift(bridge: Link, peers: [IPAddress], node: borrowing RouteSocket) throws -> [String] {
        var drift: [String] = []
        let links = try node.links()
        let wanted = Set(peers.map(name(of:)))
        for link in links where link.kind == "geneve" && link.masterIndex == bridge.index && !wanted.contains(link.name) {
            drift.append("tunnel \(link.name) is a port of \(bridge.name) but leads to no configured peer")
        }
        for peer in peers {
            let name = name(of: peer)
            guard let link = links.first(where: { $0.name == name }) else {
                drift.append("the tunnel \(name) to \(peer) is missing")
                continue
            }
            if let problem = try mismatch(name, peer: peer, node: node) { drift.append(problem); continue }
            if link.masterIndex != bridge.index { drift.append("tunnel \(name) is not a port of \(bridge.name)") }
            if link.mtu != mtu { drift.append("tunnel \(name) MTU is \(link.mtu), wanted \(mtu)") }
            if !link.isUp { drift.append("tunnel \(name) is down") }
            if link.masterIndex == bridge.index, try !node.bridgePort(name).isolated {
                drift.append("tunnel \(name) is not an isolated port (frames could loop)")
            }
        }
        return drift
    }

    private func ensure(_ name: String, peer: IPAddress, bridge: Link, node: borrowing RouteSocket) throws {
        if let existing = try node.link(named: name) {
            try claim(existing, peer: peer, bridge: bridge, node: node)
        }
        if try node.link(named: name) == nil {
            try create(GeneveSpec(name: name, vni: vni, remote: peer, port: port, mtu: mtu), bridge: bridge, node: node)
        }
        try node.setLink(name, LinkChange(mtu: mtu, up: true, masterIndex: bridge.index, alias: owner.description))
        try node.setBridgePort(name, BridgePortFlags(isolated: true))
        guard try node.bridgePort(name).isolated else {
            try deleteIfPresent(name, node)
            throw CNIError(.ioFailure, "the kernel ignored IFLA_BRPORT_ISOLATED on tunnel \(name): without split horizon a full mesh of tunnels loops frames; the overlay needs Linux 4.18 or later")
        }
    }

    /// Decides about a device that already has the tunnel's name: ours with the right settings is kept, ours
    /// with other settings (or one a crashed ADD left outside any bridge) is deleted to be made again; one
    /// that another bridge owns, or that is no Geneve device, is left alone and fails the ADD.
    private func claim(_ existing: Link, peer: IPAddress, bridge: Link, node: borrowing RouteSocket) throws {
        let name = existing.name
        guard existing.kind == "geneve" else {
            throw CNIError(.invalidConfig, "tunnel \(name) to \(peer): a \(existing.kind ?? "device without a kind") of that name exists in \(node.netnsPath); it is not ours, remove it")
        }
        if existing.masterIndex != 0 && existing.masterIndex != bridge.index {
            let owner = try node.links().first { $0.index == existing.masterIndex }?.name ?? "ifindex \(existing.masterIndex)"
            throw CNIError(.invalidConfig, "vni: tunnel \(name) (vni \(vni) to \(peer)) is a port of \(owner), not of this network's bridge \(bridge.name): another overlay network on this node uses vni \(vni); give each network its own vni")
        }
        if let mark = OwnerMark.of(existing), mark != self.owner {
            throw CNIError(.invalidConfig, "vni: tunnel \(name) (vni \(vni) to \(peer)) belongs to \(OwnerMark.owner(of: existing)): another overlay network on this node uses vni \(vni); give each network its own vni")
        }
        if try mismatch(name, peer: peer, node: node) != nil {
            try deleteIfPresent(name, node)
        }
    }

    /// Creates the device. A parallel creation with the same settings is fine (EEXIST: read back, compared);
    /// a device with the same VNI, remote and port under another name (EBUSY) is named in the error.
    private func create(_ spec: GeneveSpec, bridge: Link, node: borrowing RouteSocket) throws {
        let failure: NetlinkError
        do {
            try node.addGeneve(spec)
            return
        } catch {
            failure = error
        }
        switch failure.errno {
        case EPERM:
            throw CNIError(.ioFailure, "create tunnel \(spec.name) to \(spec.remote): the kernel refused UDP port \(spec.port) (EPERM): a collect_md (external) Geneve device, as OVS, OVN or Cilium make, owns it on this node; set another \"port\" for this network on every node")
        case EEXIST:
            guard let existing = try node.link(named: spec.name) else { throw failure }
            try claim(existing, peer: spec.remote, bridge: bridge, node: node)
            if let problem = try mismatch(spec.name, peer: spec.remote, node: node) {
                throw CNIError(.ioFailure, "tunnel \(spec.name) appeared meanwhile with other settings: \(problem)")
            }
        case EBUSY:
            let holder = try twin(of: spec, node: node)
            throw CNIError(.invalidConfig, "vni: the kernel refused tunnel \(spec.name) (EBUSY): \(holder.map { "the device \($0)" } ?? "another Geneve device") already carries vni \(spec.vni) to \(spec.remote) on port \(spec.port) in \(node.netnsPath); remove it or give this network another vni")
        default:
            throw failure
        }
    }

    /// The Geneve device with `spec`'s VNI, remote and port under another name, and its bridge if any.
    private func twin(of spec: GeneveSpec, node: borrowing RouteSocket) throws -> String? {
        let links = try node.links()
        for link in links where link.kind == "geneve" && link.name != spec.name {
            guard let info = try? node.geneve(link.name), info.vni == spec.vni, info.remote == spec.remote,
                  info.port == spec.port else { continue }
            let master = links.first { $0.index == link.masterIndex && link.masterIndex != 0 }
            return link.name + (master.map { " (a port of \($0.name))" } ?? "")
        }
        return nil
    }

    /// Why the device `name` is not the tunnel to `peer`; nil when it is.
    private func mismatch(_ name: String, peer: IPAddress, node: borrowing RouteSocket) throws -> String? {
        guard let info = try? node.geneve(name) else { return "\(name) is not a geneve device" }
        if info.collectMetadata { return "tunnel \(name) is a collect_md (external) device" }
        if info.vni != vni { return "tunnel \(name) has VNI \(info.vni), wanted \(vni)" }
        if info.remote != peer { return "tunnel \(name) goes to \(info.remote?.description ?? "no remote"), wanted \(peer)" }
        if info.port != port { return "tunnel \(name) uses port \(info.port), wanted \(port)" }
        return nil
    }

    private func deleteIfPresent(_ name: String, _ node: borrowing RouteSocket) throws {
        do { try node.deleteLink(name) } catch where error.isNotFound { return }
    }
}
