import Foundation
import Netlink
import Testing
import TestSupport

@Suite struct LinkTests {
    @Test func vethAcrossNamespacesAndEveryAttribute() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("node"), pod = try ThrowawayNamespace("pod")
        let nodeNS = try NetNS(path: node.path), podNS = try NetNS(path: pod.path)
        let nodeSocket = try RouteSocket(in: nodeNS)
        let podSocket = try RouteSocket(in: podNS)

        try nodeSocket.addVeth(name: "veth-host", peer: "eth9", peerNetns: podNS, mtu: 1400)
        let host = try #require(try nodeSocket.link(named: "veth-host"))
        #expect(host.kind == "veth")
        #expect(host.mtu == 1400)
        #expect(try nodeSocket.link(named: "eth9") == nil, "the peer lives in the pod namespace only")

        let mac = try #require(MACAddress("c2:11:22:33:44:55"))
        try podSocket.setLink("eth9", LinkChange(mac: mac, mtu: 1300, txQueueLength: 321, up: true,
                                                  promiscuous: true, allMulticast: true))
        let peer = try podSocket.existingLink(named: "eth9")
        #expect(peer.mac == mac)
        #expect(peer.mtu == 1300)
        #expect(peer.txQueueLength == 321)
        #expect(peer.isUp && peer.isPromiscuous && peer.isAllMulticast)
        // What `ip` sees is what we read.
        let shown = try pod.ip("-d", "link", "show", "dev", "eth9")
        #expect(shown.contains("c2:11:22:33:44:55") && shown.contains("mtu 1300") && shown.contains("PROMISC"))

        // A rename of a running link (older kernels, the VM lane's 6.1, refuse it with EBUSY: setLink takes
        // the link down for the rename and up again).
        try podSocket.setLink("eth9", LinkChange(name: "net1", promiscuous: false, allMulticast: false))
        let renamed = try podSocket.existingLink(named: "net1")
        #expect(!renamed.isPromiscuous && !renamed.isAllMulticast)
        #expect(renamed.index == peer.index)
        #expect(renamed.isUp, "still up after the rename")

        try podSocket.setLink("net1", LinkChange(up: false))
        try podSocket.moveLink("net1", to: nodeNS)
        #expect(try podSocket.link(named: "net1") == nil)
        #expect(try nodeSocket.link(named: "net1") != nil)

        try nodeSocket.deleteLink("veth-host")
        #expect(try nodeSocket.links().map(\.name).sorted() == ["lo"])
    }

    @Test func enslaveToABridgeAndRelease() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("node")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addBridge(name: "br-test", mtu: 1450)
        try socket.addVeth(name: "port0", peer: "port0p")
        let bridge = try socket.existingLink(named: "br-test")
        #expect(bridge.kind == "bridge" && bridge.mtu == 1450)

        try socket.setLink("port0", LinkChange(up: true, masterIndex: bridge.index))
        #expect(try socket.existingLink(named: "port0").masterIndex == bridge.index)
        #expect(try node.ip("link", "show", "master", "br-test").contains("port0"))

        try socket.setLink("port0", LinkChange(masterIndex: 0))
        #expect(try socket.existingLink(named: "port0").masterIndex == 0)
    }

    /// The alias (IFLA_IFALIAS) is where owner marks live: set, read back in a dump, shown by `ip`, cleared.
    @Test func aliasIsSetReadAndCleared() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("node")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addBridge(name: "br-alias")
        #expect(try socket.existingLink(named: "br-alias").alias == nil)
        try socket.setLink("br-alias", LinkChange(alias: "swift-cni plugin=bridge network=n1"))
        #expect(try socket.existingLink(named: "br-alias").alias == "swift-cni plugin=bridge network=n1")
        #expect(try socket.links().first { $0.name == "br-alias" }?.alias == "swift-cni plugin=bridge network=n1")
        #expect(try node.ip("-d", "link", "show", "dev", "br-alias").contains("alias swift-cni plugin=bridge network=n1"))
        try socket.setLink("br-alias", LinkChange(alias: ""))
        #expect(try socket.existingLink(named: "br-alias").alias == nil)
    }

    @Test func errorsCarryTheKernelErrnoAndTheObject() throws {
        try requireRoot()
        let node = try ThrowawayNamespace()
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addVeth(name: "a0", peer: "b0")

        do {
            try socket.addVeth(name: "a0", peer: "b1")
            Issue.record("created a duplicate veth")
        } catch {
            #expect(error.isExists, "\(error)")
        }
        do {
            try socket.setLink("a0", LinkChange(mtu: 70000))
            Issue.record("accepted MTU 70000")
        } catch {
            #expect(error.errno == EINVAL, "\(error)")
            #expect(error.description.contains("MTU 70000") && error.description.contains("a0"))
        }
        do {
            try socket.deleteLink("missing0")
            Issue.record("deleted a missing link")
        } catch {
            #expect(error.isNotFound, "\(error)")
        }
        #expect(throws: NetlinkError.self) { try socket.existingLink(named: "missing0") }
    }
}
