import Foundation
import Netlink
import Testing
import TestSupport

/// Macvtap creation and mode reading, in throwaway namespaces, checked against `ip -d`.
///
/// Serialized: `/dev/tap<ifindex>` lives in the one devtmpfs of the machine while ifindexes are per
/// namespace, so macvtaps of parallel tests could share a node name. The tap checks compare the device
/// number with the one sysfs gives inside the namespace, so they hold even then.
@Suite(.serialized) struct MacvtapTests {
    /// Every mode a veth lower device takes (source needs a MAC list and is not offered by the plugin).
    @Test(arguments: [MacvtapMode.bridge, .vepa, .private, .passthru])
    func createInEveryModeAndReadItBack(_ mode: MacvtapMode) throws {
        try requireRoot()
        let node = try ThrowawayNamespace("mvtn")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addVeth(name: "nic0", peer: "nic0p")
        // Keep this macvtap's ifindex (and so its /dev/tap<ifindex>) away from the 4-6 the black-box
        // macvtaps get, should both suites run at once.
        for pad in 0..<3 { try socket.addVeth(name: "pad\(pad)", peer: "pad\(pad)p") }
        let lower = try socket.existingLink(named: "nic0")
        let mac = try #require(MACAddress("02:00:00:00:aa:01"))

        try socket.addMacvtap(MacvtapSpec(name: "mvt0", lowerIndex: lower.index, mode: mode, mtu: 1400, mac: mac,
                                          txQueueLength: 777))
        let link = try socket.existingLink(named: "mvt0")
        #expect(link.kind == "macvtap" && link.linkIndex == lower.index)
        #expect(link.mtu == 1400 && link.txQueueLength == 777)
        // passthru takes over the lower device and with it the lower device's MAC.
        #expect((link.mac == mac) == (mode != .passthru), "\(String(describing: link.mac))")
        #expect(try socket.macvtapMode(of: "mvt0") == mode)
        #expect(try node.ip("-d", "link", "show", "dev", "mvt0").contains("macvtap mode \(mode) "))
        let number = try tapNumber(in: node, dev: "mvt0", index: link.index)
        #expect(deviceNumber(atPath: "/dev/tap\(link.index)") == number, "the kernel made the tap device")

        #expect(throws: NetlinkError.self) {
            try socket.addMacvtap(MacvtapSpec(name: "mvt0", lowerIndex: lower.index, mode: mode))
        }
        try socket.deleteLink("mvt0")
        #expect(deviceNumber(atPath: "/dev/tap\(link.index)") != number, "and removed it with the macvtap")
    }

    @Test func errorsNameTheObject() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("mvtn")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addVeth(name: "nic0", peer: "nic0p")
        do {
            _ = try socket.macvtapMode(of: "nic0")
            Issue.record("a veth has no macvtap mode")
        } catch {
            #expect(error.errno == EINVAL && error.description.contains("nic0") && error.description.contains("veth"))
        }
        do {
            try socket.addMacvtap(MacvtapSpec(name: "mvt0", lowerIndex: 9999, mode: .bridge))
            Issue.record("no lower device 9999")
        } catch {
            #expect(error.isNotFound || error.errno == EINVAL, "\(error)")
            #expect(error.description.contains("mvt0"))
        }
        #expect(MacvtapMode(name: "passthru") == .passthru && MacvtapMode(name: "Bridge") == nil)
    }
}

/// "major:minor" of the macvtap's character device, as sysfs shows it inside the namespace.
private func tapNumber(in node: ThrowawayNamespace, dev: String, index: Int32) throws -> String {
    try run("/usr/sbin/ip", "netns", "exec", node.name, "cat", "/sys/class/net/\(dev)/macvtap/tap\(index)/dev")
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// "major:minor" of a character device node; nil when there is none.
private func deviceNumber(atPath path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFCHR else { return nil }
    let dev = UInt64(info.st_rdev)  // glibc's major()/minor() are macros
    return "\((dev >> 8) & 0xfff | (dev >> 32) & ~0xfff):\(dev & 0xff | (dev >> 12) & ~0xff)"
}
