import Attach
import CNIKit
import FoundationEssentials
import Netlink

/// The pod interface's values from before tuning changed them, saved in `dataDir` so DEL can put them
/// back. The file name and the first five keys are the reference plugin's, so a pod added by the
/// reference and deleted by us (or the other way round) is still restored; `sysctl` is ours: the
/// reference never restores sysctls.
struct Backup: Codable, Equatable {
    var mac: String?
    var promisc: Bool?
    var mtu: Int?
    var allmulti: Bool?
    var txQLen: Int?
    /// Path under /proc/sys -> the value before ADD.
    var sysctl: [String: String]?
    /// The attachment and network this belongs to, for GC (the reference's files lack them). GC is
    /// called per network and all networks share `dataDir`: it only touches its own network's backups.
    var containerID: String?
    var ifname: String?
    var network: String?
    /// The pod's netns (CNI_NETNS) and its identity (device:inode), so GC can restore a pod that still
    /// exists — and only that one, should the path name another namespace by then (ours).
    var netns: String?
    var netnsID: String?

    static func fileName(containerID: String, ifname: String) -> String { "\(containerID)_\(ifname).json" }

    /// The current values of everything `plan` will change. Values already saved by an earlier ADD of
    /// the same attachment win: they are the true originals.
    init(capturing link: Link, sysctls: [String: String], for plan: TuningPlan, keeping earlier: Backup?,
         containerID: String, ifname: String, network: String, netns: String) {
        mac = earlier?.mac ?? (plan.mac != nil ? link.mac?.description : nil)
        promisc = earlier?.promisc ?? (plan.promiscuous ? link.isPromiscuous : nil)
        mtu = earlier?.mtu ?? (plan.mtu != nil ? Int(link.mtu) : nil)
        allmulti = earlier?.allmulti ?? (plan.allMulticast != nil ? link.isAllMulticast : nil)
        txQLen = earlier?.txQLen ?? (plan.txQueueLength != nil ? Int(link.txQueueLength) : nil)
        let saved = sysctls.merging(earlier?.sysctl ?? [:]) { _, earlier in earlier }
        sysctl = saved.isEmpty ? nil : saved
        self.containerID = containerID
        self.ifname = ifname
        self.network = network
        self.netns = netns
        netnsID = PodNamespace.identity(netns)
    }

    /// The change that puts the saved link values back.
    var linkChange: LinkChange {
        LinkChange(mac: mac.flatMap(MACAddress.init), mtu: mtu.map(UInt32.init), txQueueLength: txQLen.map(UInt32.init),
                   promiscuous: promisc, allMulticast: allmulti)
    }

    /// Whether the saved values touch the link at all.
    var changesLink: Bool { linkChange != LinkChange() }

    func encoded() throws(CNIError) -> [UInt8] {
        do { return Array(try JSONEncoder().encode(self)) } catch {
            throw CNIError(.ioFailure, "cannot encode the tuning backup: \(error)")
        }
    }

    static func decode(_ bytes: [UInt8], file: String) throws(CNIError) -> Backup {
        do { return try JSONDecoder().decode(Backup.self, from: Data(bytes)) } catch {
            throw CNIError(.decodeFailure, "the tuning backup \(file) is not valid JSON; remove it by hand if the pod is gone: \(error)")
        }
    }
}
