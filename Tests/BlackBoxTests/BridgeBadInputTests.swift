import Foundation
import Testing

/// (6) Bad input to `bridge`, run directly (no libcni, which would reject some of it first):
/// a CNI error JSON naming the problem, and nothing created (no bridge, no veth, no pod interface).
extension BlackBox {
    @Suite struct BridgeBadInput {
        struct Setup {
            let bridge: BridgeSetup
            let pod: String
            let identity = PodIdentity.random()
            let ifname = IfName.kubevirt()

            init(_ impl: Implementation) throws {
                bridge = try BridgeSetup(impl, "bridge-test.conflist", cniVersion: "1.0.0")
                pod = try bridge.sandbox.pod()
            }

            func add(_ extra: [String: Any], cniArgs: String? = nil) throws -> CNIOutput {
                try bridge.exec("ADD", netns: pod, ifname: ifname, identity: identity, extra: extra, cniArgs: cniArgs)
            }

            /// No bridge (unless `bridgeMayExist`), no veth, no pod interface.
            func expectNothingCreated(bridgeMayExist: Bool = false, existing: [String] = [],
                                      sourceLocation: SourceLocation = #_sourceLocation) throws {
                let node = bridge.node
                if !bridgeMayExist {
                    #expect(try node.links(ofKind: "bridge") == [], "bridge created", sourceLocation: sourceLocation)
                }
                #expect(try node.links(ofKind: "veth") == existing.sorted(), "veth created", sourceLocation: sourceLocation)
                #expect(try NetState(netns: pod).link(ifname) == nil, "pod interface created", sourceLocation: sourceLocation)
            }
        }

        static var wrongTypes: [(String, Any)] { [
            ("mtu", "1400"), ("hairpinMode", "yes"), ("promiscMode", 1), ("isGateway", "true"),
            ("macspoofchk", "yes"), ("bridge", 5), ("vlan", "100"),
        ] }

        /// Ours: code 7 naming the key. Reference 1.1.1: code 999 "failed to load netconf: json: cannot
        /// unmarshal string into Go struct field NetConf.mtu of type int" (names the key too).
        @Test(arguments: Implementation.enabled, wrongTypes.map(\.0))
        func wrongType(_ impl: Implementation, _ key: String) throws {
            let setup = try Setup(impl)
            let value = try #require(Self.wrongTypes.first { $0.0 == key }?.1)
            let out = try setup.add([key: value])
            #expect(out.errorCode == (impl == .ours ? 7 : 999), "\(out)")
            #expect(out.errorMessage?.contains(key) == true, "the message names \(key): \(out)")
            try setup.expectNothingCreated()
        }

        /// Keys it does not know are ignored (a newer NAD on an older plugin keeps working).
        @Test(arguments: Implementation.enabled)
        func unknownKeysAreIgnored(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            let out = try setup.add(["someFutureKey": ["nested": 1], "anotherOne": "x"])
            #expect(out.succeeded, "\(out)")
        }

        /// hairpinMode and promiscMode together: both refuse. Reference: 999 "cannot set hairpin mode
        /// and promiscuous mode at the same time."; ours: 7.
        @Test(arguments: Implementation.enabled)
        func hairpinWithPromisc(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            let out = try setup.add(["hairpinMode": true, "promiscMode": true])
            #expect(out.errorCode == (impl == .ours ? 7 : 999), "\(out)")
            #expect(out.errorMessage?.lowercased().contains("hairpin") == true, "\(out)")
            try setup.expectNothingCreated()
        }

        /// disableContainerInterface with IPAM is refused by ours (code 7, naming the key). Reference
        /// 1.1.1 does not know the key: it succeeds and brings the pod side up with the address.
        @Test(arguments: Implementation.enabled)
        func disableContainerInterfaceWithIPAM(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            let ipam: [String: Any] = ["type": "host-local", "subnet": "10.250.12.0/24",
                                       "dataDir": setup.bridge.sandbox.ipamDir.path]
            let out = try setup.add(["disableContainerInterface": true, "ipam": ipam])
            switch impl {
            case .ours:
                #expect(out.errorCode == 7, "\(out)")
                #expect(out.errorMessage?.contains("disableContainerInterface") == true, "\(out)")
                try setup.expectNothingCreated()
            case .reference:
                #expect(out.succeeded, "reference 1.1.1 now knows disableContainerInterface? \(out)")
                #expect(try NetState(netns: setup.pod).link(setup.ifname)?.flags.contains("UP") == true)
            }
        }

        /// A link named like the bridge that is not a bridge: error, and that link left alone.
        /// Reference: 999 `failed to create bridge "br-test": "br-test" already exists but is not a bridge`.
        @Test(arguments: Implementation.enabled)
        func existingLinkIsNotABridge(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            try Shell.must(["ip", "-n", setup.bridge.sandbox.node, "link", "add", "name", "br-test",
                            "type", "veth", "peer", "name", "br-test-peer"])
            let out = try setup.add([:])
            #expect(!out.succeeded && out.errorCode != nil, "\(out)")
            if impl == .reference { #expect(out.errorCode == 999) }
            #expect(out.errorMessage?.contains("br-test") == true, "the message names the link: \(out)")
            try setup.expectNothingCreated(existing: ["br-test", "br-test-peer"])
            let link = try #require(try setup.bridge.node.link("br-test"))
            #expect(link.raw["master"] == nil)
        }

        enum MACSource: String, CaseIterable, Sendable, CustomTestStringConvertible {
            case cniArgs, argsCNI, runtimeConfig
            var testDescription: String { rawValue }
        }

        /// An invalid MAC from any source. Ours: 7, before anything is created. Reference: 999
        /// "failed to make veth pair: address zz:00: invalid MAC address", after it created the bridge.
        @Test(arguments: Implementation.enabled, MACSource.allCases)
        func invalidMAC(_ impl: Implementation, _ source: MACSource) throws {
            let setup = try Setup(impl)
            let bad = "zz:00"
            let out: CNIOutput
            switch source {
            case .cniArgs: out = try setup.add([:], cniArgs: setup.identity.cniArgs(extra: ["MAC=\(bad)"]))
            case .argsCNI: out = try setup.add(["args": ["cni": ["mac": bad]]])
            case .runtimeConfig: out = try setup.add(["runtimeConfig": ["mac": bad]])
            }
            #expect(out.errorCode == (impl == .ours ? 7 : 999), "\(out)")
            #expect(out.errorMessage?.contains(bad) == true, "the message names the MAC: \(out)")
            try setup.expectNothingCreated(bridgeMayExist: impl == .reference)
            if impl == .reference {
                #expect(try setup.bridge.node.links(ofKind: "bridge") == ["br-test"], "reference no longer creates the bridge first?")
            }
        }
    }
}
