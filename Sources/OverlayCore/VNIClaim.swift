import Attach
import CNIKit
import Netlink

/// One VNI is one segment: on a node, only one network may hold it. The first network to use a VNI on the
/// node marks its bridge and tunnels with it (`OwnerMark.vni`); another network asking for the same VNI
/// is refused, so it can neither receive that segment's frames from other nodes nor take its tunnels.
public struct VNIClaim: Sendable {
    public let owner: OwnerMark

    public init(owner: OwnerMark) { self.owner = owner }

    /// Code 7 naming the network that already holds the VNI on this node. Call it under the bridge lock.
    public func refuseOthers(node: borrowing RouteSocket) throws {
        guard let vni = owner.vni else { return }
        for link in try node.links() {
            guard let mark = OwnerMark.of(link), mark.plugin == owner.plugin, mark.vni == vni,
                  mark.network != owner.network else { continue }
            throw CNIError(.invalidConfig, "vni: \(vni) is already used on this node by network \(mark.network) (\(link.name)); "
                + "each overlay network needs its own vni (the node admin can set overlay.vnis per node policy)")
        }
    }
}
