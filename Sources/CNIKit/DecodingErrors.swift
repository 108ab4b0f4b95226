/// Turns a `DecodingError` from a plugin's own config struct into a spec error:
/// a syntax error (no key path) is code 6, everything else code 7 naming the key path.
func cniError(decoding error: DecodingError) -> CNIError {
    switch error {
    case .typeMismatch(let type, let context):
        return CNIError(.invalidConfig, "\(describe(context.codingPath)) must be \(describe(type))")
    case .valueNotFound(let type, let context):
        return CNIError(.invalidConfig, "\(describe(context.codingPath)) must be \(describe(type)), not null")
    case .keyNotFound(let key, let context):
        return CNIError(.invalidConfig, "\(describe(context.codingPath + [key])) is required")
    case .dataCorrupted(let context) where context.codingPath.isEmpty:
        return CNIError(.decodeFailure, "the input is not valid JSON", details: describeSyntaxError(error))
    case .dataCorrupted(let context):
        return CNIError(.invalidConfig, "\(describe(context.codingPath)) is invalid: \(context.debugDescription)")
    @unknown default:
        return CNIError(.invalidConfig, String(describing: error))
    }
}

/// `args.cni.mtu`, `ips[0].address`; "the input" for the root.
func describe(_ path: [any CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text.isEmpty ? "the input" : text
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
