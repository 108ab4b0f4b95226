internal import CNetlink
internal import Glibc

/// Link lookup and changes over an rtnetlink socket, in the socket's namespace.
extension RouteSocket {
    /// The link named `name`, or nil when there is none.
    public func link(named name: String) throws(NetlinkError) -> Link? {
        do {
            return try withKernelLink(name) { Link($0) }
        } catch where error.isNotFound {
            return nil
        }
    }

    /// The link named `name`; a missing link is an error naming it and the namespace.
    public func existingLink(named name: String) throws(NetlinkError) -> Link {
        try withKernelLink(name) { Link($0) }
    }

    /// Every link in the namespace. A dump interrupted by a concurrent change is retried.
    public func links() throws(NetlinkError) -> [Link] {
        try dump("list links in", netnsPath, allocate: { rtnl_link_alloc_cache(sock, AF_UNSPEC, &$0) }) { Link($0) }
    }

    /// Changes the attributes `change` names on the link `name`. A rename of a running link, which
    /// kernels before 6.2 refuse (EBUSY), is done with the link down for the moment of the rename; the
    /// link ends up as `change.up` says, or as it was.
    public func setLink(_ name: String, _ change: LinkChange) throws(NetlinkError) {
        do {
            try changeLink(name, change)
        } catch where error.errno == EBUSY && change.name != nil && change.name != name {
            let wasUp = try existingLink(named: name).isUp
            guard wasUp else { throw error }
            try changeLink(name, LinkChange(up: false))
            var renaming = change
            renaming.up = change.up ?? true
            do {
                try changeLink(name, renaming)
            } catch {
                try? changeLink(name, LinkChange(up: true))
                throw error
            }
        }
    }

    private func changeLink(_ name: String, _ change: LinkChange) throws(NetlinkError) {
        try withKernelLink(name) { (original) throws(NetlinkError) in
            let request = rtnl_link_alloc()!
            defer { rtnl_link_put(request) }
            change.apply(to: request)
            try perform("set \(change.summary) on", describe(name)) { rtnl_link_change(sock, original, request, 0) }
        }
    }

    /// Moves the link `name` into `netns` (it disappears from this socket's namespace).
    public func moveLink(_ name: String, to netns: borrowing NetNS) throws(NetlinkError) {
        let fd = netns.fd
        try withKernelLink(name) { (original) throws(NetlinkError) in
            let request = rtnl_link_alloc()!
            defer { rtnl_link_put(request) }
            rtnl_link_set_ns_fd(request, fd)
            try perform("move to netns \(netns.path)", describe(name)) { rtnl_link_change(sock, original, request, 0) }
        }
    }

    /// Deletes the link `name`. A missing link is reported as an error with `isNotFound`.
    public func deleteLink(_ name: String) throws(NetlinkError) {
        let request = rtnl_link_alloc()!
        defer { rtnl_link_put(request) }
        rtnl_link_set_name(request, name)
        try perform("delete link", describe(name)) { rtnl_link_delete(sock, request) }
    }

    /// Creates a veth pair: `name` in this socket's namespace, `peer` in `peerNetns`.
    public func addVeth(name: String, peer: String, peerNetns: borrowing NetNS, mtu: UInt32? = nil,
                        mac: MACAddress? = nil, peerMAC: MACAddress? = nil) throws(NetlinkError) {
        try addVeth(LinkChange(name: name, mac: mac, mtu: mtu), LinkChange(name: peer, mac: peerMAC, mtu: mtu),
                    peerNetnsFD: peerNetns.fd)
    }

    /// Creates a veth pair with both ends in this socket's namespace.
    public func addVeth(name: String, peer: String, mtu: UInt32? = nil) throws(NetlinkError) {
        try addVeth(LinkChange(name: name, mtu: mtu), LinkChange(name: peer, mtu: mtu), peerNetnsFD: nil)
    }

    private func addVeth(_ end: LinkChange, _ peerEnd: LinkChange, peerNetnsFD: Int32?) throws(NetlinkError) {
        let link = rtnl_link_veth_alloc()!
        defer { rtnl_link_put(link) }
        end.apply(to: link)
        // The peer is owned by `link` (rtnl_link_veth_release frees both on put).
        let peer = rtnl_link_veth_get_peer(link)!
        defer { rtnl_link_put(peer) }
        peerEnd.apply(to: peer)
        if let peerNetnsFD { rtnl_link_set_ns_fd(peer, peerNetnsFD) }
        try perform("create veth pair \(end.name ?? "")/\(peerEnd.name ?? "")", "in \(netnsPath)") {
            rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL)
        }
    }

    /// Creates a Linux bridge named `name`.
    public func addBridge(name: String, mtu: UInt32? = nil, mac: MACAddress? = nil) throws(NetlinkError) {
        let link = rtnl_link_bridge_alloc()!
        defer { rtnl_link_put(link) }
        LinkChange(name: name, mac: mac, mtu: mtu).apply(to: link)
        try perform("create bridge", describe(name)) { rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL) }
    }

    private func describe(_ name: String) -> String { "\(name) in \(netnsPath)" }

    private func withKernelLink<R>(_ name: String, _ body: (OpaquePointer) throws(NetlinkError) -> R) throws(NetlinkError) -> R {
        var found: OpaquePointer?
        try perform("find link", describe(name)) { rtnl_link_get_kernel(sock, 0, name, &found) }
        guard let found else {
            throw NetlinkError(operation: "find link", object: describe(name), errno: ENODEV, reason: "no such device")
        }
        defer { rtnl_link_put(found) }
        return try body(found)
    }
}
