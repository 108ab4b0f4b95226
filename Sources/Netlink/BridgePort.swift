internal import CNetlink
internal import Glibc

/// Bridge port flags to change (IFLA_BRPORT_*); nil leaves a flag as it is.
public struct BridgePortFlags: Equatable, Sendable {
    /// IFLA_BRPORT_MODE: send frames back out of the port they came in on (`hairpin`).
    public var hairpin: Bool?
    /// IFLA_BRPORT_ISOLATED: an isolated port only talks to non-isolated ports.
    public var isolated: Bool?
    /// IFLA_BRPORT_LEARNING: learn source MACs seen on this port.
    public var learning: Bool?

    public init(hairpin: Bool? = nil, isolated: Bool? = nil, learning: Bool? = nil) {
        self.hairpin = hairpin
        self.isolated = isolated
        self.learning = learning
    }

    /// For error messages: "hairpin on, isolated off".
    var summary: String {
        [("hairpin", hairpin), ("isolated", isolated), ("learning", learning)]
            .compactMap { name, value in value.map { "\(name) \($0 ? "on" : "off")" } }
            .joined(separator: ", ")
    }
}

/// A bridge port as the kernel reports it (IFLA_INFO_SLAVE_DATA of the port link).
public struct BridgePortState: Equatable, Sendable {
    public var hairpin: Bool
    public var isolated: Bool
    public var learning: Bool
    public var state: State

    /// The STP port state (BR_STATE_*). With STP off a port that is up forwards at once.
    public enum State: UInt8, Sendable, CustomStringConvertible {
        case disabled = 0, listening = 1, learning = 2, forwarding = 3, blocking = 4

        public var description: String {
            switch self {
            case .disabled: "disabled"
            case .listening: "listening"
            case .learning: "learning"
            case .forwarding: "forwarding"
            case .blocking: "blocking"
            }
        }
    }

    public init(hairpin: Bool, isolated: Bool, learning: Bool, state: State) {
        self.hairpin = hairpin
        self.isolated = isolated
        self.learning = learning
        self.state = state
    }
}

/// A bridge's own attributes (IFLA_INFO_DATA of the bridge link).
public struct BridgeAttributes: Equatable, Sendable {
    public var stpEnabled: Bool
    /// nil when the kernel is built without bridge VLAN filtering (it then does not report the attribute).
    public var vlanFiltering: Bool?
    /// In hundredths of a second, as the kernel reports it (`ip -d link` prints the same number).
    public var forwardDelayCentiseconds: UInt32
    public var ageingTimeCentiseconds: UInt32
}

/// Bridge ports and bridges over an rtnetlink socket, in the socket's namespace.
extension RouteSocket {
    /// Changes the port flags of `ifname`, which must be enslaved to a bridge. One RTM_SETLINK with family
    /// AF_BRIDGE and a nested IFLA_PROTINFO (what `bridge link set` sends), built with libmnl (libnl 3.7 has
    /// no setter for IFLA_BRPORT_ISOLATED); nothing is sent when every flag is nil.
    public func setBridgePort(_ ifname: String, _ flags: BridgePortFlags) throws(NetlinkError) {
        guard flags != BridgePortFlags() else { return }
        let operation = "set bridge port \(flags.summary) on"
        guard let request = RouteSocket.bridgePortRequest(index: try existingLink(named: ifname).index, flags) else {
            throw NetlinkError(operation: operation, object: describeObject(ifname), errno: EMSGSIZE,
                               reason: "request does not fit a netlink message")
        }
        try send(request, operation, describeObject(ifname))
    }

