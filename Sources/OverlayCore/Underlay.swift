import CNIKit
import Netlink

/// The node's side of the underlay: which peers are other nodes, the device the route to them leaves by,
/// and the overlay MTU that fits in it.
public struct Underlay: Sendable {
    /// The peers that are not this node.
    public var remotePeers: [IPAddress]
    public var device: Link
    public var mtu: UInt32

    /// Geneve's overhead on the underlay: outer Ethernet is not counted; IPv4 20 + UDP 8 + Geneve 8 +
    /// inner Ethernet 14 = 50 bytes, IPv6 70.
    public static func overhead(ipv6: Bool) -> UInt32 { ipv6 ? 70 : 50 }

    public static func resolve(peers: [IPAddress], configuredMTU: UInt32?, node: borrowing RouteSocket) throws -> Underlay {
        guard let first = peers.first else {
            throw CNIError(.invalidConfig, "peers: no peer configured; list the underlay IPs of the nodes in peers or peersFile")
        }
        let own = Set(try node.allAddresses().map(\.address))
        let remote = peers.filter { !own.contains($0) }
        let target = remote.first ?? first
        guard let route = try node.route(to: target), let index = route.interfaceIndex,
              let device = try node.links().first(where: { $0.index == index }) else {
            throw CNIError(.ioFailure, "no route to peer \(target) in \(node.netnsPath): the overlay needs the underlay to reach every node")
        }
        let overhead = overhead(ipv6: peers.contains { !$0.isIPv4 })
        guard let mtu = configuredMTU ?? (device.mtu > overhead + 68 ? device.mtu - overhead : nil) else {
            throw CNIError(.invalidConfig, "mtu: the underlay device \(device.name) has MTU \(device.mtu), too small for Geneve's \(overhead) bytes; set mtu")
        }
        return Underlay(remotePeers: remote, device: device, mtu: mtu)
    }
}
