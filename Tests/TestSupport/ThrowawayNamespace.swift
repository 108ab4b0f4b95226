import Foundation

/// A network namespace made for one test (`ip netns add`), deleted when the value goes away, also when
/// the test fails. Tests never touch the machine's root namespace.
public final class ThrowawayNamespace {
    public let name: String
    public var path: String { "/var/run/netns/\(name)" }

    public init(_ label: String = "nl") throws {
        name = "scni-\(label)-\(UInt32.random(in: 0...UInt32.max))"
        try run("/usr/sbin/ip", "netns", "add", name)
        try run("/usr/sbin/ip", "-n", name, "link", "set", "lo", "up")
    }

    deinit { _ = try? run("/usr/sbin/ip", "netns", "delete", name) }

    /// `ip -n <ns> ...`, returning stdout.
    @discardableResult
    public func ip(_ arguments: String...) throws -> String {
        try run("/usr/sbin/ip", ["-n", name] + arguments)
    }

    /// A command run inside the namespace (`ip netns exec`).
    @discardableResult
    public func exec(_ arguments: String...) throws -> String {
        try run("/usr/sbin/ip", ["netns", "exec", name] + arguments)
    }

    /// Writes a sysctl of this namespace through its own /proc/sys (never the root namespace's).
    public func sysctl(_ key: String, _ value: String) throws {
        try exec("/bin/sh", "-c", "echo \(value) > /proc/sys/\(key.replacingOccurrences(of: ".", with: "/"))")
    }
}

public struct CommandFailed: Error, CustomStringConvertible {
    public let command: [String]
    public let status: Int32
    public let stderr: String
    public var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
}

@discardableResult
public func run(_ executable: String, _ arguments: String...) throws -> String {
    try run(executable, arguments)
}

/// Runs a command to completion; stdout on success, `CommandFailed` (with stderr) otherwise.
@discardableResult
public func run(_ executable: String, _ arguments: [String]) throws -> String {
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
