import CNIKit
import Netlink

/// The Linux bridge on the node that pods attach to, shared by every pod of the network.
public enum NodeBridge {
    public struct Spec: Sendable {
        public var name: String
        /// Set only when the bridge is created; an existing bridge keeps its MTU (as the reference does).
        public var mtu: UInt32?
        public var promiscuous: Bool
        /// Set only when the bridge is created, in the creating request (the reference does the same): an
        /// existing bridge keeps its `vlan_filtering`, which decides for every port on it.
        public var vlanFiltering: Bool
        /// The mark a bridge this ADD creates gets, and what an existing one must carry (see `sharing`).
        public var owner: OwnerMark
        public var sharing: Sharing

        public init(name: String, mtu: UInt32?, promiscuous: Bool, vlanFiltering: Bool = false, owner: OwnerMark,
                    sharing: Sharing) {
            self.name = name
            self.mtu = mtu
            self.promiscuous = promiscuous
            self.vlanFiltering = vlanFiltering
            self.owner = owner
            self.sharing = sharing
        }
    }

    /// Which existing bridges a network may use.
    public enum Sharing: Sendable {
        /// `bridge`, as the reference: a bridge the admin made (no mark) or one `bridge` made for any network.
        case withBridgeNetworks
        /// layer2-overlay: only a bridge marked as this network's; an unmarked one only when `adoptUnmarked`
        /// (its name is the one derived from the network, which proves an earlier version made it), and it
        /// gets the mark then.
        case networkOnly(adoptUnmarked: Bool)
    }

    /// Where the per-bridge locks live: shared by every plugin process on the node.
    public static let lockDirectory = "\(PolicyDirectory.runtimeRoot)/locks"

    /// Runs `body` holding the node-wide lock of bridge `name`: creation and address changes of a
    /// shared bridge happen under it, so parallel ADDs never race.
    public static func withLock<R>(_ name: String, _ body: () throws -> R) throws -> R {
        try FileLock.holding("\(lockDirectory)/bridge-\(name).lock", body)
    }

    /// Creates the bridge when missing and brings it up; idempotent. A link of another kind with the
    /// same name, or a bridge `spec.sharing` does not let this network use, is a config error and is left
    /// alone. Call it inside `withLock(name)`. A bridge this ADD created is removed again if the ADD fails
    /// and no other pod joined it meanwhile.
    public static func ensure(_ spec: Spec, on socket: borrowing RouteSocket, rollback: Rollback) throws -> Link {
        if try socket.link(named: spec.name) == nil {
            // Pushed before the bridge exists, so a failure while marking or raising it removes it too (this
            // ADD made it: no mark yet is ours as well).
            let (name, owner) = (spec.name, spec.owner)
            rollback.push("remove bridge \(name), made by this ADD") {
                try withLock(name) { try removeIfUnused(name, ownedBy: owner, adoptUnmarked: true, on: try RouteSocket()) }
            }
        }
        return try ensure(spec, on: socket)
    }

    /// Deletes the bridge when it is `owner`'s (or unmarked, with `adoptUnmarked`) and no pod uses it:
    /// its only ports (if any) are Geneve tunnels, which go with it. A bridge with any other port, or of
    /// another owner, is kept. Call it inside `withLock(name)`.
    public static func removeIfUnused(_ name: String, ownedBy owner: OwnerMark, adoptUnmarked: Bool,
                                      on socket: borrowing RouteSocket) throws {
        guard let bridge = try socket.link(named: name), bridge.kind == "bridge" else { return }
        let mark = OwnerMark.of(bridge)
        guard mark == owner || (mark == nil && bridge.alias == nil && adoptUnmarked) else { return }
        let ports = try socket.links().filter { $0.masterIndex == bridge.index }
        guard ports.allSatisfy({ $0.kind == "geneve" }) else { return }
        for port in ports { try deleteIfPresent(port.name, socket) }
        try deleteIfPresent(name, socket)
    }

    private static func deleteIfPresent(_ name: String, _ socket: borrowing RouteSocket) throws {
        do { try socket.deleteLink(name) } catch where error.isNotFound { return }
    }

    private static func ensure(_ spec: Spec, on socket: borrowing RouteSocket) throws -> Link {
        if let existing = try socket.link(named: spec.name) {
            guard existing.kind == "bridge" else {
                throw CNIError(.invalidConfig, "bridge: \"\(spec.name)\" already exists in \(socket.netnsPath) but is a \(existing.kind ?? "device without a kind"), not a bridge; choose another \"bridge\" name")
            }
            try claim(existing, spec, on: socket)
        } else {
            if spec.vlanFiltering {
                try socket.addBridge(name: spec.name, mtu: spec.mtu, vlanFiltering: true)
            } else {
                try socket.addBridge(name: spec.name, mtu: spec.mtu)
            }
            try socket.setLink(spec.name, LinkChange(alias: spec.owner.description))
            // We own the addresses and routes of this bridge: no router advertisements.
            if let key = try? SysctlKey("net/ipv6/conf/\(spec.name)/accept_ra", ifname: spec.name) {
                try? Sysctl.write(key, "0")
            }
        }
        try socket.setLink(spec.name, LinkChange(up: true, promiscuous: spec.promiscuous ? true : nil))
        return try socket.existingLink(named: spec.name)
    }

    /// Accepts an existing bridge this network may use, marking an adoptable one; refuses others (code 7).
    private static func claim(_ existing: Link, _ spec: Spec, on socket: borrowing RouteSocket) throws {
        let mark = OwnerMark.of(existing)
        switch spec.sharing {
        case .withBridgeNetworks:
            guard let mark, mark.plugin != spec.owner.plugin else { return }
        case .networkOnly(let adoptUnmarked):
            if mark == spec.owner { return }
            if mark == nil, existing.alias == nil, adoptUnmarked {
                try socket.setLink(spec.name, LinkChange(alias: spec.owner.description))
                return
            }
        }
        throw CNIError(.invalidConfig, "bridge: \"\(spec.name)\" in \(socket.netnsPath) belongs to \(OwnerMark.owner(of: existing)), not to network \(spec.owner.network) (\(spec.owner.plugin)): "
            + "choose another bridge, or leave the key unset for this network's own")
    }
}
