import Foundation

/// What the macvtap tests need around the sandbox: a fake node NIC, the device plugin's part, and
/// readers of macvtap state and of `/dev/tap<ifindex>`.
enum MacvtapWorld {
    /// The device id the tests allocate, and the name macvtap-cni's device plugin gives its macvtap
    /// ("mvt" + low 48 bits of XXH64, checked against libxxhash).
    static let deviceID = "dataplaneMvp0"
    static let deviceLink = "mvtcc7b47d9091b"

    /// One end of a veth pair in the node netns stands in for the NIC (this kernel has no dummy).
    @discardableResult
    static func nic(_ sandbox: Sandbox, _ name: String = "nic0", mtu: Int = 1500) throws -> String {
        try Shell.must(["ip", "-n", sandbox.node, "link", "add", name, "mtu", "\(mtu)", "type", "veth", "peer", "name", "\(name)p", "mtu", "\(mtu)"])
        try Shell.must(["ip", "-n", sandbox.node, "link", "set", name, "up"])
        try Shell.must(["ip", "-n", sandbox.node, "link", "set", "\(name)p", "up"])
        return name
    }

    /// What the device plugin's Allocate does: a macvtap on the NIC in the node netns, left down.
    static func allocate(_ sandbox: Sandbox, name: String = deviceLink, on nic: String = "nic0", mode: String = "bridge") throws {
        try Shell.must(["ip", "-n", sandbox.node, "link", "add", "link", nic, "name", name, "type", "macvtap", "mode", mode])
    }

    /// The standalone macvtap conflist with the fake NIC as master; `change` edits the plugin.
    static func standalone(_ sandbox: Sandbox, cniVersion: String? = nil,
                           _ change: @escaping (inout [String: Any]) -> Void = { _ in }) throws -> String {
        try Fixtures.install("macvtap-standalone.conflist", in: sandbox, cniVersion: cniVersion) { plugins in
            plugins.edit("macvtap") {
                $0["master"] = "nic0"
                change(&$0)
            }
        }
    }

    /// The device plugin NAD as Multus hands it to the plugin: `deviceID` added at the top level.
    static func devicePlugin(_ sandbox: Sandbox, cniVersion: String? = nil,
                             _ change: @escaping (inout [String: Any]) -> Void = { $0["deviceID"] = deviceID }) throws -> String {
        try Fixtures.install("macvtap-deviceplugin.conf", in: sandbox, cniVersion: cniVersion) { plugins in
            plugins.edit("macvtap", change)
        }
    }

    /// The macvtaps in a netns, by name.
    static func macvtaps(in netns: String) throws -> [String] {
        let out = try Shell.must(["ip", "-n", netns, "-j", "link", "show", "type", "macvtap"])
        return (JSON.parse(out.stdout) as? [[String: Any]] ?? []).compactMap { $0["ifname"] as? String }
    }

    /// Kind and mode from `ip -d -j`, e.g. ("macvtap", "vepa").
    static func kindAndMode(_ dev: String, in netns: String) throws -> (kind: String?, mode: String?) {
        let out = try Shell.must(["ip", "-n", netns, "-j", "-d", "link", "show", "dev", dev])
        let info = (JSON.parse(out.stdout) as? [[String: Any]])?.first?["linkinfo"] as? [String: Any]
        return (info?["info_kind"] as? String, (info?["info_data"] as? [String: Any])?["mode"] as? String)
    }

    static func ifindex(_ dev: String, in netns: String) throws -> Int? {
        let out = try Shell.run(["ip", "-n", netns, "-j", "link", "show", "dev", dev])
        return (JSON.parse(out.stdout) as? [[String: Any]])?.first?["ifindex"] as? Int
    }

    /// `/dev/tap<ifindex>` of `dev` (ifindex read in `netns`), checked to be this macvtap's character device:
    /// its device number is the one sysfs gives inside `netns` (devtmpfs is one for the whole machine while
    /// ifindexes are per namespace, so a node of that name could belong to another namespace's macvtap).
    /// Nil when missing or another device.
    static func tapDevice(_ dev: String, in netns: String) throws -> (path: String, number: String, owner: Int, group: Int)? {
        guard let index = try ifindex(dev, in: netns) else { return nil }
        let sysfs = try Shell.run(["ip", "netns", "exec", netns, "cat", "/sys/class/net/\(dev)/macvtap/tap\(index)/dev"])
        let number = sysfs.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let path = "/dev/tap\(index)"
        guard sysfs.succeeded, let node = deviceNode(path), node.number == number else { return nil }
        return (path, number, node.owner, node.group)
    }

    /// "major:minor", owner and group of a character device node; nil when there is none.
    static func deviceNode(_ path: String) -> (number: String, owner: Int, group: Int)? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFCHR else { return nil }
        let dev = UInt64(info.st_rdev)  // glibc's major()/minor() are macros
        return ("\((dev >> 8) & 0xfff | (dev >> 32) & ~0xfff):\(dev & 0xff | (dev >> 12) & ~0xff)", Int(info.st_uid), Int(info.st_gid))
    }

    /// The records the plugin keeps in the sandbox's macvtap dataDir, as "<network>/<file>", sorted.
    static func records(_ sandbox: Sandbox) -> [String] {
        let base = sandbox.dir.appendingPathComponent("macvtap").path
        let networks = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        return networks.flatMap { network in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(base)/\(network)")) ?? []).map { "\(network)/\($0)" }
        }.sorted()
    }
}
