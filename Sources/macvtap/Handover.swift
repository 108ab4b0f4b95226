import CNIKit
import Netlink

/// Moving a macvtap from the node into the pod, and taking it back out.
enum Handover {
    /// What the macvtap becomes in the pod.
    struct Settings {
        var ifname: String
        var mtu: UInt32?
        var mac: MACAddress?
        var promiscuous: Bool
    }

    /// What a device plugin's macvtap had on the node, to give it back as it was.
    struct Original: Equatable {
        var mac: MACAddress?
        var mtu: UInt32?
        var promiscuous: Bool?
    }

    /// Moves `nodeName` into the pod, sets MTU, MAC and promisc one by one (so an error names the one the
    /// kernel refused), renames it to the pod's interface name and brings it up. Returns it as it is now.
    static func moveIn(_ nodeName: String, node: borrowing RouteSocket, pod: borrowing NetNS,
                       _ settings: Settings) throws -> Link {
        try node.moveLink(nodeName, to: pod)
        let socket = try RouteSocket(in: pod)
        if let mtu = settings.mtu { try socket.setLink(nodeName, LinkChange(mtu: mtu)) }
        if let mac = settings.mac { try socket.setLink(nodeName, LinkChange(mac: mac)) }
        if settings.promiscuous { try socket.setLink(nodeName, LinkChange(promiscuous: true)) }
        try socket.setLink(nodeName, LinkChange(name: settings.ifname))
        try socket.setLink(settings.ifname, LinkChange(up: true))
        return try socket.existingLink(named: settings.ifname)
    }

    /// The first macvtap among `names` in the socket's namespace: the attachment's under its pod name,
    /// or under its node name when an ADD stopped before the rename. Links of other kinds are not ours.
    static func find(_ names: [String], in socket: borrowing RouteSocket) throws -> Link? {
        for name in names {
            if let link = try socket.link(named: name), link.kind == "macvtap" { return link }
        }
        return nil
    }

    /// Gives a device plugin's macvtap back to the node under `nodeName`, down and with its original MAC,
    /// MTU and promisc. When that fails (the name is taken on the node again, ...) the macvtap is deleted:
    /// either way the pod loses it, and the device plugin recreates its devices on the next allocation.
    /// Call it from the node's namespace (the process's own, where the plugin runs), not inside `NetNS.run`.
    static func giveBack(_ link: Link, as nodeName: String, original: Original, podSocket: borrowing RouteSocket,
                         log: Log) throws {
        do {
            let node = try NetNS(path: "/proc/self/ns/net")
            try podSocket.setLink(link.name, LinkChange(up: false))
            if link.name != nodeName { try podSocket.setLink(link.name, LinkChange(name: nodeName)) }
            let restore = LinkChange(mac: original.mac, mtu: original.mtu, promiscuous: original.promiscuous)
            if restore != LinkChange() { try podSocket.setLink(nodeName, restore) }
            try podSocket.moveLink(nodeName, to: node)
        } catch {
            log.error("cannot give macvtap \(link.name) back to the node as \(nodeName) (\(error)); deleting it")
            for name in [link.name, nodeName] { try deleteIfPresent(name, in: podSocket) }
        }
    }

    /// Deletes the link `name`; a missing link is fine.
    static func deleteIfPresent(_ name: String, in socket: borrowing RouteSocket) throws {
        do {
            try socket.deleteLink(name)
        } catch where error.isNotFound {
            return
        }
    }
}
