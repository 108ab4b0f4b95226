import Foundation
import Testing

/// (e) Bad input to `tuning`, run directly (no libcni) with the CNI environment: a CNI error JSON
/// with the spec's code, and nothing written.
extension BlackBox {
    @Suite struct TuningBadInput {
        /// A pod netns with `net1` (a veth end) and the plugin's env and config for it.
        struct Setup {
            let sandbox: Sandbox
            let cni: CNI
            let pod: String
            let state: NetState

            init(_ impl: Implementation) throws {
                sandbox = try Sandbox()
                cni = try CNI(sandbox, impl)
                pod = try sandbox.pod()
                state = NetState(netns: pod)
                try Shell.must(["ip", "-n", pod, "link", "add", "name", "net1", "type", "veth", "peer", "name", "net1p"])
            }

            func environment(command: String? = "ADD") -> [String: String] {
                var env = ["CNI_CONTAINERID": PodIdentity.random().containerID,
                           "CNI_NETNS": Sandbox.path(ofNamespace: pod), "CNI_IFNAME": "net1"]
                env["CNI_COMMAND"] = command
                return env
            }

            func config(_ extra: [String: Any], cniVersion: String = "1.0.0") throws -> String {
                var conf: [String: Any] = [
                    "cniVersion": cniVersion, "name": "bad-input", "type": "tuning",
                    "dataDir": sandbox.tuningDir.path,
                    "prevResult": ["cniVersion": cniVersion,
                                   "interfaces": [["name": "net1", "sandbox": Sandbox.path(ofNamespace: pod)]]],
                ]
                conf.merge(extra) { $1 }
                return try JSON.string(conf)
            }

            func add(_ stdin: String, command: String? = "ADD") throws -> CNIOutput {
                try cni.execPlugin("tuning", environment: environment(command: command), stdin: stdin)
            }
        }

        /// A sysctl outside net.* is refused. The value written would be the current hostname, so
        /// even a broken plugin changes nothing (kernel.hostname is not per netns!).
        @Test(arguments: Implementation.enabled)
        func sysctlOutsideNet(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let out = try setup.add(try setup.config(["sysctl": ["kernel.hostname": hostname,
                                                                 "net.ipv4.conf.IFNAME.arp_filter": "1"]]))
            #expect(!out.succeeded, "\(out)")
            switch impl {
            case .ours:
                #expect(out.errorCode == 7, "\(out)")
                #expect(try setup.state.sysctl("net.ipv4.conf.net1.arp_filter") == "0", "a sysctl was written")
            case .reference:
                // Reference 1.1.1: code 999 "invalid net sysctl key", checked while writing in map
                // order, so the net.* sysctl may or may not have been written already.
                #expect(out.errorCode == 999, "\(out)")
            }
        }

        /// `..` in a key is refused by ours. The reference turns every `.` into `/` and cleans the
        /// path, so "net.ipv4.conf..all.arp_filter" writes net/ipv4/conf/all/arp_filter and succeeds.
        @Test(arguments: Implementation.enabled)
        func sysctlWithDotDot(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            let out = try setup.add(try setup.config(["sysctl": ["net.ipv4.conf..all.arp_filter": "1"]]))
            switch impl {
            case .ours:
                #expect(out.errorCode == 7, "\(out)")
                #expect(try setup.state.sysctl("net.ipv4.conf.all.arp_filter") == "0", "the sysctl was written")
            case .reference:
                #expect(out.succeeded, "reference now refuses `..`? \(out)")
            }
        }

        /// A `sysctl` key given twice is refused on ADD and CHECK, as the reference does since v1.2.0 (with a
        /// plain error, code 999 through skel). Debian's 1.1.1 predates that: it writes one of the values.
        @Test(arguments: Implementation.enabled)
        func sysctlKeyGivenTwice(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            let once = try setup.config(["sysctl": ["net.ipv4.conf.IFNAME.arp_ignore": "1"]])
            let twice = once.replacingOccurrences(of: #""net.ipv4.conf.IFNAME.arp_ignore":"1""#,
                                                  with: #""net.ipv4.conf.IFNAME.arp_ignore":"1","net.ipv4.conf.IFNAME.arp_ignore":"2""#)
            try #require(twice != once)
            for command in ["ADD", "CHECK"] {
                let out = try setup.add(twice, command: command)
                switch impl {
                case .ours:
                    #expect(out.errorCode == 7 && out.errorMessage?.contains(#"sysctl: the key "net.ipv4.conf.IFNAME.arp_ignore" is given more than once"#) == true,
                            "\(command): \(out)")
                    #expect(try setup.state.sysctl("net.ipv4.conf.net1.arp_ignore") == "0", "a sysctl was written")
                case .reference:
                    if command == "ADD" { #expect(out.succeeded, "1.1.1 now refuses it? \(out)") }
                }
            }
            if impl == .ours { #expect(try setup.add(once).succeeded, "the same key once is fine") }
        }

        /// A bad MAC is a clear error before anything changes. Reference: code 999.
        @Test(arguments: Implementation.enabled)
        func badMAC(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            let before = try #require(try setup.state.link("net1"))
            let out = try setup.add(try setup.config(["mac": "zz:00", "mtu": 1300]))
            #expect(!out.succeeded, "\(out)")
            #expect(out.errorCode == (impl == .ours ? 7 : 999), "\(out)")
            if impl == .ours {  // the reference sets nothing either here, but only by luck of order
                let after = try #require(try setup.state.link("net1"))
                #expect(after.mtu == before.mtu && after.mac == before.mac)
            }
        }

        @Test(arguments: Implementation.enabled)
        func badJSON(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            for command in ["ADD", "CHECK", "DEL"] {
                let out = try setup.add(#"{"cniVersion":"1.0.0", nope"#, command: command)
                #expect(out.errorCode == 6, "\(command): \(out)")
            }
        }

        @Test(arguments: Implementation.enabled)
        func unsupportedVersion(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            let out = try setup.add(try setup.config([:], cniVersion: "9.9.9"))
            #expect(out.errorCode == 1, "\(out)")
        }

        /// Without CNI_COMMAND ours answers code 4. The reference (skel 1.1) instead prints an
        /// "about" text on stderr and exits 0: ours-only.
        @Test(arguments: Implementation.enabled)
        func missingCommand(_ impl: Implementation) throws {
            let setup = try Setup(impl)
            let out = try setup.add(try setup.config([:]), command: nil)
            switch impl {
            case .ours: #expect(out.errorCode == 4, "\(out)")
            case .reference: #expect(out.succeeded && out.output.stdout.isEmpty, "\(out)")
            }
        }
    }
}
