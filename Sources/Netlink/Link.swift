internal import CNetlink

/// A snapshot of one network interface as the kernel reported it.
public struct Link: Equatable, Sendable {
    public var index: Int32
    public var name: String
    /// The rtnetlink kind (`veth`, `bridge`, `macvtap`, `geneve`, ...); nil for devices without one.
    public var kind: String?
    public var mac: MACAddress?
    public var mtu: UInt32
    public var txQueueLength: UInt32
    public var isUp: Bool
    public var isPromiscuous: Bool
    public var isAllMulticast: Bool
    /// The ifindex of the bridge (or other master) this link is enslaved to; 0 when none.
    public var masterIndex: Int32
    /// IFLA_LINK: for a veth, the ifindex of its peer (in the peer's namespace); 0 when none.
    public var linkIndex: Int32
    /// IFLA_IFALIAS (`ip link set dev X alias TEXT`); nil when none. swift-cni keeps its owner marks here.
    public var alias: String?

    init(_ link: OpaquePointer) {
        index = rtnl_link_get_ifindex(link)
        name = rtnl_link_get_name(link).map { String(cString: $0) } ?? ""
        kind = rtnl_link_get_type(link).map { String(cString: $0) }
        mac = rtnl_link_get_addr(link).flatMap { addr in
            guard let raw = nl_addr_get_binary_addr(addr) else { return nil }
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            return MACAddress(bytes: Array(UnsafeBufferPointer(start: bytes, count: Int(nl_addr_get_len(addr)))))
        }
        mtu = rtnl_link_get_mtu(link)
        txQueueLength = rtnl_link_get_txqlen(link)
        let flags = rtnl_link_get_flags(link)
        isUp = flags & UInt32(IFF_UP.rawValue) != 0
        isPromiscuous = flags & UInt32(IFF_PROMISC.rawValue) != 0
        isAllMulticast = flags & UInt32(IFF_ALLMULTI.rawValue) != 0
        masterIndex = rtnl_link_get_master(link)
        linkIndex = rtnl_link_get_link(link)
        alias = rtnl_link_get_ifalias(link).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// The attributes to change on a link; nil leaves an attribute as it is.
public struct LinkChange: Sendable, Equatable {
    public var name: String?
    public var mac: MACAddress?
    public var mtu: UInt32?
    public var txQueueLength: UInt32?
    public var up: Bool?
    public var promiscuous: Bool?
    public var allMulticast: Bool?
    /// The ifindex of the bridge to enslave the link to; 0 releases it from its master.
    public var masterIndex: Int32?
    /// IFLA_IFALIAS, at most 255 bytes.
    public var alias: String?

    public init(name: String? = nil, mac: MACAddress? = nil, mtu: UInt32? = nil, txQueueLength: UInt32? = nil,
                up: Bool? = nil, promiscuous: Bool? = nil, allMulticast: Bool? = nil, masterIndex: Int32? = nil,
                alias: String? = nil) {
        self.name = name
        self.mac = mac
        self.mtu = mtu
        self.txQueueLength = txQueueLength
        self.up = up
        self.promiscuous = promiscuous
        self.allMulticast = allMulticast
        self.masterIndex = masterIndex
        self.alias = alias
    }

    /// Fills a libnl change object; the caller owns it.
    func apply(to change: OpaquePointer) {
        if let name { rtnl_link_set_name(change, name) }
        if let mac {
            let addr = mac.bytes.withUnsafeBytes { nl_addr_build(AF_LLC, $0.baseAddress, 6) }
            rtnl_link_set_addr(change, addr)
            nl_addr_put(addr)
        }
        if let mtu { rtnl_link_set_mtu(change, mtu) }
        if let txQueueLength { rtnl_link_set_txqlen(change, txQueueLength) }
        if let masterIndex { rtnl_link_set_master(change, masterIndex) }
        if let alias { rtnl_link_set_ifalias(change, alias) }
        for (wanted, flag) in [(up, IFF_UP), (promiscuous, IFF_PROMISC), (allMulticast, IFF_ALLMULTI)] {
            guard let wanted else { continue }
            if wanted { rtnl_link_set_flags(change, UInt32(flag.rawValue)) } else { rtnl_link_unset_flags(change, UInt32(flag.rawValue)) }
        }
    }

    /// What the change says, for error messages: "MTU 9000, MAC 02:..".
    var summary: String {
        var parts: [String] = []
        if let name { parts.append("name \(name)") }
        if let mac { parts.append("MAC \(mac)") }
        if let mtu { parts.append("MTU \(mtu)") }
        if let txQueueLength { parts.append("txqueuelen \(txQueueLength)") }
        if let up { parts.append(up ? "up" : "down") }
        if let promiscuous { parts.append("promisc \(promiscuous ? "on" : "off")") }
        if let allMulticast { parts.append("allmulticast \(allMulticast ? "on" : "off")") }
        if let masterIndex { parts.append(masterIndex == 0 ? "nomaster" : "master ifindex \(masterIndex)") }
        if let alias { parts.append("alias \"\(alias)\"") }
        return parts.joined(separator: ", ")
    }
}
