import CNIKit
import Netlink

/// A veth pair from the pod into the node: the pod end named CNI_IFNAME inside the pod's namespace,
/// the node end named by `HostVethName` and enslaved to a bridge.
public struct PodVeth: Sendable {
    public var host: Link
    public var pod: Link

    public struct Spec: Sendable {
        public var hostName: String
        public var ifname: String
        public var mtu: UInt32?
        public var mac: MACAddress?
        public var bridgeIndex: Int32
        /// Whether to bring the pod end up (false for `disableContainerInterface`).
        public var podUp: Bool

        public init(hostName: String, ifname: String, mtu: UInt32?, mac: MACAddress?, bridgeIndex: Int32, podUp: Bool) {
            self.hostName = hostName
            self.ifname = ifname
            self.mtu = mtu
            self.mac = mac
            self.bridgeIndex = bridgeIndex
            self.podUp = podUp
        }
    }

    /// Creates the pair, enslaves the node end and brings the ends up. Pushes its own undo (deleting
    /// the node end removes both) before anything else can fail.
    public static func create(_ spec: Spec, node: borrowing RouteSocket, pod: borrowing NetNS,
                              rollback: Rollback) throws -> PodVeth {
        let podSocket = try RouteSocket(in: pod)
        if try podSocket.link(named: spec.ifname) != nil {
            throw CNIError(.ioFailure, "CNI_IFNAME \(spec.ifname) already exists in \(pod.path): pick another interface name or remove it")
        }
        if try node.link(named: spec.hostName) != nil {
            throw CNIError(.ioFailure, "host veth \(spec.hostName) for this container id and ifname already exists in \(node.netnsPath): the attachment is still there, DEL it first")
        }
        try node.addVeth(name: spec.hostName, peer: spec.ifname, peerNetns: pod, mtu: spec.mtu, peerMAC: spec.mac)
        let hostName = spec.hostName, nodePath = node.netnsPath
        rollback.push("delete veth \(hostName) in \(nodePath)") {
            try deleteIfPresent(hostName, in: try RouteSocket())
        }
        try node.setLink(spec.hostName, LinkChange(up: true, masterIndex: spec.bridgeIndex))
        if spec.podUp { try podSocket.setLink(spec.ifname, LinkChange(up: true)) }
        return PodVeth(host: try node.existingLink(named: spec.hostName), pod: try podSocket.existingLink(named: spec.ifname))
    }

    /// Deletes the node end (and with it the pod end); a missing link is fine.
    public static func deleteIfPresent(_ hostName: String, in node: borrowing RouteSocket) throws {
        do {
            try node.deleteLink(hostName)
        } catch where error.isNotFound {
            return
        }
    }
}
