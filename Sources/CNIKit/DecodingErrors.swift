/// Turns a `DecodingError` from a plugin's own config struct (decoded from `json`, known to be
/// valid JSON) into an invalid-config error (code 7) naming the key path.
func cniError(decoding error: DecodingError, in json: JSONValue) -> CNIError {
    switch error {
    case .typeMismatch(let type, let context):
        return CNIError(.invalidConfig, "\(describe(context.codingPath)) must be \(describe(type))")
    case .valueNotFound(let type, let context):
        return CNIError(.invalidConfig, "\(describe(context.codingPath)) must be \(describe(type)), not null")
    case .keyNotFound(let key, let context):
        return CNIError(.invalidConfig, "\(describe(context.codingPath + [key])) is required")
    case .dataCorrupted(let context) where context.codingPath.isEmpty:
        // JSONDecoder reports a number that does not fit an integer type this way, without a path.
        let suspects = nonIntegerPaths(json, path: [])
        return CNIError(.invalidConfig, suspects.isEmpty
            ? "the config does not fit the plugin's format: \(context.debugDescription)"
            : "\(suspects.joined(separator: ", ")) must be an integer")
    case .dataCorrupted(let context):
        return CNIError(.invalidConfig, "\(describe(context.codingPath)) is invalid: \(context.debugDescription)")
    @unknown default:
        return CNIError(.invalidConfig, String(describing: error))
    }
}

/// The paths of numbers that are not whole or not within `Int`, in key order.
private func nonIntegerPaths(_ json: JSONValue, path: [String]) -> [String] {
    switch json {
    case .number where json.intValue == nil:
        return [joinPath(path)]
    case .array(let elements):
        return elements.indices.flatMap { nonIntegerPaths(elements[$0], path: path + ["[\($0)]"]) }
    case .object(let members):
        return members.keys.sorted().flatMap { nonIntegerPaths(members[$0]!, path: path + [$0]) }
    default:
        return []
    }
}

private func joinPath(_ components: [String]) -> String {
    var text = ""
    for component in components {
        text += component.hasPrefix("[") || text.isEmpty ? component : ".\(component)"
    }
    return text.isEmpty ? "the input" : text
}

/// `args.cni.mtu`, `ips[0].address`; "the input" for the root.
func describe(_ path: [any CodingKey]) -> String {
    joinPath(path.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue })
}

private func describe(_ type: Any.Type) -> String {
    switch type {
    case is String.Type, is Substring.Type: return "a string"
    case is Bool.Type: return "a boolean"
    case is Int.Type, is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type,
         is UInt.Type, is UInt8.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type: return "an integer"
    case is Double.Type, is Float.Type: return "a number"
    default:
        let name = String(describing: type)
        if name.hasPrefix("Array<") || name.hasPrefix("[") && !name.contains(":") { return "an array" }
        if name.hasPrefix("Dictionary<") || name.hasPrefix("[") { return "an object" }
        return "a valid \(name)"
    }
}
