internal import CNetlink
internal import Glibc

/// One VLAN of a bridge port, or of the bridge device itself, as `bridge vlan show` lists it.
public struct BridgeVLAN: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var id: UInt16
    /// Untagged frames arriving on the port are put in this VLAN (one per port at most).
    public var pvid: Bool
    /// Frames of this VLAN leave the port untagged.
    public var untagged: Bool

    public init(id: UInt16, pvid: Bool = false, untagged: Bool = false) {
        self.id = id
        self.pvid = pvid
        self.untagged = untagged
    }

    public static func < (a: BridgeVLAN, b: BridgeVLAN) -> Bool { a.id < b.id }

    /// "10 pvid untagged", "100 tagged".
    public var description: String {
        "\(id)" + (pvid ? " pvid" : "") + (untagged ? " untagged" : pvid ? "" : " tagged")
    }
}

/// VLANs to add to a port with the same flags: one ID or a range. The kernel takes `pvid` only for one ID.
public struct BridgeVLANRange: Equatable, Sendable, CustomStringConvertible {
    public var ids: ClosedRange<UInt16>
    public var pvid: Bool
    public var untagged: Bool

    public init(_ ids: ClosedRange<UInt16>, pvid: Bool = false, untagged: Bool = false) {
        self.ids = ids
        self.pvid = pvid
        self.untagged = untagged
    }

    public var description: String {
        (ids.count == 1 ? "\(ids.lowerBound)" : "\(ids.lowerBound)-\(ids.upperBound)")
            + (pvid ? " pvid" : "") + (untagged ? " untagged" : "")
    }
}

