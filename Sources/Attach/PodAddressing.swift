import CNIKit
import Netlink

/// The addresses and routes of an IPAM result, put on the pod's interface as the reference plugins
/// do (ipam.ConfigureIface): a route without a gateway goes via its family's (first) gateway. With an
/// IPv6 address, IPv6 is turned on for `lo` and the interface (a runtime may have disabled it) and the
/// interface keeps its addresses when it goes down (`keep_addr_on_down`, as the reference since v1.7.0).
public enum PodAddressing {
    public static func configure(_ result: Result, pod: borrowing NetNS, ifname: String, enableDAD: Bool) throws {
        try pod.run {
            for (key, value) in [("net/ipv6/conf/\(ifname)/accept_dad", enableDAD ? "1" : "0"),
                                 ("net/ipv4/conf/\(ifname)/arp_notify", "1")] {
                try? Sysctl.write(try SysctlKey(key, ifname: ifname), value)  // best effort, as the reference
            }
            if result.ips.contains(where: { IPNetwork($0.address)?.family == .v6 }) { try enableIPv6(ifname) }
        }
        let socket = try RouteSocket(in: pod)
        for ip in result.ips {
            guard let address = IPNetwork(ip.address) else { continue }
            try socket.addAddress(address, to: ifname, noDAD: !enableDAD)
        }
        let index = try socket.existingLink(named: ifname).index
        for route in result.routes {
            guard let destination = IPNetwork(route.dst) else { continue }
            let gateway = route.gw.flatMap(IPAddress.init) ?? familyGateway(result, destination.family)
            try socket.addRoute(Route(destination: destination.network, gateway: gateway, interfaceIndex: index,
                                      metric: route.priority.flatMap(UInt32.init(exactly:)),
                                      mtu: route.mtu.flatMap(UInt32.init(exactly:)), advmss: route.advmss.flatMap(UInt32.init(exactly:)),
                                      table: route.table.flatMap(UInt32.init(exactly:)), scope: route.scope.flatMap(UInt8.init(exactly:))))
        }
    }

    private static func familyGateway(_ result: Result, _ family: IPAddress.Family) -> IPAddress? {
        result.ips.compactMap { ip in ip.gateway.flatMap(IPAddress.init) }.first { $0.family == family }
    }

    /// `disable_ipv6` 0 on `lo` and `ifname` where it is not (an unreadable one is left, as the reference
    /// does), then `keep_addr_on_down` 1 on `ifname`. Run inside the pod's namespace.
    private static func enableIPv6(_ ifname: String) throws {
        for device in ["lo", ifname] {
            let key = try SysctlKey("net/ipv6/conf/\(device)/disable_ipv6", ifname: ifname)
            if let value = try? Sysctl.read(key), value != "0" { try Sysctl.write(key, "0") }
        }
        try Sysctl.write(try SysctlKey("net/ipv6/conf/\(ifname)/keep_addr_on_down", ifname: ifname), "1")
    }
}
