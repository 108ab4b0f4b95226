import Foundation

/// Reads the state of a netns through `ip -j` and /proc, for assertions.
struct NetState {
    let netns: String

    /// Runs a command inside the netns (`ip netns exec`).
    @discardableResult
    func exec(_ command: [String], stdin: String? = nil) throws -> CommandOutput {
        try Shell.run(["ip", "netns", "exec", netns] + command, stdin: stdin)
    }

    /// `ip -j -d link show dev <dev>`; nil when the device does not exist.
    func link(_ dev: String) throws -> Link? {
        let out = try Shell.run(["ip", "-n", netns, "-j", "-d", "link", "show", "dev", dev])
        guard out.succeeded, let list = JSON.parse(out.stdout) as? [[String: Any]], let first = list.first else {
            return nil
        }
        // `ip -j` omits txqlen for some links (noqueue veths): read it from sysfs instead.
        let qlen = try Shell.run(["ip", "netns", "exec", netns, "cat", "/sys/class/net/\(dev)/tx_queue_len"])
        return Link(raw: first, txQueueLength: Int(qlen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    func addresses() throws -> [[String: Any]] {
        let out = try Shell.must(["ip", "-n", netns, "-j", "addr"])
        return JSON.parse(out.stdout) as? [[String: Any]] ?? []
    }

    func routes() throws -> [[String: Any]] {
        let out = try Shell.must(["ip", "-n", netns, "-j", "route"])
        return JSON.parse(out.stdout) as? [[String: Any]] ?? []
    }

    /// Reads `/proc/sys/<key with dots as slashes>` inside the netns.
    func sysctl(_ key: String) throws -> String {
        let path = "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
        return try Shell.must(["ip", "netns", "exec", netns, "cat", path]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a sysctl inside the netns (only net.* keys: they are per netns).
    func setSysctl(_ key: String, _ value: String) throws {
        precondition(key.hasPrefix("net."), "only per-netns net.* sysctls")
        let path = "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
        try Shell.must(["ip", "netns", "exec", netns, "sh", "-c", "echo \(value) > \(path)"])
    }

    /// `ip -n <netns> link set dev <dev> <args...>`.
    func setLink(_ dev: String, _ args: String...) throws {
        try Shell.must(["ip", "-n", netns, "link", "set", "dev", dev] + args)
    }
}

struct Link {
    let raw: [String: Any]

    var mac: String? { raw["address"] as? String }
    var mtu: Int? { raw["mtu"] as? Int }
    var flags: [String] { raw["flags"] as? [String] ?? [] }
    var promiscuous: Bool { flags.contains("PROMISC") }
    var allmulti: Bool { flags.contains("ALLMULTI") }
    let txQueueLength: Int?
}

/// Traffic between two namespaces the test made: a UDP echo from `from` to `address` in `server`.
enum Traffic {
    /// `source`, when given, is the client's bound source address (e.g. one the plugin did not assign).
    static func udpEcho(from client: String, to address: String, in server: String, port: Int = 7007,
                        source: String? = nil) throws -> Bool {
        let serverCode = """
        import socket
        s = socket.socket(\(Traffic.family(address)), socket.SOCK_DGRAM)
        s.bind(("\(address)", \(port)))
        s.settimeout(5)
        d, a = s.recvfrom(64)
        s.sendto(d, a)
        """
        let clientCode = """
        import socket, sys, time
        c = socket.socket(\(Traffic.family(address)), socket.SOCK_DGRAM)
        \(source.map { "c.bind((\"\($0)\", 0))" } ?? "")
        c.settimeout(0.2)
        for _ in range(25):
            try:
                c.sendto(b"scni", ("\(address)", \(port)))
                if c.recvfrom(64)[0] == b"scni":
                    sys.exit(0)
            except OSError:
                time.sleep(0.1)
        sys.exit(1)
        """
        let python = Environment.python3
        let serverProcess = Process()
        serverProcess.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        serverProcess.arguments = ["ip", "netns", "exec", server, python, "-c", serverCode]
        serverProcess.environment = ["PATH": Shell.path]
        serverProcess.standardOutput = FileHandle.nullDevice
        serverProcess.standardError = FileHandle.nullDevice
        try serverProcess.run()
        defer {
            if serverProcess.isRunning { serverProcess.terminate() }
            serverProcess.waitUntilExit()
        }
        let result = try Shell.run(["ip", "netns", "exec", client, python, "-c", clientCode])
        return result.succeeded
    }
}
