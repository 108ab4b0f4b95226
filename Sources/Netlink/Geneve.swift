internal import CNetlink
internal import Glibc

/// A Geneve tunnel device with one remote (the kernel's geneve has no FDB: one device per peer).
public struct GeneveSpec: Sendable, Equatable {
    public var name: String
    /// The virtual network identifier, 1 ... 2^24-1.
    public var vni: UInt32
    public var remote: IPAddress
    /// The UDP destination port (6081 is IANA's).
    public var port: UInt16
    /// Always set: without it the kernel guesses from the route (1500 when that fails).
    public var mtu: UInt32

    public init(name: String, vni: UInt32, remote: IPAddress, port: UInt16, mtu: UInt32) {
        self.name = name
        self.vni = vni
        self.remote = remote
        self.port = port
        self.mtu = mtu
    }
}

/// A Geneve device as the kernel reports it.
public struct GeneveInfo: Sendable, Equatable {
    public var vni: UInt32
    /// nil for a `collect_md` (external) device, which has no fixed remote.
    public var remote: IPAddress?
    public var port: UInt16
    /// `external`: an OVS/OVN/Cilium-style device that owns its port for every VNI.
    public var collectMetadata: Bool
}

/// Geneve devices over an rtnetlink socket. The request is built with libmnl (MnlLinkRequest): libnl 3.7's
/// `rtnl_link_geneve` sends the port attribute as u32 (fixed only in 3.12), which the kernel refuses.
extension RouteSocket {
    /// Creates the device. An existing name fails with EEXIST; a device with the same VNI, remote and port
    /// under another name with EBUSY; a port already owned by a `collect_md` device with EPERM (the caller
    /// should say to pick another port).
    public func addGeneve(_ spec: GeneveSpec) throws(NetlinkError) {
        let operation = "create geneve (vni \(spec.vni), remote \(spec.remote), port \(spec.port), mtu \(spec.mtu))"
        guard let request = RouteSocket.geneveRequest(spec) else {
            throw NetlinkError(operation: operation, object: describeObject(spec.name), errno: EMSGSIZE,
                               reason: "request does not fit a netlink message")
        }
        try send(request, operation, describeObject(spec.name))
    }

    /// RTM_NEWLINK (create, exclusive): IFLA_IFNAME, IFLA_MTU, IFLA_LINKINFO { kind "geneve", data { ID (u32),
    /// REMOTE (4 bytes) or REMOTE6 (16 bytes), PORT (u16, network byte order) } }.
    static func geneveRequest(_ spec: GeneveSpec) -> MnlLinkRequest? {
        MnlLinkRequest(type: Int32(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL, header: ifinfomsg()) { message in
            message.string(Int32(IFLA_IFNAME), spec.name)
                && message.u32(Int32(IFLA_MTU), spec.mtu)
                && message.nest(Int32(IFLA_LINKINFO)) {
                    message.string(Int32(IFLA_INFO_KIND), "geneve")
                        && message.nest(Int32(IFLA_INFO_DATA)) {
                            message.u32(Int32(IFLA_GENEVE_ID), spec.vni)
                                && message.bytes(Int32(spec.remote.isIPv4 ? IFLA_GENEVE_REMOTE : IFLA_GENEVE_REMOTE6), spec.remote.bytes)
                                && message.u16(Int32(IFLA_GENEVE_PORT), spec.port.bigEndian)
                        }
                }
        }
    }

    /// The Geneve settings of `name`; a link of another kind fails with EINVAL naming its kind.
    public func geneve(_ name: String) throws(NetlinkError) -> GeneveInfo {
        let operation = "read geneve settings"
        let reply = try queryLink(operation, name)
        let top = NetlinkAttributes(message: reply, familyHeaderSize: MemoryLayout<ifinfomsg>.size)
        let info = top.nested(Int(IFLA_LINKINFO)) ?? NetlinkAttributes([])
        guard info.string(Int(IFLA_INFO_KIND)) == "geneve", let data = info.nested(Int(IFLA_INFO_DATA)) else {
            throw NetlinkError(operation: operation, object: describeObject(name), errno: EINVAL,
                               reason: "not a geneve device (kind \(info.string(Int(IFLA_INFO_KIND)) ?? "none"))")
        }
        let port = data[Int(IFLA_GENEVE_PORT)].flatMap { $0.count >= 2 ? UInt16($0[0]) << 8 | UInt16($0[1]) : nil } ?? 0
        let remote = (data[Int(IFLA_GENEVE_REMOTE)] ?? data[Int(IFLA_GENEVE_REMOTE6)]).flatMap(IPAddress.init(bytes:))
        return GeneveInfo(vni: data.u32(Int(IFLA_GENEVE_ID)) ?? 0, remote: remote, port: port,
                          collectMetadata: data[Int(IFLA_GENEVE_COLLECT_METADATA)] != nil)
    }
}
