import CNIKit
import Netlink

/// The node's own addresses on a bridge, which no pod of the bridge may use as its source or claim in ARP,
/// an NA or DAD: those of the bridge (its gateways, its link-local address) and of its VLAN gateway
/// interfaces. They live in two sets per bridge, `ipv4-of-<bridge>` and `ipv6-of-<bridge>`, that every
/// IP-checked port chain of the bridge looks up; each element's comment names the interface it came from.
///
/// The addresses change over time (another pod's ADD adds a gateway, the kernel adds the bridge's
/// link-local address when it first gets carrier), so every ADD and DEL of an IP-checked pod refreshes
/// the sets, under the bridge's lock, from the interfaces now there: the bridge, the VLAN gateway of the
/// calling config, and every interface the sets already name (another config's VLAN gateway). The sets
/// go with the table.
extension SpoofCheck {
    /// The names of the bridge's two node-address sets.
    public static func nodeAddressSets(bridge: String) -> (ipv4: String, ipv6: String) {
        ("ipv4-of-\(bridge)", "ipv6-of-\(bridge)")
    }

    /// One address of the node on a bridge and the interface that has it.
    public struct NodeAddress: Hashable, Sendable {
        public var interface: String
        public var address: IPAddress

        public init(interface: String, address: IPAddress) {
            self.interface = interface
            self.address = address
        }
    }

    /// The bridge's two sets, if missing.
    static func addNodeAddressSets(_ batch: inout NftBatch, bridge: String) {
        let names = nodeAddressSets(bridge: bridge)
        for (name, keyType) in [(names.ipv4, NftKeyType.ipv4Address), (names.ipv6, .ipv6Address)] {
            batch.addSet(NftSet(name: name, keyType: keyType, comment: "addresses of the node on \(bridge)"), in: table)
        }
    }

    /// Replaces the elements of the bridge's sets (made if missing) with `addresses`, in the batch.
    public static func setNodeAddresses(_ batch: inout NftBatch, bridge: String, _ addresses: [NodeAddress]) {
        addNodeAddressSets(&batch, bridge: bridge)
        let names = nodeAddressSets(bridge: bridge)
        var seen = Set<IPAddress>()
        let unique = addresses.filter { seen.insert($0.address).inserted }
        for (name, ipv4) in [(names.ipv4, true), (names.ipv6, false)] {
            batch.flushSet(name, in: table)
            let elements = unique.filter { $0.address.isIPv4 == ipv4 }.map {
                NftElement(ipv4 ? .ipv4($0.address.bytes) : .ipv6($0.address.bytes), comment: $0.interface)
            }
            if !elements.isEmpty { batch.addElements(elements, toSet: name, in: table) }
        }
    }

    /// The node's addresses on `bridge` now: those of the bridge, of `interfaces` and of the interfaces its
    /// sets already name. An interface that is gone has none.
    public static func nodeAddresses(bridge: String, interfaces: [String], nft: borrowing NftSocket,
                                     node: borrowing RouteSocket) throws -> [NodeAddress] {
        var names = [bridge] + interfaces
        let sets = nodeAddressSets(bridge: bridge)
        for set in [sets.ipv4, sets.ipv6] where try nft.setExists(set, in: table) {
            names += try nft.elements(ofSet: set, in: table).compactMap(\.comment)
        }
        var seen = Set<String>()
        var result: [NodeAddress] = []
        for name in names where (1...15).contains(name.utf8.count) && seen.insert(name).inserted {
            result += try addressesIfPresent(name, node).map { NodeAddress(interface: name, address: $0.address) }
        }
        return result
    }

    private static func addressesIfPresent(_ name: String, _ node: borrowing RouteSocket) throws(NetlinkError) -> [IPNetwork] {
        do { return try node.addresses(of: name) } catch where error.isNotFound { return [] }
    }

    /// `setNodeAddresses` with what `nodeAddresses` reads now.
    public static func refreshNodeAddresses(_ batch: inout NftBatch, bridge: String, interfaces: [String],
                                            nft: borrowing NftSocket, node: borrowing RouteSocket) throws {
        setNodeAddresses(&batch, bridge: bridge, try nodeAddresses(bridge: bridge, interfaces: interfaces, nft: nft, node: node))
    }

    /// After a port of `bridge` went: its sets, if there, are refreshed. They stay while the table does
    /// (the node's last pod takes it away): asking the kernel to delete a set still in use fails the whole
    /// transaction, and aborting one cost about 15 ms more than a commit here (2 loaded cores), every DEL.
    static func refreshNodeAddressesIfPresent(bridge: String, nft: borrowing NftSocket, node: borrowing RouteSocket) throws {
        let names = nodeAddressSets(bridge: bridge)
        guard try nft.setExists(names.ipv4, in: table) || nft.setExists(names.ipv6, in: table) else { return }
        var refresh = NftBatch()
        try refreshNodeAddresses(&refresh, bridge: bridge, interfaces: [], nft: nft, node: node)
        try nft.commit(refresh)
    }
}
