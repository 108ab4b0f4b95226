import Attach
import CNIKit
import FoundationEssentials
import Netlink

/// What a layer2-overlay network is on this node — enough to reconcile its tunnels without its NAD. ADD
/// saves it, under the network's bridge lock, in swift-cni's runtime directory keyed by the node's
/// network namespace (`/run/cni/swift-cni/overlay/netns-<inode>/bridge-<bridge>.json`): bridges live in a
/// namespace, and so do their records. The node agent reads them when the node list changes.
public struct OverlaySegment: Codable, Equatable, Sendable {
    public var network: String
    public var vni: UInt32
    public var port: UInt16
    /// The configured MTU; nil derives it from the underlay, as ADD does.
    public var mtu: UInt32?
    public var bridge: String
    /// The NAD's `peers`, as written.
    public var peers: [String]
    /// The NAD's `peersFile`: a name in the node policy's `peersDirectory`.
    public var peersFile: String?

    public init(network: String, vni: UInt32, port: UInt16, mtu: UInt32?, bridge: String, peers: [String], peersFile: String?) {
        (self.network, self.vni, self.port, self.mtu, self.bridge, self.peers, self.peersFile) =
            (network, vni, port, mtu, bridge, peers, peersFile)
    }

    /// The mark the network's bridge and tunnels carry.
    public var owner: OwnerMark { OwnerMark(plugin: "layer2-overlay", network: network, vni: vni) }

    /// The tunnels of this segment at `mtu`.
    public func tunnels(mtu: UInt32) -> TunnelSet { TunnelSet(vni: vni, port: port, mtu: mtu, owner: owner) }

    /// Its peers under `policy` (the file is read now).
    public func peerList(policy: NodePolicy) throws(CNIError) -> PeerList {
        try PeerList(peers: peers, file: peersFile, policy: policy)
    }
}

/// The segment records of the node namespace the process is in.
public struct SegmentStore: Sendable {
    let store: StateStore

    /// The records of the calling thread's network namespace.
    public init() throws(CNIError) {
        guard let identity = PodNamespace.identity("/proc/thread-self/ns/net"), let inode = identity.split(separator: ":").last else {
            throw CNIError(.ioFailure, "cannot stat /proc/thread-self/ns/net: the overlay's segment records are kept per network namespace")
        }
        store = StateStore(directory: try PolicyDirectory.runtime("overlay", "netns-\(inode)"))
    }

    static func fileName(bridge: String) -> String { "bridge-\(bridge).json" }

    public func save(_ segment: OverlaySegment) throws(CNIError) {
        let bytes: [UInt8]
        do { bytes = Array(try JSONEncoder().encode(segment)) } catch {
            throw CNIError(.ioFailure, "cannot encode the segment record of \(segment.network): \(error)")
        }
        try store.write(name: Self.fileName(bridge: segment.bridge), bytes: bytes)
    }

    /// Every readable record; ones that do not decode are left out (and left alone).
    public func all() throws(CNIError) -> [OverlaySegment] {
        var segments: [OverlaySegment] = []
        for name in try store.names() where name.hasPrefix("bridge-") && name.hasSuffix(".json") {
            guard let bytes = try store.read(name: name),
                  let segment = try? JSONDecoder().decode(OverlaySegment.self, from: Data(bytes)) else { continue }
            segments.append(segment)
        }
        return segments
    }

    public func remove(bridge: String) throws(CNIError) { try store.remove(name: Self.fileName(bridge: bridge)) }

    /// Removes the record of `bridge` when the bridge is gone from `node`. Call it under the bridge lock.
    public func removeIfGone(bridge: String, node: borrowing RouteSocket) throws {
        if try node.link(named: bridge) == nil { try remove(bridge: bridge) }
    }
}
