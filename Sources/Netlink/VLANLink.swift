internal import CNetlink
internal import Glibc

/// 802.1Q VLAN devices over an rtnetlink socket, in the socket's namespace (`ip link add link LOWER
/// name NAME type vlan id ID`): e.g. a gateway on one VLAN of a VLAN-filtering bridge.
extension RouteSocket {
    /// Creates the 802.1Q device `name` on `lower` with VLAN `id`. It takes the lower device's MAC and MTU.
    /// An existing name fails with EEXIST; a kernel without 802.1q with EOPNOTSUPP.
    public func addVLANLink(name: String, on lower: String, id: UInt16) throws(NetlinkError) {
        let lowerIndex = try existingLink(named: lower).index
        let link = rtnl_link_vlan_alloc()!
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        rtnl_link_set_link(link, lowerIndex)
        _ = rtnl_link_vlan_set_id(link, id)
        try perform("create VLAN \(id) device on \(lower):", describeObject(name)) {
            rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL)
        }
    }

    /// The VLAN ID of the 802.1Q device `name`; nil when it is a link of another kind.
    public func vlanID(of name: String) throws(NetlinkError) -> UInt16? {
        var found: OpaquePointer?
        try perform("find link", describeObject(name)) { rtnl_link_get_kernel(sock, 0, name, &found) }
        guard let found else {
            throw NetlinkError(operation: "find link", object: describeObject(name), errno: ENODEV, reason: "no such device")
        }
        defer { rtnl_link_put(found) }
        guard rtnl_link_get_type(found).map({ String(cString: $0) }) == "vlan" else { return nil }
        let id = rtnl_link_vlan_get_id(found)
        return id > 0 ? UInt16(id) : nil
    }
}
