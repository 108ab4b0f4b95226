import Foundation
import Testing

/// `tuning` across spec versions, through a failed ADD, and through GC and STATUS (spec 1.1.0,
/// which libcni 1.1.2 lacks: the runner calls the plugins directly for those).
extension BlackBox {
    @Suite struct TuningLifecycle {
        /// Every version a conflist can have (0.3.0 and later) and the reference ptp speaks.
        @Test(arguments: Implementation.enabled, ["0.3.0", "0.3.1", "0.4.0", "1.0.0"])
        func everySpecVersionThroughLibcni(_ impl: Implementation, _ version: String) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, impl)
            let network = try Fixtures.install("ptp-mac.conflist", in: sandbox, cniVersion: version)
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let mac = "c2:11:22:33:44:66"

            let add = try cni.add(network: network, netns: pod, pod: identity, capArgs: ["mac": mac])
            try #require(add.succeeded, "\(add)")
            #expect(add.json?["cniVersion"] as? String == version)
            #expect(add.sandboxInterface(IfName.multus)?["mac"] as? String == mac, "\(add)")
            let ip = (add.json?["ips"] as? [[String: Any]])?.first
            #expect((ip?["version"] as? String == "4") == (version != "1.0.0"), "ips[].version exists before 1.0.0 only: \(add)")
            #expect(try NetState(netns: pod).link(IfName.multus)?.mac == mac)
            if impl == .ours, version == "0.4.0" || version == "1.0.0" {  // CHECK exists from 0.4.0
                let check = try cni.check(network: network, netns: pod, pod: identity, capArgs: ["mac": mac])
                #expect(check.succeeded, "\(check)")
            }
            let del = try cni.del(network: network, netns: pod, pod: identity, capArgs: ["mac": mac])
            #expect(del.succeeded, "\(del)")
        }

        /// A write the kernel refuses halfway through ADD: what was already changed is put back and
        /// no backup is left behind (ours-only: the reference leaves the sysctls it already wrote).
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ours-only"))
        func failedAddPutsBackWhatItChanged() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            let network = try Fixtures.install("ptp-mac.conflist", in: sandbox) { plugins in
                plugins.edit("tuning") {
                    // Written in path order: arp_filter succeeds, then rp_filter is refused (EINVAL).
                    $0["sysctl"] = ["net.ipv4.conf.IFNAME.arp_filter": "1", "net.ipv4.conf.IFNAME.rp_filter": "bogus"]
                }
            }
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let state = try NetState(netns: pod)

            let add = try cni.add(network: network, netns: pod, pod: identity, capArgs: ["mac": "c2:11:22:33:44:77"])
            #expect(!add.succeeded)
            #expect(add.errorCode == 5, "\(add)")
            #expect(add.errorMessage?.contains("rp_filter") == true, "the message names the sysctl: \(add)")
            #expect(try state.sysctl("net.ipv4.conf.\(IfName.multus).arp_filter") == "0", "arp_filter rolled back")
            #expect(try state.link(IfName.multus)?.mac != "c2:11:22:33:44:77", "the MAC was never changed")
            #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.tuningDir.path).isEmpty,
                    "no backup survives a failed ADD")

            let del = try cni.del(network: network, netns: pod, pod: identity)
            #expect(del.succeeded, "\(del)")
        }

        /// GC keeps the backups of valid attachments and removes the others, and never touches another
        /// network's backups in the shared dataDir; STATUS answers ready.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ours-only"))
        func gcRemovesBackupsOfGoneAttachmentsAndStatusIsReady() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            let network = try Fixtures.install("ptp-mac.conflist", in: sandbox)
            let kept = PodIdentity.random(), gone = PodIdentity.random()
            let keptPod = try sandbox.pod("pod1"), gonePod = try sandbox.pod("pod2")
            for (identity, pod) in [(kept, keptPod), (gone, gonePod)] {
                let add = try cni.add(network: network, netns: pod, pod: identity, capArgs: ["mac": "c2:11:22:33:44:88"])
                try #require(add.succeeded, "\(add)")
            }
            let backups = { try FileManager.default.contentsOfDirectory(atPath: sandbox.tuningDir.path).sorted() }
            #expect(try backups().count == 2)

            // GC and STATUS of tuning alone (the reference ptp 1.1.1 does not know these verbs): first
            // another network, then this one's name with only tuning in it.
            try Fixtures.write(["cniVersion": "1.1.0", "name": "tuning-other", "plugins": [["type": "tuning"]]],
                               as: "tuning-other.conflist", in: sandbox)
            let other = try cni.gc(network: "tuning-other", attachments: [])
            #expect(other.succeeded, "\(other)")
            #expect(try backups().count == 2, "GC of another network leaves this one's backups")
            try Fixtures.write(["cniVersion": "1.1.0", "name": network, "plugins": [["type": "tuning"]]],
                               as: "ptp-mac.conflist", in: sandbox)
            let status = try cni.status(network: network)
            #expect(status.succeeded, "\(status)")
            let gc = try cni.gc(network: network, attachments: [(kept.containerID, IfName.multus)])
            #expect(gc.succeeded, "\(gc)")
            #expect(try backups() == ["\(kept.containerID)_\(IfName.multus).json"])
            _ = try Fixtures.install("ptp-mac.conflist", in: sandbox)

            for (identity, pod) in [(kept, keptPod), (gone, gonePod)] {
                #expect(try cni.del(network: network, netns: pod, pod: identity).succeeded)
            }
        }
    }
}
