import Attach
import CNIKit
import Netlink

/// ADD: sweep the network's leftovers of pods gone without a DEL, record the attachment, find (device-plugin
/// flow) or create (standalone flow) the macvtap on the node, move it into the pod, configure it and chown
/// its tap device — each step undone if a later one fails: a macvtap we created is deleted, a device
/// plugin's is given back to the node under its name.
struct MacvtapAdd {
    let call: Call
    let plan: MacvtapPlan

    func run() throws -> Result {
        let environment = call.environment
        let pod = try PodNamespace.open(environment)
        let node = try RouteSocket()
        if try RouteSocket(in: pod).link(named: environment.ifname) != nil {
            throw CNIError(.ioFailure, "CNI_IFNAME \(environment.ifname) already exists in \(pod.path): pick another interface name or remove it")
        }
        let podPath = pod.path
        if case .standalone(let master) = plan.source { try checkMaster(master, node: node) }
        // The network's attachments whose pod is gone without a DEL (GC never comes from Multus or podman).
        Leftovers.sweep(try plan.records.ofGonePods(), log: call.log) { file, record in
            try MacvtapGC.undo(record, file: file, records: plan.records, node: node, log: call.log)
        }

        return try Rollback.run { rollback in
            var record = AttachmentRecord(containerID: environment.containerID, ifname: environment.ifname,
                                          netns: podPath, netnsID: PodNamespace.identity(podPath),
                                          devicePlugin: false, nodeName: "")
            // The record is written before anything changes: an ADD killed at any later step leaves
            // something GC can find (and, device-plugin flow, the values to give the macvtap back with).
            switch plan.source {
            case .standalone(let master):
                record.nodeName = NodeName.standalone(containerID: environment.containerID, ifname: environment.ifname)
                try plan.records.save(record, containerID: record.containerID, ifname: record.ifname, rollback: rollback)
                try create(record.nodeName, on: master, node: node, rollback: rollback)
            case .devicePlugin(let deviceID):
                let device = try devicePluginMacvtap(deviceID, node: node)
                record.devicePlugin = true
                record.nodeName = device.name
                record.originalMAC = device.mac?.description
                record.originalMTU = device.mtu
                record.originalPromiscuous = device.isPromiscuous
                try plan.records.save(record, containerID: record.containerID, ifname: record.ifname, rollback: rollback)
            }
            pushTakeBack(record, rollback: rollback)
            let link = try Handover.moveIn(record.nodeName, node: node, pod: pod, .init(
                ifname: environment.ifname, mtu: plan.mtu, mac: plan.mac, promiscuous: plan.promiscuous))
            try TapDevice.chown(ifindex: link.index, owner: plan.owner, group: plan.group)
            let result = Result(cniVersion: call.conf.cniVersion, interfaces: [
                .init(name: link.name, mac: link.mac?.description ?? "", mtu: Int(link.mtu), sandbox: podPath),
            ])
            // Printing happens after this returns: a result the version cannot hold must undo the ADD here.
            _ = try result.encoded(as: call.conf.cniVersion)
            return result
        }
    }

    /// Standalone: a new macvtap on `master` under the attachment's temporary name `name` (a leftover of
    /// an earlier ADD of the same attachment is replaced). The master's txqueuelen is copied, as
    /// macvtap-cni does (a macvtap without one misbehaves).
    private func create(_ name: String, on master: String, node: borrowing RouteSocket, rollback: Rollback) throws {
        let lower = try checkMaster(master, node: node)
        if try node.link(named: name)?.kind == "macvtap" { try Handover.deleteIfPresent(name, in: node) }
        try node.addMacvtap(MacvtapSpec(name: name, lowerIndex: lower.index, mode: plan.mode ?? .bridge,
                                        txQueueLength: lower.txQueueLength > 0 ? lower.txQueueLength : nil))
        rollback.push("delete macvtap \(name) in the node") {
            try Handover.deleteIfPresent(name, in: try RouteSocket())
        }
    }

    /// Standalone: the node NIC `master`, which the node policy must let a NAD use (`MasterCheck`); checked
    /// before anything is written, and again when the macvtap is made.
    @discardableResult
    private func checkMaster(_ master: String, node: borrowing RouteSocket) throws -> Link {
        guard let lower = try node.link(named: master) else {
            throw CNIError(.invalidConfig, "master: \"\(master)\" does not exist in the node's network namespace; name an existing node NIC")
        }
        try MasterCheck(policy: call.policy).verify(lower, node: node)
        return lower
    }

    /// Device-plugin flow: the macvtap the device plugin made for `deviceID`, by its hashed name or by the
    /// device id itself.
    private func devicePluginMacvtap(_ deviceID: String, node: borrowing RouteSocket) throws -> Link {
        let names = NodeName.devicePluginCandidates(deviceID)
        for name in names {
            guard let link = try node.link(named: name) else { continue }
            guard link.kind == "macvtap" else {
                throw CNIError(.invalidConfig, "deviceID: \(name) in the node's network namespace is a \(link.kind ?? "device without a kind"), not a macvtap")
            }
            return link
        }
        throw CNIError(.invalidConfig, "deviceID: no macvtap for device \"\(deviceID)\" in the node's network namespace (looked for \(names.joined(separator: " and "))); is the macvtap device plugin running and did it allocate this device?")
    }

    /// Undo of the move: the macvtap, found in the pod under either name, is deleted (ours) or given back.
    private func pushTakeBack(_ record: AttachmentRecord, rollback: Rollback) {
        let log = call.log
        rollback.push("take macvtap \(record.nodeName) out of \(record.netns)") {
            let socket = try RouteSocket(in: try NetNS(path: record.netns))
            guard let link = try Handover.find([record.ifname, record.nodeName], in: socket) else { return }
            if record.devicePlugin {
                try Handover.giveBack(link, as: record.nodeName, original: record.original, podSocket: socket, log: log)
            } else {
                try Handover.deleteIfPresent(link.name, in: socket)
            }
        }
    }

}

extension AttachmentRecord {
    /// What to give a device plugin's macvtap back with.
    var original: Handover.Original {
        .init(mac: originalMAC.flatMap(MACAddress.init), mtu: originalMTU, promiscuous: originalPromiscuous)
    }
}
