import CNIKit

/// The undo stack of an ADD: each step that changes the system pushes how to take it back; when a
/// later step fails, the steps already done are undone in reverse order and the failure is rethrown.
/// Nothing is undone when the body returns normally.
/// Every step pushed is also a crash point of the test-only fault hook (`TestCrash`, `SWIFT_CNI_TEST_CRASH_AT`).
public final class Rollback {
    private var steps: [(what: String, undo: () throws -> Void)] = []

    private init() {}

    /// Runs `body` with a fresh stack.
    public static func run<R>(_ body: (Rollback) throws -> R) throws -> R {
        let rollback = Rollback()
        do {
            let result = try body(rollback)
            TestCrash.point(rollback.steps.count + 1, "the whole ADD, before its result is printed")
            return result
        } catch {
            throw rollback.unwind(after: error)
        }
    }

    /// Records how to undo the step just done; `what` names it for messages.
    public func push(_ what: String, _ undo: @escaping () throws -> Void) {
        steps.append((what, undo))
        TestCrash.point(steps.count, what)
    }

    /// Undoes every step, newest first. A step that cannot be undone is named in the error's details,
    /// so an admin knows what may have been left behind.
    private func unwind(after failure: any Error) -> any Error {
        var leftovers: [String] = []
        for step in steps.reversed() {
            do { try step.undo() } catch { leftovers.append("\(step.what): \(error)") }
        }
        guard !leftovers.isEmpty else { return failure }
        var error = CNIError(converting: failure)
        let note = "rollback incomplete, check by hand: " + leftovers.joined(separator: "; ")
        error.details = error.details.isEmpty ? note : error.details + "; " + note
        return error
    }
}
