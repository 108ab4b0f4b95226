import Attach
import CNIKit
import Netlink

/// DEL: put back every value ADD changed (sysctls included) and remove the backup. Succeeds when there
/// is nothing left to restore: no backup, no namespace, or no interface. A restore the kernel refuses
/// is an error and the backup stays, so the runtime's retry can finish the job.
struct TuningDel {
    let call: Call
    let dataDir: PolicyDirectory

    func run() throws {
        let store = StateStore(directory: dataDir)
        let file = Backup.fileName(containerID: call.environment.containerID, ifname: call.environment.ifname)
        guard let bytes = try store.read(name: file) else { return }
        if let netns = PodNamespace.openIfPresent(call.environment) {
            try Restore.apply(try Backup.decode(bytes, file: file), in: netns, ifname: call.environment.ifname)
        }
        try store.remove(name: file)
    }
}
