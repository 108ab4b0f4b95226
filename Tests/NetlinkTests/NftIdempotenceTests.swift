import Foundation
import Attach
@testable import Netlink
import Testing
import TestSupport

/// "Delete if it exists": NFT_MSG_DESTROY* on Linux 6.3+, plain deletes minus the missing ones before.
@Suite struct NftIdempotenceTests {
    let macs = (1...3).map { MACAddress(bytes: [2, 0, 0, 0, 0, UInt8($0)])! }

    @Test(arguments: [false, true])
    func deletesIfExistsSucceedOnMissingObjects(legacyKernel: Bool) throws {
        try requireRoot()
        let node = try ThrowawayNamespace("idem")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        // Pretend to be a kernel without NFT_MSG_DESTROY* (the 6.1 of the stock-kernel lane).
        if legacyKernel { socket.state.pointee.destroySupported = false }

        var missingTable = NftBatch()
        missingTable.deleteTable(NftTable(.inet, "never-there"), ifExists: true)
        try socket.commit(missingTable)

        var install = NftBatch()
        SpoofCheck.ensureBase(&install)
        for (index, mac) in macs.enumerated() { SpoofCheck.addPort(&install, .init(hostVeth: "p\(index)", mac: mac, bridge: "br0", owner: "c1/net1")) }
        try socket.commit(install)
        if !legacyKernel {
            let kernel = ProcessInfo.processInfo.operatingSystemVersion
            #expect(socket.state.pointee.destroySupported == ((kernel.majorVersion, kernel.minorVersion) >= (6, 3)),
                    "NFT_MSG_DESTROY* since Linux 6.3; this is \(kernel.majorVersion).\(kernel.minorVersion)")
        }

        // p1's element and chain are gone already; one batch removes the rest and tolerates the missing.
        var removeOne = NftBatch()
        SpoofCheck.removePort(&removeOne, hostVeth: "p1")
        try socket.commit(removeOne)
        var removeAll = NftBatch()
        removeAll.deleteElements([.ifname("p0"), .ifname("p1"), .ifname("p2")], fromSet: SpoofCheck.portsMap,
                                 in: spoofTable, ifExists: true)
        for index in 0..<3 { removeAll.deleteChain(SpoofCheck.chainName("p\(index)"), in: spoofTable, ifExists: true) }
        removeAll.deleteSet("no-such-set", in: spoofTable, ifExists: true)
        try socket.commit(removeAll)
        #expect(try socket.elements(ofSet: SpoofCheck.portsMap, in: spoofTable).isEmpty)
        #expect(try socket.chains(in: spoofTable).map(\.name) == [SpoofCheck.baseChain])

        // A delete without ifExists still fails on a missing object, and names it.
        var strict = NftBatch()
        strict.deleteChain("p9", in: spoofTable)
        #expect { try socket.commit(strict) } throws: { ($0 as? NetlinkError)?.isNotFound == true }

        var drop = NftBatch()
        drop.deleteTable(spoofTable, ifExists: true)
        try socket.commit(drop)
        try socket.commit(drop)
        #expect(try !socket.tableExists(spoofTable))
    }

    @Test func userdataIsTheTLVNftWrites() {
        // `nft --debug=netlink` shows a rule comment "mine" as userdata = { \x00\x05mine\x00 }.
        #expect(NftUserdata.comment("mine") == [0, 5] + Array("mine".utf8) + [0])
        #expect(NftUserdata.comment(in: [0, 5] + Array("mine".utf8) + [0]) == "mine")
        // A set with an ifname key: NFTNL_UDATA_SET_KEYBYTEORDER = host (1), then the comment (type 7).
        #expect(NftUserdata.set(keyByteOrder: 1, comment: "c") == [0, 4, 1, 0, 0, 0, 7, 2, UInt8(ascii: "c"), 0])
        #expect(NftUserdata.decode([0, 9, 1]).isEmpty, "a truncated TLV is ignored")
    }

    @Test func rulesDescribeThemselvesInNftSyntax() {
        let mac = MACAddress("02:00:00:00:00:01")!
        #expect(NftRule([.iifname("veth1"), .etherSource(mac, .notEqual)], counter: true, verdict: .drop, comment: "x").description
                == "iifname \"veth1\" ether saddr != 02:00:00:00:00:01 counter drop comment \"x\"")
        #expect(NftRule.verdictMap(.iifname, map: "ports").description == "iifname vmap @ports")
        // Exact interface names are compared as 16 zero-padded bytes, patterns by their prefix.
        let exact = NftMatch.iifname("veth1").expressions
        #expect(exact.last == .cmp(op: 0, data: Array("veth1".utf8) + [UInt8](repeating: 0, count: 11)))
        #expect(NftMatch.iifname("ve*").expressions.last == .cmp(op: 0, data: Array("ve".utf8)))
        // ARP and IP fields carry their protocol check first.
        #expect(NftMatch.arpSenderIPv4([10, 0, 0, 1]).expressions.count == 4)
    }
}
