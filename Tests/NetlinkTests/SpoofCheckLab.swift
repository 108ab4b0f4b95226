import Foundation
import Attach
import Netlink
import Testing
import TestSupport

/// The spoof check proven by traffic: a node namespace with a bridge `br0`, pod A (the one checked) and
/// pod B (the observer) on veths. Frames crafted in A (Tests/tools/ip6frames.py) are counted where they
/// arrive: on the node's bridge and on B.
final class SpoofCheckLab {
    static let ownIPv4 = "10.99.0.1", peerIPv4 = "10.99.0.2", ownIPv6 = "fd00:99::a", peerIPv6 = "fd00:99::b"

    let node: ThrowawayNamespace, podA: ThrowawayNamespace, podB: ThrowawayNamespace
    let macA: MACAddress, macB: MACAddress
    let socket: NftSocket

    init() throws {
        node = try ThrowawayNamespace("node")
        podA = try ThrowawayNamespace("pa")
        podB = try ThrowawayNamespace("pb")
        try node.ip("link", "add", "br0", "type", "bridge")
        try node.ip("link", "set", "br0", "up")
        for (pod, port, v4, v6) in [(podA, "veth-a", "\(Self.ownIPv4)/24", Self.ownIPv6), (podB, "veth-b", "\(Self.peerIPv4)/24", Self.peerIPv6)] {
            try node.ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", pod.name)
            try node.ip("link", "set", port, "master", "br0", "up")
            try pod.ip("addr", "add", v4, "dev", "eth0")
            try pod.ip("addr", "add", "\(v6)/64", "dev", "eth0", "nodad")
            try pod.ip("link", "set", "eth0", "up")
        }
        macA = try #require(try RouteSocket(in: try NetNS(path: podA.path)).existingLink(named: "eth0").mac)
        macB = try #require(try RouteSocket(in: try NetNS(path: podB.path)).existingLink(named: "eth0").mac)
        socket = try NftSocket(in: try NetNS(path: node.path))
        try RouteSocket(in: try NetNS(path: node.path)).waitForForwarding("veth-a", timeoutMilliseconds: 5000)
        try RouteSocket(in: try NetNS(path: node.path)).waitForForwarding("veth-b", timeoutMilliseconds: 5000)
    }

