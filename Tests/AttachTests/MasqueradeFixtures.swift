import Foundation
import Testing

/// A network namespace made for one test (`ip netns add`), deleted when the value goes away, also when
/// the test fails. Nothing is ever added to the machine's root namespace.
final class ScratchNamespace {
    let name: String
    var path: String { "/var/run/netns/\(name)" }

    init(_ label: String) throws {
        name = "scni-\(label)-\(UInt32.random(in: 0...UInt32.max))"
        try command("/usr/sbin/ip", ["netns", "add", name])
        try ip("link", "set", "lo", "up")
    }

    deinit { _ = try? command("/usr/sbin/ip", ["netns", "delete", name]) }

    /// `ip -n <ns> ...`, returning stdout.
    @discardableResult
    func ip(_ arguments: String...) throws -> String {
        try command("/usr/sbin/ip", ["-n", name] + arguments)
    }

    /// A command run inside the namespace (`ip netns exec`).
    @discardableResult
    func exec(_ arguments: String...) throws -> String {
        try command("/usr/sbin/ip", ["netns", "exec", name] + arguments)
    }

    /// Writes a sysctl of this namespace through its own /proc/sys (never the root namespace's).
    func sysctl(_ key: String, _ value: String) throws {
        try exec("/bin/sh", "-c", "echo \(value) > /proc/sys/\(key.replacingOccurrences(of: ".", with: "/"))")
    }
}

struct ScratchCommandFailed: Error, CustomStringConvertible {
    let command: [String]
    let status: Int32
    let stderr: String
    var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
}

@discardableResult
func command(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ScratchCommandFailed(command: [executable] + arguments, status: process.terminationStatus,
                                   stderr: String(decoding: stderr, as: UTF8.self))
    }
    return String(decoding: stdout, as: UTF8.self)
}

/// A UDP echo server in a namespace that answers every datagram with the address it came from:
/// the receiver's own view of the sender, no conntrack or capture needed. Stopped (by its pid) on deinit.
final class PeerAddressEcho {
    static let port = "7777"
    private let process = Process()

    init(in namespace: ScratchNamespace) throws {
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
    static func peerAddress(from namespace: ScratchNamespace, to address: String, attempts: Int = 2) -> String? {
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
