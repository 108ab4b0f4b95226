#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Any JSON value, for config keys a plugin passes through or inspects loosely
/// (`runtimeConfig`, `args`, an IPAM section).
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses JSON text (see `JSONParser`); invalid JSON is a decode failure (code 6).
    public static func parse(_ bytes: [UInt8]) throws(CNIError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw CNIError(.decodeFailure, "the input is not valid JSON", details: error.description)
        }
    }

    /// The keys repeated in the object that is the top-level member `member` of the JSON text `bytes`
    /// (parsing keeps the first of each); invalid JSON is a decode failure (code 6).
    public static func duplicateKeys(in bytes: [UInt8], ofMember member: String) throws(CNIError) -> [String] {
        do {
            return try JSONParser.duplicateKeys(in: bytes, ofMember: member)
        } catch {
            throw CNIError(.decodeFailure, "the input is not valid JSON", details: error.description)
        }
    }

    /// The value as JSON text with sorted keys; `pretty` indents it (see `JSONWriter`).
    public func serialized(pretty: Bool = false) -> String {
        // Non-finite numbers have no JSON form; parsing never yields them.
        JSONWriter.serialize(self, pretty: pretty) ?? "null"
    }

    /// The member `key` of an object; nil for other values or a missing key.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { object[key] } else { nil }
    }

    /// The element at `index` of an array; nil for other values or out of range.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    /// The string, when this is one.
    public var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    /// The boolean, when this is one.
    public var boolValue: Bool? { if case .bool(let value) = self { value } else { nil } }
    /// The number, when this is one.
    public var doubleValue: Double? { if case .number(let value) = self { value } else { nil } }
    /// The number, when this is a whole number that fits an `Int`.
    public var intValue: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }
    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
}
