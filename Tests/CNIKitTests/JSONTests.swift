import FoundationEssentials
import Testing
@testable import CNIKit

/// CNIKit's own JSON parser and writer against JSONDecoder and JSONEncoder, which they replace on the
/// hot path: the same values for every input both accept, the same bytes out.
struct JSONTests {
    /// What JSONDecoder makes of the bytes as a JSONValue (through JSONValue's Decodable conformance).
    static func foundation(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    static func ours(_ text: String) -> JSONValue? {
        try? JSONValue.parse(Array(text.utf8))
    }

    static let accepted = [
        "{}", "[]", "0", "-0", "1", "-12.5e3", "1E5", "1.5e+3", "2e-2", "123456789012345678901234567890",
        "true", "false", "null", #""""#, #""plain""#, " \t\n\r{ \"a\" : [ 1 , 2 ] }\n ",
        #"{"a":1,"a":2}"#, #"{"cniVersion":"1.0.0","name":"n","type":"bridge","ipam":{"type":"host-local","ranges":[[{"subnet":"10.1.0.0/16"}]]}}"#,
        #"["\"\\\/\b\f\n\r\t"]"#, #"["\u0000\u001f\u00e9\u00E9\u2028\ud83d\ude00"]"#, "[\"é😀\u{7f}\"]",
        #"{"":{"":[[],{}]},"e\u0301":true}"#, String(repeating: "[", count: 512) + String(repeating: "]", count: 512),
        "[1.7976931348623157e308,-2.2250738585072014e-308,5e-324,0.1,1e21,9007199254740993]",
    ]

    static let rejected = [
        "", " ", "{", "[1", "[1,]", #"{"a":1,}"#, "{1:2}", #"{"a"}"#, #"{"a":}"#, "[01]", "[-01]", "[1.]", "[.5]", "[+1]",
        "[-]", "[1e]", "[1e+]", "[NaN]", "[Infinity]", "[1e400]", "[-1e309]", "tru", "nul", "True", "{} x", "[] []",
        "\u{0b}{}", #"["\x"]"#, #"["\u12"]"#, #"["\ud800"]"#, #"["\udc00"]"#, #"["\ud800\u0041"]"#, "[\"a\u{1}b\"]",
        "[\"a\nb\"]", "\u{feff}{}", String(repeating: "[", count: 513) + String(repeating: "]", count: 513),
    ]

    @Test(arguments: accepted)
    func parsesAsJSONDecoderDoes(_ text: String) throws {
        let ours = try #require(Self.ours(text))
        #expect(ours == Self.foundation(text))
    }

    @Test(arguments: rejected)
    func rejectsWithCode6(_ text: String) {
        do {
            _ = try JSONValue.parse(Array(text.utf8))
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.code == .decodeFailure)
            // Where and why, without repeating a raw control character of the input.
            #expect(error.details.contains("line 1, column"))
            #expect(!error.details.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f })
        }
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xff, 0x22], [0x22, 0xc0, 0x80, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22], [0x22, 0xe2, 0x82, 0x22]] {
            #expect(throws: CNIError.self) { try JSONValue.parse(bytes) }
        }
    }

    @Test func reportsLineAndColumn() {
        #expect(throws: CNIError(.decodeFailure, "the input is not valid JSON",
                                 details: "expected true, found byte 0xa at line 2, column 11")) {
            try JSONValue.parse(Array("{\n  \"a\": tru\n}".utf8))
        }
    }

    static let values: [JSONValue] = [
        .null, .bool(true), .string("top"), .number(0), .number(-0.0), .number(1500), .number(1e15), .number(1e16),
        .number(1.5), .number(0.1), .number(1e-7), .number(-2.5e-300), .number(123456789012345678), .number(4294967296.5),
        .array([]), .object([:]), .array([.array([]), .object([:]), .array([.number(1)])]),
        .object(["b": .number(0), "a10": .number(1), "a2": .number(2), "B": .number(3), "A": .number(4), "_x": .number(5),
                 "é": .number(6), "e\u{301}x": .number(7), "f": .number(8), "\u{212B}": .number(9), "": .number(10),
                 "😀": .number(11), "a-b": .null, "ab": .array([.string("x")])]),
        .string(String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }) + "\"\\/\u{7f}\u{2028}é😀"),
        .object(["cniVersion": .string("1.0.0"), "interfaces": .array([.object(["name": .string("eth0"), "mac": .string("0a:58:0a:00:00:05")])]),
                 "ips": .array([.object(["address": .string("10.1.0.5/16"), "interface": .number(0)])]), "dns": .object([:])]),
    ]

    @Test(arguments: values, [false, true])
    func writesWhatJSONEncoderWrites(_ value: JSONValue, pretty: Bool) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        let expected = String(decoding: try encoder.encode(value), as: UTF8.self)
        #expect(value.serialized(pretty: pretty) == expected)
        #expect(try JSONValue.parse(Array(value.serialized(pretty: pretty).utf8)) == value)
    }

    @Test func nonFiniteNumbersHaveNoForm() {
        #expect(JSONValue.array([.number(.infinity)]).serialized() == "null")
    }

    /// The keys repeated in one top-level member's object (tuning's `sysctl`), each once; repeats elsewhere
    /// (the top level, deeper objects, other members) are not its.
    @Test func duplicateKeysOfOneMember() throws {
        let text = #"{"sysctl":{"a":"1","b":"2","a":"3","a":"4","c":{"x":1,"x":2},"b":"5"},"a":1,"a":2,"other":{"y":1,"y":2}}"#
        #expect(try JSONValue.duplicateKeys(in: Array(text.utf8), ofMember: "sysctl") == ["a", "b"])
        #expect(try JSONValue.duplicateKeys(in: Array(#"{"sysctl":{"a":"1"}}"#.utf8), ofMember: "sysctl") == [])
        #expect(try JSONValue.duplicateKeys(in: Array(#"{"sysctl":["a","a"]}"#.utf8), ofMember: "sysctl") == [])
        #expect(throws: CNIError.self) { try JSONValue.duplicateKeys(in: Array(#"{"sysctl":{"a":"1","a"}"#.utf8), ofMember: "sysctl") }
        #expect(try JSONValue.parse(Array(text.utf8))["sysctl"]?["a"] == .string("1"), "parsing keeps the first")
    }
}