    static func bridgePortRequest(index: Int32, _ flags: BridgePortFlags) -> MnlLinkRequest? {
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_BRIDGE)
        header.ifi_index = index
        return MnlLinkRequest(type: Int32(RTM_SETLINK), header: header) { message in
            // NLA_F_NESTED (libmnl sets it on every nest) makes the kernel read IFLA_PROTINFO as port flags.
            message.nest(Int32(IFLA_PROTINFO)) {
                [(flags.hairpin, IFLA_BRPORT_MODE), (flags.isolated, IFLA_BRPORT_ISOLATED), (flags.learning, IFLA_BRPORT_LEARNING)]
                    .allSatisfy { value, type in value.map { message.u8(Int32(type), $0 ? 1 : 0) } ?? true }
            }
        }
    }

    /// The port flags and STP state of `ifname`. A link that is not a bridge port fails with EINVAL.
    public func bridgePort(_ ifname: String) throws(NetlinkError) -> BridgePortState {
        let operation = "read bridge port"
        let info = try linkInfo(operation, ifname)
        guard info.string(Int(IFLA_INFO_SLAVE_KIND)) == "bridge", let port = info.nested(Int(IFLA_INFO_SLAVE_DATA)) else {
            throw NetlinkError(operation: operation, object: describeObject(ifname), errno: EINVAL,
                               reason: "not enslaved to a bridge")
        }
        guard let rawState = port.u8(Int(IFLA_BRPORT_STATE)), let state = BridgePortState.State(rawValue: rawState) else {
            throw NetlinkError(operation: operation, object: describeObject(ifname), errno: EPROTO,
                               reason: "the kernel reported no known port state")
        }
        return BridgePortState(hairpin: port.u8(Int(IFLA_BRPORT_MODE)) == 1, isolated: port.u8(Int(IFLA_BRPORT_ISOLATED)) == 1,
                               learning: port.u8(Int(IFLA_BRPORT_LEARNING)) == 1, state: state)
    }

    /// Polls the port state of `ifname` every 10 ms until it is forwarding. Fails with ETIMEDOUT (naming the
    /// last state) after `timeoutMilliseconds`. A port forwards only when it and its bridge are up (a veth
    /// also needs its peer up); with STP off it then forwards almost at once.
    public func waitForForwarding(_ ifname: String, timeoutMilliseconds: Int) throws(NetlinkError) {
        let deadline = RouteSocket.monotonicMilliseconds() + timeoutMilliseconds
        while true {
            let state = try bridgePort(ifname).state
            if state == .forwarding { return }
            guard RouteSocket.monotonicMilliseconds() < deadline else {
                throw NetlinkError(operation: "wait for forwarding", object: describeObject(ifname), errno: ETIMEDOUT,
                                   reason: "port still \(state) after \(timeoutMilliseconds) ms")
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            _ = nanosleep(&pause, nil)
        }
    }

    /// The bridge's own attributes. A link that is not a bridge fails with EINVAL.
    public func bridgeAttributes(of name: String) throws(NetlinkError) -> BridgeAttributes {
        let operation = "read bridge attributes"
        let info = try linkInfo(operation, name)
        guard info.string(Int(IFLA_INFO_KIND)) == "bridge", let data = info.nested(Int(IFLA_INFO_DATA)) else {
            throw NetlinkError(operation: operation, object: describeObject(name), errno: EINVAL, reason: "not a bridge")
        }
        return BridgeAttributes(stpEnabled: (data.u32(Int(IFLA_BR_STP_STATE)) ?? 0) != 0,
                                vlanFiltering: data.u8(Int(IFLA_BR_VLAN_FILTERING)).map { $0 != 0 },
                                forwardDelayCentiseconds: data.u32(Int(IFLA_BR_FORWARD_DELAY)) ?? 0,
                                ageingTimeCentiseconds: data.u32(Int(IFLA_BR_AGEING_TIME)) ?? 0)
    }

    /// IFLA_LINKINFO of `ifname` (kind, data, slave kind, slave data); empty when the link has none.
    private func linkInfo(_ operation: String, _ ifname: String) throws(NetlinkError) -> NetlinkAttributes {
        let reply = try queryLink(operation, ifname)
        let top = NetlinkAttributes(message: reply, familyHeaderSize: MemoryLayout<ifinfomsg>.size)
        return top.nested(Int(IFLA_LINKINFO)) ?? NetlinkAttributes([])
    }

    private static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
