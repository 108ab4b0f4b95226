import Netlink
import Testing
import TestSupport

@Suite struct SysctlKeyTests {
    @Test(arguments: [
        ("net.ipv4.conf.IFNAME.arp_filter", "net1", "net/ipv4/conf/net1/arp_filter"),
        ("net.ipv4.conf.IFNAME.arp_filter", "eth0.100", "net/ipv4/conf/eth0.100/arp_filter"),
        ("net/ipv4/conf/eth0.100/rp_filter", "eth0", "net/ipv4/conf/eth0.100/rp_filter"),
        ("net.core.somaxconn", "eth0", "net/core/somaxconn"),
    ])
    func acceptsNetworkKeys(key: String, ifname: String, path: String) throws {
        #expect(try SysctlKey(key, ifname: ifname).path == path)
    }

    @Test(arguments: ["kernel.hostname", "net..ipv4.foo", "net/../kernel/hostname", "net", "vm.swappiness",
                      "net/ipv4/./conf", "/net/core/somaxconn",
                      // Found by Fuzz/ (sysctl, regression input regression-dotdot-before-combining-mark):
                      // "/\u{301}" is one Character, so a Character split missed the ".." the kernel walks.
                      "net/../\u{301}x", "net/ipv4/../..\u{2F}\u{301}kernel", "net.ipv4.conf.all.x\u{1}", "net/x\ty"])
    func refusesKeysOutsideNet(key: String) {
        #expect(throws: SysctlKey.Invalid.self) { try SysctlKey(key, ifname: "eth0") }
    }
}

@Suite struct SysctlTests {
    @Test func readsAndWritesInsideTheNamespaceOnly() throws {
        try requireRoot()
        let pod = try ThrowawayNamespace("pod")
        let ns = try NetNS(path: pod.path)
        let key = try SysctlKey("net.ipv4.conf.IFNAME.arp_filter", ifname: "lo")
        let outside = try Sysctl.read(key)

        try ns.run {
            let flipped = (try Sysctl.read(key)) == "1" ? "0" : "1"
            try Sysctl.write(key, flipped)
            #expect(try Sysctl.read(key) == flipped)
        }
        #expect(try Sysctl.read(key) == outside, "the root namespace's value must not change")

        let bad = try SysctlKey("net.ipv4.conf.lo.arp_filter", ifname: "lo")
        #expect(throws: NetlinkError.self) { try ns.run { try Sysctl.write(bad, "not-a-number") } }
    }
}