/// Bridge VLAN filtering over an rtnetlink socket, in the socket's namespace: the bridge's
/// `vlan_filtering`, the VLANs of its ports (`bridge vlan add/del dev PORT`) and of the bridge itself
/// (`... self`). A kernel built without CONFIG_BRIDGE_VLAN_FILTERING refuses changes with EOPNOTSUPP.
extension RouteSocket {
    /// Creates a bridge with `vlan_filtering` set in the same request, so it never exists without it.
    public func addBridge(name: String, mtu: UInt32?, vlanFiltering: Bool) throws(NetlinkError) {
        try sendLinkRequest("create bridge (vlan_filtering \(vlanFiltering ? 1 : 0))", describeObject(name),
                            type: Int32(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL, header: ifinfomsg()) { message in
            guard nla_put_string(message, Int32(IFLA_IFNAME), name) == 0 else { return false }
            if let mtu, nla_put_u32(message, Int32(IFLA_MTU), mtu) != 0 { return false }
            return RouteSocket.putBridgeData(message) { nla_put_u8($0, Int32(IFLA_BR_VLAN_FILTERING), vlanFiltering ? 1 : 0) == 0 }
        }
    }

    /// Turns `vlan_filtering` of the existing bridge `name` on or off (`ip link set NAME type bridge vlan_filtering N`).
    public func setBridgeVLANFiltering(_ name: String, _ on: Bool) throws(NetlinkError) {
        var header = ifinfomsg()
        header.ifi_index = try existingLink(named: name).index
        try sendLinkRequest("set vlan_filtering \(on ? 1 : 0) on", describeObject(name), type: Int32(RTM_NEWLINK),
                            header: header) { message in
            RouteSocket.putBridgeData(message) { nla_put_u8($0, Int32(IFLA_BR_VLAN_FILTERING), on ? 1 : 0) == 0 }
        }
    }

    /// The VLAN a port joins untagged when it is enslaved (`vlan_default_pvid`, 0 for none); nil when the
    /// kernel has no VLAN filtering. A link that is not a bridge fails with EINVAL.
    public func bridgeDefaultPVID(of name: String) throws(NetlinkError) -> UInt16? {
        let reply = try queryLink("read vlan_default_pvid", name)
        let info = NetlinkAttributes(message: reply, familyHeaderSize: MemoryLayout<ifinfomsg>.size).nested(Int(IFLA_LINKINFO))
        guard info?.string(Int(IFLA_INFO_KIND)) == "bridge", let data = info?.nested(Int(IFLA_INFO_DATA)) else {
            throw NetlinkError(operation: "read vlan_default_pvid", object: describeObject(name), errno: EINVAL, reason: "not a bridge")
        }
        return data[Int(IFLA_BR_VLAN_DEFAULT_PVID)].flatMap { $0.count >= 2 ? UInt16($0[0]) | UInt16($0[1]) << 8 : nil }
    }

    /// Adds VLANs to the bridge port `ifname` (`bridge vlan add dev IFNAME vid ...`), or to the bridge
    /// `ifname` itself with `bridgeItself` (`... self`). Adding a VLAN the port has changes its flags;
    /// a `pvid` VLAN takes the PVID from the port's previous one.
    public func addBridgeVLANs(_ vlans: [BridgeVLANRange], to ifname: String, bridgeItself: Bool = false) throws(NetlinkError) {
        try changeBridgeVLANs(type: Int32(RTM_SETLINK), "add VLAN \(vlans.map(\.description).joined(separator: ", ")) to",
                              vlans, ifname, bridgeItself)
    }

    /// Removes VLANs from the bridge port `ifname` (or from the bridge itself). The kernel ignores IDs the
    /// port does not have.
    public func deleteBridgeVLANs(_ ids: [ClosedRange<UInt16>], from ifname: String, bridgeItself: Bool = false) throws(NetlinkError) {
        let vlans = ids.map { BridgeVLANRange($0) }
        try changeBridgeVLANs(type: Int32(RTM_DELLINK), "delete VLAN \(vlans.map(\.description).joined(separator: ", ")) from",
                              vlans, ifname, bridgeItself)
    }

    /// The VLANs of the bridge port `ifname`, or of a bridge's own device, by ID. Empty when it has none,
    /// is no bridge port, or the kernel has no VLAN filtering.
    public func bridgeVLANs(of ifname: String) throws(NetlinkError) -> [BridgeVLAN] {
        let index = try existingLink(named: ifname).index
        return try allBridgeVLANs(describeObject(ifname))[index] ?? []
    }

    /// The VLANs of every bridge port and bridge in the namespace, by ifindex: one AF_BRIDGE link dump
    /// with RTEXT_FILTER_BRVLAN_COMPRESSED (what `bridge vlan show` asks for), ranges expanded.
    public func allBridgeVLANs(_ object: String? = nil) throws(NetlinkError) -> [Int32: [BridgeVLAN]] {
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_BRIDGE)
        let messages = try dump("list bridge VLANs", object ?? netnsPath, type: Int32(RTM_GETLINK), header: header) { message in
            nla_put_u32(message, Int32(IFLA_EXT_MASK), UInt32(RTEXT_FILTER_BRVLAN_COMPRESSED)) == 0
        }
        var result: [Int32: [BridgeVLAN]] = [:]
        for message in messages {
            let start = RouteSocket.align(MemoryLayout<nlmsghdr>.size)
            guard message.count >= start + MemoryLayout<ifinfomsg>.size else { continue }
            let index = message.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start, as: ifinfomsg.self).ifi_index }
            let top = NetlinkAttributes(message: message, familyHeaderSize: MemoryLayout<ifinfomsg>.size)
            guard let spec = top[Int(IFLA_AF_SPEC)] else { continue }
            let vlans = RouteSocket.vlans(inAFSpec: spec)
            if !vlans.isEmpty { result[index, default: []] += vlans }
        }
        return result.mapValues { Array(Set($0)).sorted() }
    }

    /// Expands the IFLA_BRIDGE_VLAN_INFO entries of an IFLA_AF_SPEC (a RANGE_BEGIN entry up to the next
    /// RANGE_END one stands for every ID between, with the begin entry's flags).
    static func vlans(inAFSpec spec: [UInt8]) -> [BridgeVLAN] {
        var vlans: [BridgeVLAN] = []
        var rangeStart: (id: UInt16, flags: UInt16)?
        for (type, payload) in NetlinkAttributes.ordered(spec) where type == Int(IFLA_BRIDGE_VLAN_INFO) && payload.count >= 4 {
            let flags = UInt16(payload[0]) | UInt16(payload[1]) << 8
            let id = UInt16(payload[2]) | UInt16(payload[3]) << 8
            if flags & UInt16(BRIDGE_VLAN_INFO_RANGE_BEGIN) != 0 {
                rangeStart = (id, flags)
                continue
            }
            let (first, entryFlags) = flags & UInt16(BRIDGE_VLAN_INFO_RANGE_END) != 0 ? (rangeStart?.id ?? id, rangeStart?.flags ?? flags) : (id, flags)
            rangeStart = nil
            guard first <= id else { continue }
            for vid in first...id {
                vlans.append(BridgeVLAN(id: vid, pvid: entryFlags & UInt16(BRIDGE_VLAN_INFO_PVID) != 0,
                                        untagged: entryFlags & UInt16(BRIDGE_VLAN_INFO_UNTAGGED) != 0))
            }
        }
        return vlans
    }

    /// One RTM_SETLINK/RTM_DELLINK of family AF_BRIDGE per batch of entries: IFLA_AF_SPEC holding
    /// IFLA_BRIDGE_FLAGS (BRIDGE_FLAGS_SELF for the bridge itself) and the IFLA_BRIDGE_VLAN_INFO entries.
    private func changeBridgeVLANs(type: Int32, _ operation: String, _ vlans: [BridgeVLANRange], _ ifname: String,
                                   _ bridgeItself: Bool) throws(NetlinkError) {
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_BRIDGE)
        header.ifi_index = try existingLink(named: ifname).index
        let entries = vlans.flatMap(RouteSocket.entries)
        // A page holds ~500 entries; 256 per request keeps every message well inside it.
        for batch in stride(from: 0, to: entries.count, by: 256).map({ entries[$0..<min($0 + 256, entries.count)] }) {
            try sendLinkRequest(operation, describeObject(ifname), type: type, header: header) { message in
                guard let spec = nla_nest_start(message, Int32(IFLA_AF_SPEC)) else { return false }
                if bridgeItself, nla_put_u16(message, Int32(IFLA_BRIDGE_FLAGS), UInt16(BRIDGE_FLAGS_SELF)) != 0 { return false }
                for var entry in batch {
                    guard nla_put(message, Int32(IFLA_BRIDGE_VLAN_INFO), Int32(MemoryLayout<bridge_vlan_info>.size), &entry) == 0 else {
                        return false
                    }
                }
                return nla_nest_end(message, spec) == 0
            }
        }
    }

    /// A range as the kernel wants it: one entry for one ID, a RANGE_BEGIN and a RANGE_END entry otherwise.
    private static func entries(_ range: BridgeVLANRange) -> [bridge_vlan_info] {
        var flags = UInt16(0)
        if range.pvid { flags |= UInt16(BRIDGE_VLAN_INFO_PVID) }
        if range.untagged { flags |= UInt16(BRIDGE_VLAN_INFO_UNTAGGED) }
        guard range.ids.count > 1 else { return [bridge_vlan_info(flags: flags, vid: range.ids.lowerBound)] }
        return [bridge_vlan_info(flags: flags | UInt16(BRIDGE_VLAN_INFO_RANGE_BEGIN), vid: range.ids.lowerBound),
                bridge_vlan_info(flags: flags | UInt16(BRIDGE_VLAN_INFO_RANGE_END), vid: range.ids.upperBound)]
    }

    /// IFLA_LINKINFO { IFLA_INFO_KIND "bridge", IFLA_INFO_DATA { what `put` adds } }.
    private static func putBridgeData(_ message: OpaquePointer, _ put: (OpaquePointer) -> Bool) -> Bool {
        guard let linkInfo = nla_nest_start(message, Int32(IFLA_LINKINFO)),
              nla_put_string(message, Int32(IFLA_INFO_KIND), "bridge") == 0,
              let data = nla_nest_start(message, Int32(IFLA_INFO_DATA)), put(message) else { return false }
        return nla_nest_end(message, data) == 0 && nla_nest_end(message, linkInfo) == 0
    }
}
