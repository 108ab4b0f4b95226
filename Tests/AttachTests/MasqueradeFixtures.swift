import Foundation
import Testing
import TestSupport

/// A UDP echo server in a namespace that answers every datagram with the address it came from:
/// the receiver's own view of the sender, no conntrack or capture needed. Stopped (by its pid) on deinit.
final class PeerAddressEcho {
    static let port = "7777"
    private let process = Process()

    init(in namespace: ThrowawayNamespace) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, "python3", "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", \(PeerAddressEcho.port)))
            s.settimeout(120)  # gone on its own should the test process die first
            print("ready", flush=True)
            while True:
                data, peer = s.recvfrom(100)
                try:
                    s.sendto(peer[0].encode(), peer)
                except OSError:  # no route back to the sender: the test expects that
                    pass
            """]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait for the bind: the first line the server prints.
        _ = out.fileHandleForReading.availableData
    }

    deinit {
        // SIGKILL: the child inherits the test thread's blocked signals, so SIGTERM would wait forever.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// From `namespace`, one datagram to `address` on a fresh socket (a new source port, so a new conntrack
    /// entry each time): the sender address the server saw, or nil when no answer came back.
    static func peerAddress(from namespace: ThrowawayNamespace, to address: String, attempts: Int = 2) -> String? {
        let client = """
            import socket, sys
            for _ in range(\(attempts)):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(1.0)
                s.sendto(b"x", ("\(address)", \(port)))
                try:
                    print(s.recvfrom(100)[0].decode()); sys.exit(0)
                except socket.timeout:
                    s.close()
            sys.exit(1)
            """
        return (try? namespace.exec("python3", "-c", client))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

func requireRootForNamespaces() throws {
    try #require(getuid() == 0, "these tests create network namespaces: run them as root")
}
