/// Reads typed members of a JSON object, naming the key path (`prevResult.ips[0].address`)
/// in the invalid-config error (code 7) when a member has the wrong type.
struct JSONReader {
    let members: [String: JSONValue]
    let path: String

    /// Fails unless `value` is an object.
    init(_ value: JSONValue, path: String) throws(CNIError) {
        guard case .object(let members) = value else { throw Self.mismatch(path, "an object") }
        self.members = members
        self.path = path
    }

    func keyPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The member, with `null` treated as absent.
    func value(_ key: String) -> JSONValue? {
        if let value = members[key], value != .null { value } else { nil }
    }

    func string(_ key: String) throws(CNIError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.stringValue else { throw Self.mismatch(keyPath(key), "a string") }
        return string
    }

    func requiredString(_ key: String) throws(CNIError) -> String {
        guard let string = try string(key) else {
            throw CNIError(.invalidConfig, "\(keyPath(key)) is required")
        }
        return string
    }

    func int(_ key: String) throws(CNIError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let int = value.intValue else { throw Self.mismatch(keyPath(key), "an integer") }
        return int
    }

    func bool(_ key: String) throws(CNIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.boolValue else { throw Self.mismatch(keyPath(key), "a boolean") }
        return bool
    }

    func object(_ key: String) throws(CNIError) -> JSONReader? {
        guard let value = value(key) else { return nil }
        return try JSONReader(value, path: keyPath(key))
    }

    /// The elements of an array member, each with its indexed path; empty when absent.
    func array(_ key: String) throws(CNIError) -> [(value: JSONValue, path: String)] {
        guard let value = value(key) else { return [] }
        guard let array = value.arrayValue else { throw Self.mismatch(keyPath(key), "an array") }
        return array.enumerated().map { ($0.element, "\(keyPath(key))[\($0.offset)]") }
    }

    /// The objects of an array member.
    func objects(_ key: String) throws(CNIError) -> [JSONReader] {
        var readers: [JSONReader] = []
        for element in try array(key) { readers.append(try JSONReader(element.value, path: element.path)) }
        return readers
    }

    func strings(_ key: String) throws(CNIError) -> [String] {
        var strings: [String] = []
        for element in try array(key) {
            guard let string = element.value.stringValue else { throw Self.mismatch(element.path, "a string") }
            strings.append(string)
        }
        return strings
    }

    static func mismatch(_ path: String, _ expected: String) -> CNIError {
        CNIError(.invalidConfig, "\(path.isEmpty ? "the input" : path) must be \(expected)")
    }
}

/// Builds a JSON object member by member, leaving out absent optional values.
struct JSONObjectBuilder {
    private(set) var members: [String: JSONValue] = [:]

    mutating func set(_ key: String, _ value: String?) {
        if let value { members[key] = .string(value) }
    }

    mutating func set(_ key: String, _ value: Int?) {
        if let value { members[key] = .number(Double(value)) }
    }

    mutating func set(_ key: String, _ value: JSONValue?) {
        if let value { members[key] = value }
    }

    /// Sets an array member unless it is empty (Go's `omitempty`).
    mutating func setNonEmpty(_ key: String, _ values: [JSONValue]) {
        if !values.isEmpty { members[key] = .array(values) }
    }

    var json: JSONValue { .object(members) }
}
