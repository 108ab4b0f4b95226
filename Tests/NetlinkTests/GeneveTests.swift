import Foundation
@testable import Netlink
import Testing
import TestSupport

/// The Geneve and bridge-port requests built with libmnl, byte for byte (no root), and Geneve devices on a
/// kernel that has them (the stock-kernel VM lane; the host kernel of this project has no geneve and skips).
@Suite struct GeneveTests {
    /// RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL; IFLA_IFNAME, IFLA_MTU, IFLA_LINKINFO { INFO_KIND "geneve",
    /// INFO_DATA { GENEVE_ID u32, GENEVE_REMOTE 4 bytes, GENEVE_PORT u16 big-endian } }; nests flagged.
    @Test func geneveRequestBytesIPv4() throws {
        let spec = GeneveSpec(name: "gnv0", vni: 4242, remote: try #require(IPAddress("192.0.2.2")), port: 6081, mtu: 1450)
        let bytes = try #require(RouteSocket.geneveRequest(spec)).bytes
        let expected: [UInt8] = [
            96, 0, 0, 0, 16, 0, 0x00, 0x06, 0, 0, 0, 0, 0, 0, 0, 0,       // nlmsghdr: RTM_NEWLINK, CREATE|EXCL
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,               // ifinfomsg
            9, 0, 3, 0, 0x67, 0x6e, 0x76, 0x30, 0, 0, 0, 0,              // IFLA_IFNAME "gnv0"
            8, 0, 4, 0, 0xaa, 0x05, 0, 0,                                // IFLA_MTU 1450
            44, 0, 18, 0x80,                                             // IFLA_LINKINFO (nested)
            11, 0, 1, 0, 0x67, 0x65, 0x6e, 0x65, 0x76, 0x65, 0, 0,       //   IFLA_INFO_KIND "geneve"
            28, 0, 2, 0x80,                                              //   IFLA_INFO_DATA (nested)
            8, 0, 1, 0, 0x92, 0x10, 0, 0,                                //     IFLA_GENEVE_ID 4242
            8, 0, 2, 0, 192, 0, 2, 2,                                    //     IFLA_GENEVE_REMOTE
            6, 0, 5, 0, 0x17, 0xc1, 0, 0,                                //     IFLA_GENEVE_PORT 6081, network order
        ]
        #expect(bytes == expected, "\(bytes)")
    }

    @Test func geneveRequestBytesIPv6() throws {
        let spec = GeneveSpec(name: "gnv6", vni: 1, remote: try #require(IPAddress("2001:db8::2")), port: 7081, mtu: 1430)
        let bytes = try #require(RouteSocket.geneveRequest(spec)).bytes
        #expect(bytes.count == 108)
        #expect(Array(bytes[52..<56]) == [56, 0, 18, 0x80], "IFLA_LINKINFO holds kind and a 40-byte data nest")
        let data: [UInt8] = [
            40, 0, 2, 0x80,
            8, 0, 1, 0, 1, 0, 0, 0,
            20, 0, 7, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,  // IFLA_GENEVE_REMOTE6
            6, 0, 5, 0, 0x1b, 0xa9, 0, 0,                                             // port 7081
        ]
        #expect(Array(bytes[68...]) == data, "\(Array(bytes[68...]))")
    }

    /// RTM_SETLINK, family AF_BRIDGE, IFLA_PROTINFO (nested) { IFLA_BRPORT_ISOLATED u8 1 }: only the flags set.
    @Test func bridgePortRequestBytes() throws {
        let bytes = try #require(RouteSocket.bridgePortRequest(index: 7, BridgePortFlags(isolated: true))).bytes
        let expected: [UInt8] = [
            44, 0, 0, 0, 19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            7, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                 // AF_BRIDGE, ifindex 7
            12, 0, 12, 0x80,                                             // IFLA_PROTINFO (nested)
            5, 0, 33, 0, 1, 0, 0, 0,                                     //   IFLA_BRPORT_ISOLATED 1
        ]
        #expect(bytes == expected, "\(bytes)")
        let all = try #require(RouteSocket.bridgePortRequest(index: 7, BridgePortFlags(hairpin: false, isolated: false, learning: true))).bytes
        #expect(Array(all[32...]) == [28, 0, 12, 0x80, 5, 0, 4, 0, 0, 0, 0, 0, 5, 0, 33, 0, 0, 0, 0, 0, 5, 0, 8, 0, 1, 0, 0, 0])
    }

    @Test(.enabled("the kernel has no geneve (the stock-kernel VM lane runs this)") { try KernelFeature.hasGeneve })
    func devicesReadBackAsCreatedAndKernelRefusalsKeepTheirErrno() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("gnv")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        let v4 = GeneveSpec(name: "gnv4", vni: 16_777_215, remote: try #require(IPAddress("192.0.2.2")), port: 7081, mtu: 1450)
        let v6 = GeneveSpec(name: "gnv6", vni: 1, remote: try #require(IPAddress("2001:db8::2")), port: 7081, mtu: 1430)
        try socket.addGeneve(v4)
        try socket.addGeneve(v6)
        for spec in [v4, v6] {
            let info = try socket.geneve(spec.name)
            #expect(info == GeneveInfo(vni: spec.vni, remote: spec.remote, port: spec.port, collectMetadata: false))
            #expect(try socket.existingLink(named: spec.name).mtu == spec.mtu)
            // What ip(8) sees: the port in network byte order came out as the number asked for.
            let shown = try run("/usr/sbin/ip", "-n", node.name, "-d", "link", "show", "dev", spec.name)
            #expect(shown.contains("geneve id \(spec.vni) remote \(spec.remote)") && shown.contains("dstport \(spec.port)")
                    && shown.contains("mtu \(spec.mtu)"), "\(shown)")
        }

        do { try socket.addGeneve(v4); Issue.record("a second gnv4 was made") } catch { #expect(error.isExists, "\(error)") }
        var twin = v4
        twin.name = "gnv4b"
        do { try socket.addGeneve(twin); Issue.record("a twin of gnv4 was made") } catch { #expect(error.errno == EBUSY, "\(error)") }
        var other = v4
        (other.name, other.remote) = ("gnv4c", try #require(IPAddress("192.0.2.3")))
        try socket.addGeneve(other)  // same VNI and port, another remote: one device per peer

        try node.ip("link", "add", "gext", "type", "geneve", "external", "dstport", "7082")
        #expect(try socket.geneve("gext").collectMetadata)
        var blocked = v4
        (blocked.name, blocked.port) = ("gnv4d", 7082)
        do { try socket.addGeneve(blocked); Issue.record("created next to a collect_md device") } catch {
            #expect(error.errno == EPERM && error.description.contains("gnv4d"), "\(error)")
        }
        try socket.addVeth(name: "v0", peer: "v0p")
        do { _ = try socket.geneve("v0"); Issue.record("read a veth as geneve") } catch {
            #expect(error.errno == EINVAL && error.reason.contains("veth"), "\(error)")
        }
    }
}

/// Kernel features some tests need, probed once in a throwaway namespace.
enum KernelFeature {
    /// Whether `ip link add ... type geneve` works here (Debian's stock kernel: yes; this project's host: no).
    static var hasGeneve: Bool {
        get throws {
            let probe = try ThrowawayNamespace("probe")
            return (try? probe.ip("link", "add", "gnvprobe", "type", "geneve", "id", "1", "remote", "192.0.2.1")) != nil
        }
    }
}
