internal import CNetlink
internal import Glibc

/// How a macvtap (or macvlan) device shares its lower device (MACVLAN_MODE_*).
public enum MacvtapMode: UInt32, CaseIterable, Sendable, CustomStringConvertible {
    /// Does not talk to other macvtaps on the same lower device.
    case `private` = 1
    /// Talks to the other macvtaps only through an external switch (reflective relay).
    case vepa = 2
    /// Talks to the other macvtaps on the same lower device directly.
    case bridge = 4
    /// Takes over the lower device: one macvtap per lower device.
    case passthru = 8
    /// Picks frames by a list of source MACs.
    case source = 16

    /// The name `ip link` prints and configs use: `bridge`, `vepa`, `private`, `passthru`, `source`.
    public var description: String {
        switch self {
        case .private: "private"
        case .vepa: "vepa"
        case .bridge: "bridge"
        case .passthru: "passthru"
        case .source: "source"
        }
    }

    /// Parses the name `description` gives; nil for anything else.
    public init?(name: String) {
        guard let mode = MacvtapMode.allCases.first(where: { $0.description == name }) else { return nil }
        self = mode
    }
}

/// What a new macvtap device looks like; nil leaves the kernel's default.
public struct MacvtapSpec: Sendable, Equatable {
    public var name: String
    /// The ifindex of the lower device (the node NIC), in the socket's namespace.
    public var lowerIndex: Int32
    public var mode: MacvtapMode
    public var mtu: UInt32?
    public var mac: MACAddress?
    public var txQueueLength: UInt32?

    public init(name: String, lowerIndex: Int32, mode: MacvtapMode, mtu: UInt32? = nil, mac: MACAddress? = nil,
                txQueueLength: UInt32? = nil) {
        self.name = name
        self.lowerIndex = lowerIndex
        self.mode = mode
        self.mtu = mtu
        self.mac = mac
        self.txQueueLength = txQueueLength
    }
}

/// Macvtap devices over an rtnetlink socket, in the socket's namespace.
extension RouteSocket {
    /// Creates a macvtap device on a lower device. The kernel then makes its character device
    /// `/dev/tap<ifindex>`. An existing name fails with EEXIST (`isExists`).
    public func addMacvtap(_ spec: MacvtapSpec) throws(NetlinkError) {
        let link = rtnl_link_macvtap_alloc()!
        defer { rtnl_link_put(link) }
        LinkChange(name: spec.name, mac: spec.mac, mtu: spec.mtu, txQueueLength: spec.txQueueLength).apply(to: link)
        rtnl_link_set_link(link, spec.lowerIndex)
        _ = rtnl_link_macvtap_set_mode(link, spec.mode.rawValue)
        try perform("create macvtap (mode \(spec.mode), lower ifindex \(spec.lowerIndex))", describeObject(spec.name)) {
            rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL)
        }
    }

    /// The mode of the macvtap (or macvlan) `name`. A link of another kind fails with EINVAL naming its kind.
    public func macvtapMode(of name: String) throws(NetlinkError) -> MacvtapMode {
        let operation = "read macvtap mode"
        let reply = try queryLink(operation, name)
        let top = NetlinkAttributes(message: reply, familyHeaderSize: MemoryLayout<ifinfomsg>.size)
        let info = top.nested(Int(IFLA_LINKINFO)) ?? NetlinkAttributes([])
        let kind = info.string(Int(IFLA_INFO_KIND))
        guard kind == "macvtap" || kind == "macvlan" else {
            throw NetlinkError(operation: operation, object: describeObject(name), errno: EINVAL,
                               reason: "not a macvtap (kind \(kind ?? "none"))")
        }
        // The kernel always reports IFLA_MACVLAN_MODE; bridge is its default when creating.
        let raw = info.nested(Int(IFLA_INFO_DATA))?.u32(Int(IFLA_MACVLAN_MODE)) ?? MacvtapMode.bridge.rawValue
        guard let mode = MacvtapMode(rawValue: raw) else {
            throw NetlinkError(operation: operation, object: describeObject(name), errno: EPROTO,
                               reason: "the kernel reported the unknown mode \(raw)")
        }
        return mode
    }
}
