import Foundation
import Attach
import Netlink
import Testing
import TestSupport

/// The per-pod cost must not grow with the number of pods: the base chain holds one rule (a verdict-map
/// lookup, a hash), never a list of per-pod rules to walk or rewrite.
@Suite struct NftScaleTests {
    @Test func installingThe300thPodCostsAboutWhatTheFirstDid() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("scale")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        let count = 300
        let ports = (0..<count).map { "veth\(String($0, radix: 16))x" }

        // Medians of 30 resist the scheduling spikes of a loaded 2-core machine; a cost that grew with
        // the pod count (a rule list rewritten per pod) would still be tens of times the first one.
        func median(_ values: ArraySlice<Double>) -> Double { values.sorted()[values.count / 2] }
        func ms(_ value: Double) -> String { String(format: "%.3f ms", value) }
        func timed(_ body: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
        }

        // One batch per pod, as each plugin ADD would send: ensure the shared part, add the pod's chain and element.
        var install: [Double] = []
        for (index, port) in ports.enumerated() {
            let mac = MACAddress(bytes: [0x02, 0, 0, 0, UInt8(index >> 8), UInt8(index & 0xff)])!
            var batch = NftBatch()
            SpoofCheck.ensureBase(&batch)
            SpoofCheck.addPort(&batch, .init(hostVeth: port, mac: mac, bridge: "br0", owner: "c1/net1"))
            install.append(try timed { try socket.commit(batch) })
        }
        var listed: [NftElement] = []
        let listing = try timed { listed = try socket.elements(ofSet: SpoofCheck.portsMap, in: spoofTable) }
        #expect(listed.count == count)
        #expect(try socket.chains(in: spoofTable).count == count + 1)

        var remove: [Double] = []
        for port in ports.reversed() {
            var batch = NftBatch()
            SpoofCheck.removePort(&batch, hostVeth: port)
            remove.append(try timed { try socket.commit(batch) })
        }
        #expect(try socket.elements(ofSet: SpoofCheck.portsMap, in: spoofTable).isEmpty)
        #expect(try socket.chains(in: spoofTable).map(\.name) == [SpoofCheck.baseChain])

        // The same 300 pods in ONE transaction (1,500 messages over several libnftnl pages, 1,500 acks),
        // then all removed in one (a GC-style sweep).
        var bulk = NftBatch()
        SpoofCheck.ensureBase(&bulk)
        for (index, port) in ports.enumerated() {
            SpoofCheck.addPort(&bulk, .init(hostVeth: port, mac: MACAddress(bytes: [0x02, 1, 0, 0, UInt8(index >> 8), UInt8(index & 0xff)])!, bridge: "br0",
                                             owner: "c1/net1"))
        }
        let bulkInstall = try timed { try socket.commit(bulk) }
        #expect(try socket.elements(ofSet: SpoofCheck.portsMap, in: spoofTable).count == count)
        var sweep = NftBatch()
        for port in ports { SpoofCheck.removePort(&sweep, hostVeth: port) }
        let bulkRemove = try timed { try socket.commit(sweep) }
        #expect(try socket.chains(in: spoofTable).count == 1)
        print("  one batch of \(bulk.count) operations: \(ms(bulkInstall)); removing all in one batch of \(sweep.count): \(ms(bulkRemove))")

        var drop = NftBatch()
        drop.deleteTable(spoofTable)
        try socket.commit(drop)

        let firstInstall = median(install.prefix(30)), lastInstall = median(install.suffix(30))
        let firstRemove = median(remove.prefix(30)), lastRemove = median(remove.suffix(30))
        let slack = 0.5  // ms: below this, differences are the machine's noise, not the ruleset's
        print("""
            nftables spoof check, \(count) pods, one batch each:
              install: first 30 median \(ms(firstInstall)), last 30 median \(ms(lastInstall)), \
            median \(ms(install.sorted()[count / 2])), max \(ms(install.max()!))
              remove (newest first): first 30 median \(ms(firstRemove)), last 30 median \(ms(lastRemove))
              list \(count) map elements: \(ms(listing))
            """)
        #expect(lastInstall < 3 * firstInstall + slack, "install \(ms(firstInstall)) -> \(ms(lastInstall))")
        #expect(firstRemove < 3 * lastRemove + slack, "remove at \(count) pods \(ms(firstRemove)) vs at 10 pods \(ms(lastRemove))")
    }
}
