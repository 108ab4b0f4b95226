import Foundation

extension Traffic {
    /// The Python socket family of an address: IPv6 when it has a colon.
    static func family(_ address: String) -> String { address.contains(":") ? "socket.AF_INET6" : "socket.AF_INET" }

    /// Whether UDP datagrams sent from `client` reach `address` in `server` (one way: no reply
    /// needed). A spoof check must be proven this way: after a pod changes its MAC, replies to it
    /// go to its old MAC and are dropped by the pod itself, so an echo fails even with no spoof
    /// check at all; the datagram towards the server only fails when the bridge drops it.
    static func udpReaches(from client: String, to address: String, in server: String, port: Int = 7008,
                           source: String? = nil) throws -> Bool {
        let serverCode = """
        import socket, sys
        s = socket.socket(\(Traffic.family(address)), socket.SOCK_DGRAM)
        s.bind(("\(address)", \(port)))
        s.settimeout(4)
        try:
            s.recvfrom(64)
        except OSError:
            sys.exit(1)
        """
        let clientCode = """
        import socket, time
        c = socket.socket(\(Traffic.family(address)), socket.SOCK_DGRAM)
        \(source.map { "c.bind((\"\($0)\", 0))" } ?? "")
        for _ in range(30):
            try:
                c.sendto(b"scni", ("\(address)", \(port)))
            except OSError:
                pass
            time.sleep(0.1)
        """
        let serverProcess = Process()
        serverProcess.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        serverProcess.arguments = ["ip", "netns", "exec", server, Environment.python3, "-c", serverCode]
        serverProcess.environment = ["PATH": Shell.path]
        serverProcess.standardOutput = FileHandle.nullDevice
        serverProcess.standardError = FileHandle.nullDevice
        try serverProcess.run()
        defer {
            if serverProcess.isRunning { serverProcess.terminate() }
            serverProcess.waitUntilExit()
        }
        usleep(300_000)  // let the server bind before the first datagram
        try Shell.run(["ip", "netns", "exec", client, Environment.python3, "-c", clientCode])
        serverProcess.waitUntilExit()
        return serverProcess.terminationStatus == 0
    }
}
