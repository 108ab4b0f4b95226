import Foundation
import Testing

/// Side by side: the same conflist and the same CNI_ARGS through the reference and through ours;
/// the normalised node + pod state (BridgeSnapshot) must be equal after ADD and after DEL.
/// With only the reference enabled, the reference is compared with itself: that proves the
/// snapshot abstracts everything random (host veth names, MACs, link-local addresses).
extension BlackBox {
    @Suite struct BridgeSideBySide {
        enum Scenario: String, CaseIterable, Sendable, CustomTestStringConvertible {
            case l2               // conf/bridge-test.conflist as written
            case hostLocal        // conf/bridge-host-local.conflist (isGateway)
            case defaultGateway   // the same with isDefaultGateway
            case spoofCheck       // conf/br-spoof-check.conflist
            case customMAC        // the same with runtimeConfig.mac
            case portOptions      // L2 with mtu and hairpinMode
            case promiscMode      // L2 with promiscMode (both with hairpinMode is an error)
            var testDescription: String { rawValue }

            static let mac = "c2:00:00:00:5b:01"

            var file: String {
                switch self {
                case .l2, .portOptions, .promiscMode: "bridge-test.conflist"
                case .hostLocal, .defaultGateway: "bridge-host-local.conflist"
                case .spoofCheck, .customMAC: "br-spoof-check.conflist"
                }
            }

            func edit(_ bridge: inout [String: Any]) {
                switch self {
                case .defaultGateway: bridge["isDefaultGateway"] = true
                case .portOptions:
                    bridge["mtu"] = 1400
                    bridge["hairpinMode"] = true
                    bridge["disableContainerInterface"] = nil
                case .promiscMode:
                    bridge["promiscMode"] = true
                    bridge["disableContainerInterface"] = nil
                default: break
                }
            }

            var capArgs: [String: Any]? { self == .customMAC ? ["mac": Self.mac] : nil }
        }

        /// The implementation compared with the reference.
        static var other: Implementation { Implementation.enabled.contains(.ours) ? .ours : .reference }

        @Test(.enabled(if: Implementation.enabled.contains(.reference), "needs the reference"),
              arguments: Scenario.allCases, BridgeSetup.ifnames)
        func sameStateAsReference(_ scenario: Scenario, _ ifname: String) throws {
            let identity = PodIdentity.random()
            let reference = try run(.reference, scenario, ifname, identity)
            let other = try run(Self.other, scenario, ifname, identity)

            var expected = reference.added
            if Self.other == .ours, scenario == .l2 {
                // Reference 1.1.1 ignores disableContainerInterface (bridge-test sets it): its pod
                // side is up, ours must be down (and so its port without carrier). Everything else must match.
                #expect(reference.added.pod?.up == true)
                expected = expected.withPodDown()
            }
            #expect(other.added == expected, "after ADD: reference \(reference.added)\n\(Self.other): \(other.added)")
            #expect(other.deleted == reference.deleted,
                    "after DEL: reference \(reference.deleted)\n\(Self.other): \(other.deleted)")
        }

        private func run(_ impl: Implementation, _ scenario: Scenario, _ ifname: String, _ identity: PodIdentity)
            throws -> (added: BridgeSnapshot, deleted: BridgeSnapshot) {
            let setup = try BridgeSetup(impl, scenario.file) { scenario.edit(&$0) }
            let pod = try setup.sandbox.pod()
            let add = try setup.add(pod, ifname, identity, capArgs: scenario.capArgs)
            try #require(add.succeeded, "\(impl) \(scenario): \(add)")
            let known: Set<String> = scenario == .customMAC ? [Scenario.mac] : []
            let added = try setup.snapshot(pod: pod, ifname: ifname, knownMACs: known)
            let del = try setup.del(pod, ifname, identity, capArgs: scenario.capArgs)
            try #require(del.succeeded, "\(impl) \(scenario): \(del)")
            let deleted = try setup.snapshot(pod: pod, ifname: ifname, knownMACs: known)
            return (added, deleted)
        }
    }
}
