import Foundation
import Testing

/// A network namespace made for one test (`ip netns add`), deleted when the value goes away,
/// also when the test fails. Tests never touch the machine's root namespace.
final class ThrowawayNamespace {
    let name: String
    var path: String { "/var/run/netns/\(name)" }

    init(_ label: String = "nl") throws {
        name = "scni-\(label)-\(UInt32.random(in: 0...UInt32.max))"
        try run("/usr/sbin/ip", "netns", "add", name)
        try run("/usr/sbin/ip", "-n", name, "link", "set", "lo", "up")
    }

    deinit { _ = try? run("/usr/sbin/ip", "netns", "delete", name) }

    /// `ip -n <ns> ...`, returning stdout.
    @discardableResult
    func ip(_ arguments: String...) throws -> String {
        try run("/usr/sbin/ip", ["-n", name] + arguments)
    }
}

struct CommandFailed: Error, CustomStringConvertible {
    let command: [String]
    let status: Int32
    let stderr: String
    var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
}

@discardableResult
func run(_ executable: String, _ arguments: String...) throws -> String {
    try run(executable, arguments)
}

@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> String {
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
        throw CommandFailed(command: [executable] + arguments, status: process.terminationStatus,
                            stderr: String(decoding: stderr, as: UTF8.self))
    }
    return String(decoding: stdout, as: UTF8.self)
}

/// These tests create namespaces: they need root, and say so instead of skipping.
func requireRoot() throws {
    try #require(getuid() == 0, "the netlink tests create network namespaces: run them as root (make test)")
}
