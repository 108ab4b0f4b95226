import Foundation
import Testing

/// (8) A node starting and stopping many pods at once: 24 ADDs run concurrently (one runner process
/// each, each pod its own netns, ifnames as Multus and KubeVirt choose them) into one bridge that
/// does not exist yet, with host-local and macspoofchk; then 24 concurrent DELs.
extension BlackBox {
    @Suite struct BridgeParallel {
        static let pods = 24

        @Test(arguments: Implementation.enabled)
        func parallelAddsThenParallelDels(_ impl: Implementation) throws {
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist")
            let node = setup.sandbox.node
            let attachments = try (1...Self.pods).map { index in
                Attachment(netns: try setup.sandbox.pod("p\(index)"),
                           ifname: index.isMultiple(of: 2) ? IfName.multus : IfName.kubevirt(),
                           pod: PodIdentity.random(name: "virt-launcher-vmi-\(index)"))
            }
            #expect(try setup.node.link(setup.bridge) == nil, "the bridge must be new")

            let adds = try setup.cni.parallel("add", network: setup.network, attachments)
            let failed = adds.enumerated().filter { !$0.element.succeeded }
            #expect(failed.isEmpty, "\(failed.count) of \(Self.pods) ADDs failed; first: \(failed.first.map { "\($0.element)" } ?? "")")
            let succeeded = zip(attachments, adds).filter { $0.1.succeeded }
            let results = succeeded.map { BridgeResult($0.1) }

            let addresses = results.compactMap(\.address)
            #expect(Set(addresses).count == succeeded.count, "addresses not distinct: \(addresses.sorted())")
            #expect(setup.allocations().count == succeeded.count)
            #expect(try setup.ports().count == succeeded.count)
            #expect(try setup.node.links(ofKind: "bridge") == [setup.bridge], "one bridge")
            for (attachment, result) in zip(succeeded.map(\.0), results) {
                let mac = try #require(result.podMAC)
                #expect(try NetState(netns: attachment.netns).link(attachment.ifname)?.mac == mac)
                #expect(try !setup.rules(mentioning: [mac]).isEmpty, "no spoof-check rule for \(attachment.ifname)")
            }
            if let last = succeeded.last, let address = results.last?.address {
                #expect(try Traffic.udpEcho(from: last.0.netns, to: "10.250.11.1", in: node))
                if let first = succeeded.first, first.0.netns != last.0.netns {
                    #expect(try Traffic.udpEcho(from: first.0.netns, to: address, in: last.0.netns))
                }
            }

            let dels = try setup.cni.parallel("del", network: setup.network, attachments)
            let failedDels = dels.filter { !$0.succeeded }
            #expect(failedDels.isEmpty, "\(failedDels.count) DELs failed; first: \(failedDels.first.map { "\($0)" } ?? "")")
            #expect(try setup.nodeVeths() == [], "veths left")
            #expect(setup.allocations() == [], "host-local allocations left")
            #expect(try Nft.rules(in: node) == [], "spoof-check rules left")
            for attachment in attachments {
                #expect(try NetState(netns: attachment.netns).link(attachment.ifname) == nil)
            }
            if impl == .ours {  // the reference leaves its table and base chain (see BridgeSpoofCheck)
                #expect(try Nft.tables(in: node) == [])
            }
        }
    }
}