    /// A's rules with these addresses (none: the MAC check alone), the bridge's node-address sets read from
    /// the node as an ADD reads them.
    func protect(ipv4: [String] = [], ipv6: [String], linkLocal: SpoofCheck.LinkLocal = .macDerived) throws {
        let port = SpoofCheck.Port(hostVeth: "veth-a", mac: macA, bridge: "br0", ipv4: try ipv4.map { try #require(IPAddress($0)).bytes },
                                   ipv6: try ipv6.map { try #require(IPAddress($0)).bytes }, linkLocal: linkLocal, owner: "c1/net1")
        var batch = NftBatch()
        SpoofCheck.ensureBase(&batch)
        if port.checksIP {
            try SpoofCheck.refreshNodeAddresses(&batch, bridge: "br0", interfaces: [], nft: socket,
                                                node: try RouteSocket(in: try NetNS(path: node.path)))
        }
        SpoofCheck.addPort(&batch, port, counter: true)
        try socket.commit(batch)
    }

    func unprotect() throws {
        var batch = NftBatch()
        SpoofCheck.removePort(&batch, hostVeth: "veth-a")
        try socket.commit(batch)
    }

    /// The IPv6 link-local address the kernel made for `ifname` in `namespace` (from its MAC), waiting up to
    /// 3 s for it (a bridge gets it only once it has carrier, after the kernel's link watch ran).
    func linkLocal(of ifname: String, in namespace: ThrowawayNamespace) throws -> String {
        let socket = try RouteSocket(in: try NetNS(path: namespace.path))
        for _ in 0..<30 {
            let addresses = try socket.addresses(of: ifname, ipv6: true)
            if let found = addresses.first(where: { SpoofCheck.linkLocal.contains($0.address) }) { return found.address.description }
            usleep(100_000)
        }
        throw CommandFailed(command: ["link-local of", ifname], status: -1, stderr: "none after 3 s")
    }

    /// Whether UDP from `source` in A reaches `destination` in B. Static neighbors on both sides,
    /// so what is proven is the datagram itself, not address resolution.
    func udpReaches(from source: String, to destination: String) throws -> Bool {
        let unscoped = { (address: String) in String(address.split(separator: "%")[0]) }
        try podA.ip("neigh", "replace", unscoped(destination), "lladdr", macB.description, "dev", "eth0", "nud", "permanent")
        try podB.ip("neigh", "replace", unscoped(source), "lladdr", macA.description, "dev", "eth0", "nud", "permanent")
        let listener = try Background(podB, ["udp-listen", destination, "7011", "4"])
        usleep(300_000)
        try podA.exec(python, tool, "udp-send", source, destination, "7011")
        try podA.ip("neigh", "del", unscoped(destination), "dev", "eth0")
        try podB.ip("neigh", "del", unscoped(source), "dev", "eth0")
        return listener.wait().status == 0
    }

    /// The frames (as `ip6frames.py listen` describes them) that the node's bridge and B saw while A sent
    /// `frames` (arguments of `ip6frames.py send` after the interface), all from one process.
    func seen(_ frames: [[String]]) throws -> (node: [[String: Any]], podB: [[String: Any]]) {
        // Until told to stop (slow guests take seconds per python start), at most two minutes.
        let listeners = [try Background(node, ["listen", "br0", "120"]), try Background(podB, ["listen", "eth0", "120"])]
        for listener in listeners { try listener.waitUntilReady() }
        let sender = try Background(podA, ["send-lines", "eth0"], input: frames.map { $0.joined(separator: " ") }.joined(separator: "\n"))
        let sent = sender.wait()
        usleep(300_000)
        for listener in listeners { listener.process.terminate() }
        let seen = listeners.map { listener in
            listener.wait().output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
        try #require(sent.status == 0, "ip6frames.py send-lines failed: \(sent.output)")
        return (seen[0], seen[1])
    }

    /// The NS/NA/RA frames B saw while A sent each of `frames`.
    func seenByB(_ frames: [[String]]) throws -> [[String: Any]] { try seen(frames).podB }

    /// Whether B learnt A's IPv4 address from an ARP request A sent for B's (B's neighbor table).
    func arpFromAReachesB() throws -> Bool {
        try podA.ip("neigh", "flush", "dev", "eth0")
        try podB.ip("neigh", "flush", "dev", "eth0")
        _ = try? podA.exec("/usr/bin/ping", "-c", "1", "-W", "1", Self.peerIPv4)
        return try !podB.ip("neigh", "show", Self.ownIPv4, "dev", "eth0").isEmpty
    }

    /// `["dadfailed"]`, `["tentative"]` or `[]` for `address` on `pod`'s eth0 (`["absent"]` if not there).
    func addressFlags(_ pod: ThrowawayNamespace, _ address: String) throws -> [String] {
        let text = try pod.ip("-j", "-6", "addr", "show", "dev", "eth0")
        let links = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        let infos = links.flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
        guard let info = infos.first(where: { $0["local"] as? String == address }) else { return ["absent"] }
        // A failed address stays `tentative` too: `dadfailed` says it all.
        if info["dadfailed"] as? Bool == true { return ["dadfailed"] }
        return info["tentative"] as? Bool == true ? ["tentative"] : []
    }

    /// Adds `address` to `pod` with DAD and returns its flags once DAD is over (at most ~4 s).
    func addWithDAD(_ pod: ThrowawayNamespace, _ address: String) throws -> [String] {
        try pod.ip("addr", "add", "\(address)/64", "dev", "eth0")
        for _ in 0..<40 {
            usleep(100_000)
            if try !addressFlags(pod, address).contains("tentative") { break }
        }
        usleep(300_000)
        return try addressFlags(pod, address)
    }
}

/// Whether `seen` holds a frame with every key/value of `frame` (strings and integers compared as text).
func contains(_ seen: [[String: Any]], _ frame: [String: Any]) -> Bool {
    seen.contains { packet in frame.allSatisfy { key, value in packet[key].map { "\($0)" } == "\(value)" } }
}

let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("tools/ip6frames.py").path

/// `ip6frames.py` running in a namespace in the background; `wait` collects its stdout and status.
final class Background {
    let process = Process()
    let out = Pipe()

    init(_ namespace: ThrowawayNamespace, _ arguments: [String], input: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, python, tool] + arguments
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
    }

    private var early = Data()

    /// Blocks until the tool printed its "ready" line (it is listening).
    func waitUntilReady() throws {
        while !early.starts(with: Data("ready\n".utf8)) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw CommandFailed(command: process.arguments ?? [], status: -1, stderr: "exited before it was ready") }
            early.append(chunk)
        }
    }

    func wait() -> (status: Int32, output: String) {
        let data = early + out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    deinit { if process.isRunning { process.terminate() } }
}
