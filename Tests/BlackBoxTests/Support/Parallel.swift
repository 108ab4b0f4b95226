import Foundation

extension Shell {
    /// Starts every command at once, then waits for all of them: real concurrency (one process each,
    /// no thread pool capped at the core count), outputs in the order given.
    static func runAll(_ commands: [(argv: [String], env: [String: String])]) throws -> [CommandOutput] {
        struct Running {
            let process: Process
            let arguments: [String]
            let out: URL, err: URL
            let handles: [FileHandle]
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scni-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var running: [Running] = []
        defer {  // a start failure halfway must not leave processes behind unwaited
            for item in running where item.process.isRunning { item.process.waitUntilExit() }
        }
        for (index, command) in commands.enumerated() {
            let out = dir.appendingPathComponent("\(index).out"), err = dir.appendingPathComponent("\(index).err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = command.argv
            var env = command.env
            env["PATH"] = env["PATH"] ?? path
            process.environment = env
            let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
            process.standardOutput = outHandle
            process.standardError = errHandle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            running.append(Running(process: process, arguments: command.argv, out: out, err: err,
                                   handles: [outHandle, errHandle]))
        }
        return running.map { item in
            item.process.waitUntilExit()
            for handle in item.handles { try? handle.close() }
            return CommandOutput(arguments: item.arguments, status: item.process.terminationStatus,
                                 stdout: (try? String(contentsOf: item.out, encoding: .utf8)) ?? "",
                                 stderr: (try? String(contentsOf: item.err, encoding: .utf8)) ?? "")
        }
    }
}

/// One pod attachment as the runtime sees it: its netns, interface name and identity.
struct Attachment {
    let netns: String
    let ifname: String
    let pod: PodIdentity
}

extension CNI {
    /// Runs `command` (add, check, del) for every attachment at the same time, one runner process
    /// each, like a node starting many pods at once. Results in the order of `attachments`.
    func parallel(_ command: String, network: String, _ attachments: [Attachment]) throws -> [CNIOutput] {
        let invocations = try attachments.map {
            try invocation(command, network: network, netns: $0.netns, ifname: $0.ifname, pod: $0.pod,
                           cniArgs: nil, capArgs: nil)
        }
        return try Shell.runAll(invocations).map(CNIOutput.init(output:))
    }
}

extension CNI {
    /// The runner's argv and environment for a GC keeping `attachments` (for `Shell.runAll`).
    func gcInvocation(network: String, keeping attachments: [Attachment]) -> (argv: [String], env: [String: String]) {
        (nodeExec([Environment.runner, "gc", network] + attachments.map { "\($0.pod.containerID)/\($0.ifname)" }), baseEnv)
    }
}
