import Attach
import CNIKit
import Netlink

/// GC: remove the backups of attachments the runtime no longer lists as valid. When the pod's namespace
/// is still there (the very one ADD saw) its interface and sysctls are restored first, as DEL would; a
/// restore the kernel refuses keeps the backup for the next GC. Only backups of `network` are looked
/// at (GC is called per network; all networks share `dataDir`); files written by the reference plugin
/// (without the attachment in them) are left alone.
struct TuningGC {
    let dataDir: PolicyDirectory
    let network: String
    let valid: [NetConf.Attachment]

    func run() throws {
        let store = StateStore(directory: dataDir)
        let keep = Set(valid.map { Backup.fileName(containerID: $0.containerID, ifname: $0.ifname) })
        for name in try store.names() where name.hasSuffix(".json") && !keep.contains(name) {
            guard let bytes = try store.read(name: name),
                  let backup = try? Backup.decode(bytes, file: name), backup.containerID != nil,
                  backup.network == network else { continue }
            if let path = backup.netns, let ifname = backup.ifname,
               let netns = PodNamespace.openIfSame(path: path, identity: backup.netnsID) {
                try Restore.apply(backup, in: netns, ifname: ifname)
            }
            try store.remove(name: name)
        }
    }
}
