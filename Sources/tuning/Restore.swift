import Netlink
internal import Glibc

/// Puts the saved values back: the link's attributes first, then the sysctls (an MTU change resets
/// some per-interface sysctls, so those come last). Shared by DEL and by ADD's rollback.
enum Restore {
    static func apply(_ backup: Backup, in netns: borrowing NetNS, ifname: String) throws {
        if backup.changesLink {
            let socket = try RouteSocket(in: netns)
            if try socket.link(named: ifname) != nil { try socket.setLink(ifname, backup.linkChange) }
        }
        try netns.run {
            for (path, value) in (backup.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
                do {
                    try Sysctl.write(try SysctlKey(path, ifname: ifname), value)
                } catch let error as NetlinkError where error.errno == ENOENT {
                    continue  // a per-interface sysctl whose interface is gone: nothing to restore
                }
            }
        }
    }
}
