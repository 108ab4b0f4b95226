import Foundation
import Netlink
import Testing
import TestSupport

@Suite struct NetNSTests {
    @Test func runEntersAndAlwaysRestores() throws {
        try requireRoot()
        let scratch = try ThrowawayNamespace()
        let target = try NetNS(path: scratch.path)
        let before = try NetNS.current()

        let inside = try target.run { try NetNS.current().isSame(as: target) }
        #expect(inside)
        #expect(try NetNS.current().isSame(as: before))

        struct Boom: Error {}
        #expect(throws: Boom.self) { try target.run { throw Boom() } }
        #expect(try NetNS.current().isSame(as: before), "a throwing body must still return the thread")
    }

    @Test func refusesWhatIsNotANetworkNamespace() throws {
        #expect(throws: NetlinkError.self) { _ = try NetNS(path: "/etc/hostname") }
        #expect(throws: NetlinkError.self) { _ = try NetNS(path: "/proc/self/ns/mnt") }
        do {
            _ = try NetNS(path: "/var/run/netns/does-not-exist-\(UUID().uuidString)")
            Issue.record("opened a missing netns")
        } catch {
            #expect(error.isNotFound)
            #expect(error.description.contains("does-not-exist"))
        }
    }
}
