/// Strict JSON (RFC 8259) straight into `JSONValue`, one pass over the bytes: no Codable machinery, so
/// no generic metadata to instantiate and no protocol-conformance lookups at start-up (decoding a
/// `JSONValue` through JSONDecoder was most of a plugin's own instructions).
///
/// Accepts what JSONDecoder accepts for a `JSONValue`, but for its extensions to the grammar (a trailing
/// comma, a byte-order mark, UTF-16 input), which Go's encoding/json, and so libcni, refuses too.
/// Duplicate keys: the first one wins, as in JSONDecoder. Strings must be valid UTF-8 without raw
/// control characters and without lone surrogate escapes; numbers must fit a finite `Double`; arrays
/// and objects nest at most 512 deep.
struct JSONParser {
    /// Where and why the input is not JSON; the description never repeats a raw input byte.
    struct SyntaxError: Error, CustomStringConvertible {
        let problem: String
        let line: Int
        let column: Int

        var description: String { "\(problem) at line \(line), column \(column)" }
    }

    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    /// `duplicateKeys`: the top-level member whose object's repeated keys are collected, whether the parser
    /// is inside it, and what it found.
    private var watched: String?
    private var inWatched = false
    private var duplicates: [String] = []

    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        return try parser.document()
    }

    /// The keys that appear more than once in the object that is the top-level member `member` (each once,
    /// in the order they repeat): parsing keeps only the first, so a check that refuses repeats needs this.
    static func duplicateKeys(in bytes: [UInt8], ofMember member: String) throws(SyntaxError) -> [String] {
        var parser = JSONParser(bytes: bytes)
        parser.watched = member
        _ = try parser.document()
        return parser.duplicates
    }

    private mutating func document() throws(SyntaxError) -> JSONValue {
        skipWhitespace()
        let value = try value()
        skipWhitespace()
        guard index == bytes.count else { throw unexpected("the end of the input") }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func value() throws(SyntaxError) -> JSONValue {
        guard index < bytes.count else { throw unexpected("a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw unexpected("a value")
        }
    }

    private mutating func object() throws(SyntaxError) -> JSONValue {
        try enter()
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if !consume(UInt8(ascii: "}")) {
            repeat {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected("a string key") }
                let key = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                let outer = inWatched
                if depth == 1, key == watched { inWatched = true }
                let member = try value()
                inWatched = outer
                if members[key] == nil {
                    members[key] = member
                } else if inWatched, depth == 2, !duplicates.contains(key) {
                    duplicates.append(key)
                }
                skipWhitespace()
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
        }
        depth -= 1
        return .object(members)
    }

    private mutating func array() throws(SyntaxError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        skipWhitespace()
        if !consume(UInt8(ascii: "]")) {
            repeat {
                skipWhitespace()
                elements.append(try value())
                skipWhitespace()
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
        }
        depth -= 1
        return .array(elements)
    }

    /// Steps over `{` or `[`, counting the depth.
    private mutating func enter() throws(SyntaxError) {
        guard depth < Self.maximumDepth else { throw failure("arrays and objects nested more than \(Self.maximumDepth) deep") }
        depth += 1
        index += 1
    }

    private mutating func string() throws(SyntaxError) -> String {
        index += 1  // the opening quote
        let start = index
        // Fast path: no escape up to the closing quote.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 {
            index += 1
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            let value = try text(bytes[start..<index])
            index += 1  // the closing quote
            return value
        }
        var utf8 = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw unexpected("the end of the string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20 else { throw unexpected("an escaped control character") }
            index += 1
            if byte == UInt8(ascii: "\\") { try escape(into: &utf8) } else { utf8.append(byte) }
        }
        let value = try text(utf8)
        index += 1  // the closing quote
        return value
    }

    private func text(_ utf8: some Collection<UInt8>) throws(SyntaxError) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw failure("a string that is not valid UTF-8") }
        return text
    }

    /// The escape after a backslash, appended as UTF-8.
    private mutating func escape(into utf8: inout [UInt8]) throws(SyntaxError) {
        guard index < bytes.count else { throw unexpected("an escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800...0xDBFF).contains(code) {
                guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")) else { throw failure("a high surrogate escape without its low surrogate") }
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("a high surrogate escape without its low surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw failure("a lone low surrogate escape") }
            utf8.append(contentsOf: UTF8.encode(scalar)!)
        default:
            index -= 1
            throw unexpected("an escape (\\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\u)")
        }
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = Self.hexValue(bytes[index]) else { throw unexpected("a hex digit") }
            code = code << 4 | digit
            index += 1
        }
        return code
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws(SyntaxError) -> Double {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        if !consume(UInt8(ascii: "0")) { try digits() }
        if consume(UInt8(ascii: ".")) { try digits() }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            try digits()
        }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite else {
            index = start
            throw failure("a number that does not fit a Double")
        }
        return value
    }

    /// One or more decimal digits.
    private mutating func digits() throws(SyntaxError) {
        guard index < bytes.count, Self.isDigit(bytes[index]) else { throw unexpected("a digit") }
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in expected {
            guard index < bytes.count, bytes[index] == byte else { throw unexpected("\(word)") }
            index += 1
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func expect(_ byte: UInt8) throws(SyntaxError) {
        guard consume(byte) else { throw unexpected("'\(Character(Unicode.Scalar(byte)))'") }
    }

    /// "expected X, found Y" at the current byte; Y is a printable ASCII character or a byte in hex.
    private func unexpected(_ expected: String) -> SyntaxError {
        guard index < bytes.count else { return failure("expected \(expected), found the end of the input") }
        let byte = bytes[index]
        let found = (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        return failure("expected \(expected), found \(found)")
    }

    private func failure(_ problem: String) -> SyntaxError {
        let before = bytes[..<min(index, bytes.count)]
        let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let column = index - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
        return SyntaxError(problem: problem, line: line, column: column)
    }
}
