internal import Glibc

/// A test-only fault hook: with `SWIFT_CNI_TEST_CRASH_AT=N` in the environment, an ADD kills itself with
/// SIGKILL right after its N-th step (the N-th undo pushed on its `Rollback`, or, one past the last step,
/// after the whole ADD succeeded and before its result is printed). The reliability tests walk N = 1, 2, ...
/// until an ADD survives, and check that DEL and GC clean up after every crash point.
///
/// Nothing happens unless the variable holds a positive integer; no runtime sets it (the name says what
/// it is for). The step's name is printed on stderr before dying, so a test log says where it crashed.
enum TestCrash {
    static let variable = "SWIFT_CNI_TEST_CRASH_AT"

    /// The step number to die after, read once; nil (the normal case) when unset or not a positive integer.
    private static let target: Int? = {
        guard let raw = getenv(variable), let value = Int(String(cString: raw)), value > 0 else { return nil }
        return value
    }()

    /// Called after step number `step` (1-based) named `what`.
    static func point(_ step: Int, _ what: String) {
        guard let target, step == target else { return }
        let line = "\(variable)=\(target): SIGKILL after step \(step): \(what)\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        kill(getpid(), SIGKILL)
    }
}
