/// Splits a byte stream that arrives in arbitrary chunks into newline-terminated lines (the API's
/// JSON watch framing: one event object per line). A line longer than `limit` is an error, so a
/// broken server cannot make the agent buffer without end.
struct LineFramer {
    struct LineTooLong: Error {}

    let limit: Int
    private var pending: [UInt8] = []

    init(limit: Int = 16 << 20) { self.limit = limit }

    /// The complete lines in `chunk` and what was pending before it, without their newline; empty lines dropped.
    mutating func append(_ chunk: some Collection<UInt8>) throws -> [[UInt8]] {
        pending.append(contentsOf: chunk)
        var lines: [[UInt8]] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = pending[start..<newline]
            if line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) { lines.append(Array(line)) }
            start = pending.index(after: newline)
        }
        pending.removeSubrange(..<start)
        guard pending.count <= limit else { throw LineTooLong() }
        return lines
    }
}
