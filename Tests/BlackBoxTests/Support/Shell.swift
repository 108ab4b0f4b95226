import Foundation

/// What a finished command left behind.
struct CommandOutput: CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stdout: String
    let stderr: String

    var succeeded: Bool { status == 0 }

    var description: String {
        "`\(arguments.joined(separator: " "))` exited \(status)\nstdout: \(stdout)\nstderr: \(stderr)"
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs commands synchronously. Output goes to temp files (no pipe deadlocks, no threads).
enum Shell {
    /// The PATH handed to every child: the test's own, plus the usual sbin dirs for `ip`.
    static let path: String = {
        let own = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return [own, "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            .filter { !$0.isEmpty }.joined(separator: ":")
    }()

    /// Runs `arguments[0]` (looked up in PATH) with exactly `environment` plus PATH.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> CommandOutput {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scni-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        let inURL = dir.appendingPathComponent("in")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: Data((stdin ?? "").utf8))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = environment
        env["PATH"] = env["PATH"] ?? path
        process.environment = env
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        let inHandle = try FileHandle(forReadingFrom: inURL)
        defer { try? outHandle.close(); try? errHandle.close(); try? inHandle.close() }
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = inHandle
        try process.run()
        process.waitUntilExit()
        return CommandOutput(
            arguments: arguments,
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        )
    }

    /// Like `run`, but a non-zero exit is an error.
    @discardableResult
    static func must(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> CommandOutput {
        let output = try run(arguments, environment: environment, stdin: stdin)
        guard output.succeeded else { throw HarnessError("command failed: \(output)") }
        return output
    }
}

/// Minimal JSON access for test assertions.
enum JSON {
    static func parse(_ text: String) -> Any? {
        guard let data = text.data(using: .utf8), !data.isEmpty else { return nil }
        return try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    static func object(_ text: String) -> [String: Any]? { parse(text) as? [String: Any] }

    static func string(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
