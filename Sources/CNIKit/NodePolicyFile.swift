#if canImport(Glibc)
import Glibc
#endif
import NetworkTypes

/// Reading the node policy: `/etc/cni/swift-cni/policy.json`, or the file `SWIFT_CNI_POLICY` names in
/// the plugin's environment (set by whoever runs the runtime — the node admin, or a test — never by a
/// NAD). No file: the defaults. A file that is not the admin's (another owner, writable by group or
/// others), unreadable or wrong fails every command (code 5 or 7): the admin meant something by it.
extension NodePolicy {
    public static let defaultPath = "/etc/cni/swift-cni/policy.json"
    public static let pathVariable = "SWIFT_CNI_POLICY"
    static let sizeLimit = 1 << 20

    public static func load(environment: [String: String]) throws(CNIError) -> NodePolicy {
        let path = environment[pathVariable].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            if errno == ENOENT { return NodePolicy() }
            throw CNIError(.ioFailure, "cannot read the node policy \(path): \(errnoText(errno)); the node admin must fix or remove it")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw CNIError(.ioFailure, "the node policy \(path) is not a regular file; the node admin must fix or remove it")
        }
        guard info.st_uid == 0 || info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
            throw CNIError(.ioFailure, "the node policy \(path) is owned by uid \(info.st_uid) with mode \(String(info.st_mode & 0o7777, radix: 8)): "
                + "only root may be able to change it (chown root, chmod go-w)")
        }
        guard info.st_size <= sizeLimit, let bytes = readAll(fd), bytes.count <= sizeLimit else {
            throw CNIError(.ioFailure, "cannot read the node policy \(path) (at most \(sizeLimit) bytes)")
        }
        do {
            return try NodePolicy(json: JSONValue.parse(bytes))
        } catch {
            throw CNIError(error.code, "the node policy \(path) is invalid: \(error.msg); the node admin must fix it", details: error.details)
        }
    }

    /// Every key is checked, unknown ones included: a misspelt key must not leave a default in force.
    init(json: JSONValue) throws(CNIError) {
        let reader = try JSONReader(json, path: "")
        try reader.refuseUnknown(["stateDirectories", "logDirectory", "peersDirectory", "bridges", "macvtap", "overlay", "networks"])
        self.init()
        if reader.value("stateDirectories") != nil {
            stateDirectories = try reader.strings("stateDirectories")
            for (index, path) in stateDirectories.enumerated() { try Self.directory(path, "stateDirectories[\(index)]") }
        }
        logDirectory = try reader.string("logDirectory")
        if let logDirectory { try Self.directory(logDirectory, "logDirectory") }
        peersDirectory = try reader.string("peersDirectory") ?? peersDirectory
        try Self.directory(peersDirectory, "peersDirectory")
        if reader.value("bridges") != nil { bridges = try reader.strings("bridges").map(NamePattern.init) }
        if let macvtap = try reader.object("macvtap") {
            try macvtap.refuseUnknown(["masters"])
            if macvtap.value("masters") != nil { macvtapMasters = try macvtap.strings("masters").map(NamePattern.init) }
        }
        if let overlay = try reader.object("overlay") { self.overlay = try Overlay(overlay) }
        if let networks = try reader.object("networks") {
            for name in networks.members.keys.sorted() {
                guard let rule = try networks.object(name) else { continue }
                try rule.refuseUnknown(["namespaces"])
                self.networks[name] = NetworkRule(namespaces: try rule.strings("namespaces"))
            }
        }
    }

    private static func directory(_ path: String, _ key: String) throws(CNIError) {
        guard PolicyDirectory.components(of: path) != nil else {
            throw CNIError(.invalidConfig, "\(key) \"\(path)\" must be an absolute path without empty, \".\" or \"..\" components")
        }
    }
}

extension NodePolicy.Overlay {
    init(_ reader: JSONReader) throws(CNIError) {
        try reader.refuseUnknown(["ports", "maxPeers", "underlay", "vnis", "nodeLocalIPAM"])
        self.init()
        if reader.value("ports") != nil {
            ports = []
            for element in try reader.array("ports") {
                guard let port = element.value.intValue, (1...65535).contains(port) else {
                    throw CNIError(.invalidConfig, "\(element.path) must be a UDP port (1 to 65535)")
                }
                ports.append(UInt16(port))
            }
        }
        if let maxPeers = try reader.int("maxPeers") {
            guard maxPeers >= 0 else { throw CNIError(.invalidConfig, "overlay.maxPeers must be 0 or more") }
            self.maxPeers = maxPeers
        }
        if reader.value("underlay") != nil {
            var networks: [IPNetwork] = []
            for (index, text) in try reader.strings("underlay").enumerated() {
                guard let network = IPNetwork(text) else {
                    throw CNIError(.invalidConfig, "overlay.underlay[\(index)] \"\(text)\" is not a network (CIDR)")
                }
                networks.append(network.network)
            }
            underlay = networks
        }
        if reader.value("vnis") != nil {
            var ranges: [ClosedRange<UInt32>] = []
            for element in try reader.array("vnis") { ranges.append(try Self.vniRange(element.value, element.path)) }
            vnis = ranges
        }
        nodeLocalIPAM = try reader.bool("nodeLocalIPAM") ?? false
    }

    /// `4242` or `"1000-1999"`.
    private static func vniRange(_ value: JSONValue, _ path: String) throws(CNIError) -> ClosedRange<UInt32> {
        let bounds: [Int]? =
            if let single = value.intValue { [single, single] }
            else if let text = value.stringValue {
                text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) ?? -1 }
            } else { nil }
        guard let bounds, bounds.count == 2, (1...0xFF_FFFF).contains(bounds[0]), (bounds[0]...0xFF_FFFF).contains(bounds[1]) else {
            throw CNIError(.invalidConfig, "\(path) must be a VNI (1 to 16777215) or a range \"FIRST-LAST\"")
        }
        return UInt32(bounds[0])...UInt32(bounds[1])
    }
}

extension JSONReader {
    /// Code 7 naming the first key that is not in `known`.
    func refuseUnknown(_ known: Set<String>) throws(CNIError) {
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw CNIError(.invalidConfig, "\(keyPath(unknown)) is not a key of the node policy (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}
