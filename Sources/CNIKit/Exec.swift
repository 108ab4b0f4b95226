#if canImport(Glibc)
import Glibc
#endif

/// Runs another executable synchronously (posix_spawn) with its stdin and stdout on pipes;
/// its stderr is ours.
enum Exec {
    /// What the child printed and how it ended.
    struct Outcome {
        /// The exit status, or 128 + the signal number when it was killed.
        var status: Int32
        var stdout: [UInt8]
    }

    /// Spawns `path` with `environment`, feeds it `stdin`, collects stdout, waits for it.
    static func run(_ path: String, environment: [String: String], stdin: [UInt8]) throws(CNIError) -> Outcome {
        let input = try makePipe()
        let output = try makePipe()
        let pid: pid_t
        do {
            pid = try spawn(path, environment: environment, stdin: input.read, stdout: output.write)
        } catch {
            [input.read, input.write, output.read, output.write].forEach { close($0) }
            throw error
        }
        close(input.read)
        close(output.write)
        feed(input.write, stdin)
        let bytes = readAll(output.read) ?? []
        close(output.read)
        return Outcome(status: try wait(pid, path), stdout: bytes)
    }

    private static func makePipe() throws(CNIError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw CNIError(.ioFailure, "cannot create a pipe: \(errnoText(errno))") }
        // Single-threaded: no other spawn can inherit the ends before they are close-on-exec.
        fds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    private static func spawn(_ path: String, environment: [String: String], stdin: Int32, stdout: Int32) throws(CNIError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, stdout, STDOUT_FILENO)
        let argv = [strdup(path)] + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard code == 0 else { throw CNIError(.ioFailure, "cannot run \(path): \(errnoText(code))") }
        return pid
    }

    /// Writes the child's stdin and closes it; a child that exits without reading is not an error
    /// here (its status tells), so SIGPIPE is ignored meanwhile.
    private static func feed(_ fd: Int32, _ bytes: [UInt8]) {
        let previous = signal(SIGPIPE, SIG_IGN)
        _ = writeAll(fd, bytes)
        close(fd)
        signal(SIGPIPE, previous)
    }

    private static func wait(_ pid: pid_t, _ path: String) throws(CNIError) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw CNIError(.ioFailure, "cannot wait for \(path): \(errnoText(errno))") }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
