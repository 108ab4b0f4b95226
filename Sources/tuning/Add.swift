import Attach
import CNIKit
import Netlink

/// ADD: remove the network's backups of pods gone without a DEL, save the original values, then apply the
/// plan. A failure puts the originals back and removes the backup, so a failed ADD leaves the pod as it
/// found it.
struct TuningAdd {
    let call: Call
    let plan: TuningPlan

    func run() throws {
        let ifname = call.environment.ifname
        let netns = try PodNamespace.open(call.environment)
        let netnsPath = netns.path
        let socket = try RouteSocket(in: netns)
        let link = try socket.chainedInterface(ifname)
        let store = StateStore(directory: plan.dataDir)
        Leftovers.sweep(try TuningGC.backups(of: call.conf.name, in: store, where: Leftovers.isGone), log: call.log) { file, backup in
            try TuningGC.undo(backup, file: file, in: store)
        }
        let file = Backup.fileName(containerID: call.environment.containerID, ifname: ifname)
        let earlier = try store.read(name: file).map { bytes throws(CNIError) in try Backup.decode(bytes, file: file) }
        let current = try netns.run {
            try plan.sysctls.reduce(into: [String: String]()) { $0[$1.key.path] = try Sysctl.read($1.key) }
        }
        let backup = Backup(capturing: link, sysctls: current, for: plan, keeping: earlier,
                            containerID: call.environment.containerID, ifname: ifname, network: call.conf.name, netns: netnsPath)

        try Rollback.run { rollback in
            try store.write(name: file, bytes: try backup.encoded())
            rollback.push("remove backup \(plan.dataDir)/\(file)") { try store.remove(name: file) }
            rollback.push("restore \(ifname) and sysctls in \(netnsPath)") {
                try Restore.apply(backup, in: try NetNS(path: netnsPath), ifname: ifname)
            }
            try netns.run {
                for (key, value) in plan.sysctls { try Sysctl.write(key, value) }
            }
            if plan.linkChange != LinkChange() {
                try socket.setLink(ifname, plan.linkChange)
            }
        }
    }
}
