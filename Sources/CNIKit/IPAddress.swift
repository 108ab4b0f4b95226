/// An IPv4 or IPv6 address, parsed in pure Swift (dotted quad; RFC 4291 text with `::`
/// and an optional trailing dotted quad). Zone suffixes (`%eth0`) are not accepted.
public struct IPAddress: Equatable, Hashable, Sendable {
    /// The address family.
    public enum Family: Sendable { case v4, v6 }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    public var family: Family { bytes.count == 4 ? .v4 : .v6 }

    /// Parses text; nil when it is not an address.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let bytes = Self.parseV6(Substring(text)) else { return nil }
            self.bytes = bytes
        } else {
            guard let bytes = Self.parseV4(Substring(text)) else { return nil }
            self.bytes = bytes
        }
    }

    static func parseV4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part.count == 1 || part.first != "0", let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    static func parseV6(_ text: Substring) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        guard let head = parseGroups(halves[0], allowV4Tail: halves.count == 1) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = parseGroups(halves[1], allowV4Tail: true), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Colon-separated hex groups (and possibly a final dotted quad) as bytes.
    private static func parseGroups(_ text: Substring, allowV4Tail: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, group) in groups.enumerated() {
            if index == groups.count - 1, allowV4Tail, group.contains(".") {
                guard let quad = parseV4(group) else { return nil }
                bytes += quad
            } else {
                guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit), group.allSatisfy(\.isASCII),
                      let value = UInt16(group, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
        }
        return bytes
    }
}

extension Substring {
    fileprivate func components(separatedBy separator: String) -> [Substring] {
        var parts: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            parts.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        parts.append(rest)
        return parts
    }
}

/// An address with a prefix length, as in `10.1.0.5/16` or `fd00::5/64`.
public struct CIDR: Equatable, Hashable, Sendable {
    public let address: IPAddress
    public let prefixLength: Int

    /// Parses `address/prefix`; nil unless the prefix fits the family (0-32 or 0-128).
    public init?(_ text: String) {
        guard let slash = text.lastIndex(of: "/"),
              let address = IPAddress(String(text[..<slash])) else { return nil }
        let prefix = text[text.index(after: slash)...]
        guard (1...3).contains(prefix.count), prefix.allSatisfy({ $0.isASCII && $0.isNumber }),
              let length = Int(prefix), length <= address.bytes.count * 8 else { return nil }
        self.address = address
        self.prefixLength = length
    }

    public var family: IPAddress.Family { address.family }
}
