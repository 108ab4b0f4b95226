internal import CNetlink

/// `==`, `!=`, `>` or `<` (the last two compare big-endian integers, as the kernel's memcmp does).
public enum NftComparison: Hashable, Sendable {
    case equal, notEqual, greaterThan, lessThan

    var op: UInt32 {
        switch self {
        case .equal: NFT_CMP_EQ.rawValue
        case .notEqual: NFT_CMP_NEQ.rawValue
        case .greaterThan: NFT_CMP_GT.rawValue
        case .lessThan: NFT_CMP_LT.rawValue
        }
    }

    var symbol: String {
        switch self {
        case .equal: ""
        case .notEqual: "!= "
        case .greaterThan: "> "
        case .lessThan: "< "
        }
    }

    var orders: Bool { self == .greaterThan || self == .lessThan }
}

/// One condition of a rule: a field compared with a value (`ether saddr 02:00:00:00:00:01`).
public struct NftMatch: Hashable, Sendable, CustomStringConvertible {
    public var field: NftField
    public var comparison: NftComparison
    public var value: NftValue

    public init(_ field: NftField, _ comparison: NftComparison = .equal, _ value: NftValue) {
        self.field = field
        self.comparison = comparison
        self.value = value
    }

    /// `iifname "name"` (a trailing `*` matches a prefix).
    public static func iifname(_ name: String, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.iifname, comparison, .ifname(name))
    }
    /// `oifname "name"`.
    public static func oifname(_ name: String, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.oifname, comparison, .ifname(name))
    }
    /// `ether saddr MAC`.
    public static func etherSource(_ mac: MACAddress, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.etherSource, comparison, .ether(mac))
    }
    /// `ether type TYPE` (0x0806 ARP, ...), read from the frame header.
    public static func etherType(_ type: UInt16, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.etherType, comparison, .etherType(type))
    }
    /// `meta protocol TYPE`.
    public static func metaProtocol(_ type: UInt16, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.metaProtocol, comparison, .etherType(type))
    }
    /// `arp saddr ether MAC`: ARP packets whose sender hardware address is (not) `mac`.
    public static func arpSenderHardware(_ mac: MACAddress, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.arpSenderHardware, comparison, .ether(mac))
    }
    /// `arp saddr ip ADDRESS` (4 bytes, network order).
    public static func arpSenderIPv4(_ address: [UInt8], _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.arpSenderIPv4, comparison, .ipv4(address))
    }
    /// `ip saddr ADDRESS` (4 bytes, network order).
    public static func ipv4Source(_ address: [UInt8], _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ipv4Source, comparison, .ipv4(address))
    }
    /// `ip6 saddr ADDRESS` (16 bytes, network order).
    public static func ipv6Source(_ address: [UInt8], _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ipv6Source, comparison, .ipv6(address))
    }
    /// `meta l4proto PROTOCOL` (58 ICMPv6, 6 TCP, 17 UDP).
    public static func metaL4proto(_ protocolNumber: UInt8, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.metaL4proto, comparison, .byte(protocolNumber))
    }
    /// `ip6 length > BYTES`: the IPv6 payload is longer than `bytes`.
    public static func ipv6PayloadLength(greaterThan bytes: UInt16) -> NftMatch {
        NftMatch(.ipv6PayloadLength, .greaterThan, .uint16(bytes))
    }
    /// `icmpv6 type TYPE` (133 RS, 134 RA, 135 NS, 136 NA, 137 redirect).
    public static func icmpv6Type(_ type: UInt8, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.icmpv6Type, comparison, .byte(type))
    }
    /// `icmpv6 type > LOWER-1 icmpv6 type < UPPER+1`: the type is in `types`.
    public static func icmpv6Type(in types: ClosedRange<UInt8>) -> [NftMatch] {
        [icmpv6Type(types.lowerBound - 1, .greaterThan), icmpv6Type(types.upperBound + 1, .lessThan)]
    }
    /// `ip6 nexthdr PROTOCOL`: the header right after the IPv6 header.
    public static func ipv6NextHeader(_ protocolNumber: UInt8, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ipv6NextHeader, comparison, .byte(protocolNumber))
    }
    /// `exthdr frag exists`: the packet is an IPv6 fragment (first or later).
    public static let ipv6Fragment = NftMatch(.ipv6FragmentHeader, .equal, .present(true))
    /// The IPv6 source's interface identifier has (or, `.notEqual`, lacks) the `ff:fe` of a MAC-derived one.
    public static func sourceIsMACDerived(_ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ipv6SourceIDMiddle, comparison, .uint16(0xfffe))
    }
    /// The NS/NA target's interface identifier has (or, `.notEqual`, lacks) the `ff:fe` of a MAC-derived one.
    public static func ndTargetIsMACDerived(_ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ndTargetIDMiddle, comparison, .uint16(0xfffe))
    }
    /// `FIELD @set`: the field's value is an element of the named set (of the field's type).
    public static func lookup(_ field: NftField, inSet set: String) -> NftMatch {
        NftMatch(field, .equal, .set(set))
    }
    /// `icmpv6 taddr ADDRESS` (16 bytes): the target of an NS or NA.
    public static func ndTarget(_ address: [UInt8], _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ndTarget, comparison, .ipv6(address))
    }
    /// `icmpv6 taddr NETWORK/PREFIX`.
    public static func ndTarget(in network: IPNetwork, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ndTarget, comparison, .network(network))
    }
    /// The first option of an NS/NA is of `type` (1 source, 2 target link-layer address).
    public static func ndFirstOption(type: UInt8) -> NftMatch {
        NftMatch(.ndFirstOptionType, .equal, .byte(type))
    }
    /// The Ethernet address of the first (link-layer address) option of an NS/NA is (not) `mac`.
    public static func ndFirstOptionLinkLayer(_ mac: MACAddress, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ndFirstOptionLinkLayer, comparison, .ether(mac))
    }
    /// `ip saddr NETWORK/PREFIX` or `ip6 saddr NETWORK/PREFIX`, by the network's family (host bits ignored).
    public static func source(in network: IPNetwork, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(network.family == .v4 ? .ipv4Source : .ipv6Source, comparison, .network(network))
    }
    /// `ip daddr NETWORK/PREFIX` or `ip6 daddr NETWORK/PREFIX`, by the network's family (host bits ignored).
    public static func destination(in network: IPNetwork, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(network.family == .v4 ? .ipv4Destination : .ipv6Destination, comparison, .network(network))
    }

    /// The match as a table of the bridge family encodes it (protocol checks by `meta protocol`).
    var expressions: [NftExpr] { expressions(in: .bridge) }

    /// Load, then compare; a prefix pattern compares only the bytes before the `*`. A network compares
    /// the way `nft` encodes `ip daddr 10.0.0.0/8`: a byte-aligned prefix loads only its bytes
    /// (`payload load 1b`, `cmp eq 0x0a`), any other masks the whole field first (`bitwise & 0xf0000000`).
    func expressions(in family: NftFamily) -> [NftExpr] {
        var checked = Set<NftMatch>()
        return expressions(in: family, checked: &checked)
    }

    /// As `expressions(in:)`, leaving out the protocol checks already in `checked` (an earlier match of
    /// the same rule made them), as `nft` does.
    func expressions(in family: NftFamily, checked: inout Set<NftMatch>) -> [NftExpr] {
        let op = comparison.op
        var dependency: [NftExpr] = []
        for check in field.dependencies(in: family) where checked.insert(check).inserted {
            dependency += check.expressions(in: family)
        }
        checked.insert(self)
        if case .set(let name) = value { return dependency + [field.load, .lookup(set: name, verdictMap: false)] }
        let data = (try? value.bytes().get()) ?? []
        guard case .network(let network) = value, case .payload(let base, let offset, let length) = field.load,
              network.prefixLength < data.count * 8 else {
            return dependency + [field.load, .cmp(op: op, data: data)]
        }
        let prefix = network.prefixLength
        if prefix == 0 { return dependency }  // every address of the family (`!=` is refused by validate)
        if prefix % 8 == 0 {
            return dependency + [.payload(base: base, offset: offset, length: UInt32(prefix / 8)),
                                 .cmp(op: op, data: Array(data.prefix(prefix / 8)))]
        }
        let mask = NftValue.mask(prefix: prefix, length: Int(length))
        return dependency + [field.load, .bitwise(mask: mask, xor: [UInt8](repeating: 0, count: mask.count)),
                             .cmp(op: op, data: data)]
    }

    /// Why the match cannot be encoded, or nil.
    func validate() -> NftInvalid? {
        if case .set(let name) = value {
            return comparison == .equal ? NftInvalid(name: name, kind: "set") : NftInvalid("\(field) \(comparison.symbol)@\(name): a set lookup only tests membership")
        }
        if case .failure(let invalid) = value.bytes() { return invalid }
        if comparison.orders, let invalid = validateOrder() { return invalid }
        guard case .network(let network) = value else { return nil }
        guard field.addressLength == network.address.bytes.count else {
            return NftInvalid("\(field) cannot be compared with the network \(network.network)")
        }
        if network.prefixLength == 0 && comparison == .notEqual {
            return NftInvalid("\(field) != \(network.network) never holds")
        }
        return nil
    }

    /// `>` and `<` compare integers only.
    private func validateOrder() -> NftInvalid? {
        switch value {
        case .byte, .uint16, .etherType: nil
        default: NftInvalid("\(field) \(comparison.symbol)\(value): only integers can be ordered")
        }
    }

    public var description: String { "\(field) \(comparison.symbol)\(value)" }
}

/// What a rule does after its matches hold.
public enum NftStatement: Hashable, Sendable, CustomStringConvertible {
    case verdict(NftVerdict)
    /// `FIELD vmap @map`: look the field up in a verdict map and apply the element's verdict;
    /// no element, no verdict (the next rule runs).
    case verdictMap(NftField, map: String)
    /// `masquerade`: source NAT to the address of the interface the packet leaves on (nftnl "masq").
    /// Only in chains reached from a `nat` base chain at postrouting (or output); ends evaluation.
    case masquerade

    public var description: String {
        switch self {
        case .verdict(let verdict): verdict.description
        case .verdictMap(let field, let map): "\(field) vmap @\(map)"
        case .masquerade: "masquerade"
        }
    }
}

/// A rule: every match must hold, then the optional counter counts and the statement runs.
public struct NftRule: Hashable, Sendable, CustomStringConvertible {
    public var matches: [NftMatch]
    public var counter: Bool
    public var statement: NftStatement?
    /// Shown by `nft list` as `comment "..."` (at most 128 bytes, as nft allows).
    public var comment: String?

    /// `MATCHES [counter] [STATEMENT] [comment "..."]`.
    public init(_ matches: [NftMatch] = [], counter: Bool = false, statement: NftStatement?, comment: String? = nil) {
        self.matches = matches
        self.counter = counter
        self.statement = statement
        self.comment = comment
    }

    /// `MATCHES [counter] VERDICT [comment "..."]`.
    public init(_ matches: [NftMatch] = [], counter: Bool = false, verdict: NftVerdict, comment: String? = nil) {
        self.init(matches, counter: counter, statement: .verdict(verdict), comment: comment)
    }

    /// `[MATCHES] FIELD vmap @map`: the element for the packet's field decides.
    public static func verdictMap(_ field: NftField, map: String, after matches: [NftMatch] = [],
                                  comment: String? = nil) -> NftRule {
        NftRule(matches, statement: .verdictMap(field, map: map), comment: comment)
    }

    /// The expressions the kernel runs, in order, in a table of the bridge family.
    var expressions: [NftExpr] { expressions(in: .bridge) }

    /// The expressions the kernel runs, in order, in a table of `family`.
    func expressions(in family: NftFamily) -> [NftExpr] {
        var checked = Set<NftMatch>()
        var result = matches.flatMap { $0.expressions(in: family, checked: &checked) }
        if counter { result.append(.counter) }
        switch statement {
        case .verdict(let verdict): result.append(.immediate(verdict))
        case .verdictMap(let field, let map): result += field.loadExpressions(in: family) + [.lookup(set: map, verdictMap: true)]
        case .masquerade: result.append(.masquerade)
        case nil: break
        }
        return result
    }

    /// The first value that cannot be encoded, if any.
    func validate() -> NftInvalid? {
        for match in matches {
            if let invalid = match.validate() { return invalid }
        }
        if let comment, let invalid = NftUserdata.validateComment(comment) { return invalid }
        return nil
    }

    public var description: String {
        (matches.map(\.description) + (counter ? ["counter"] : []) + [statement?.description].compactMap { $0 }
            + [comment.map { "comment \"\($0)\"" }].compactMap { $0 }).joined(separator: " ")
    }
}

/// One kernel expression, always working on register 1 (16 bytes) or the verdict register.
enum NftExpr: Hashable, Sendable {
    case meta(key: UInt32)
    case payload(base: UInt32, offset: UInt32, length: UInt32)
    case cmp(op: UInt32, data: [UInt8])
    case lookup(set: String, verdictMap: Bool)
    case immediate(NftVerdict)
    case counter
    /// `reg 1 = (reg 1 & mask) ^ xor`, over `mask.count` bytes.
    case bitwise(mask: [UInt8], xor: [UInt8])
    /// `exthdr load ipv6 1b @ TYPE + 0 present`: register 1 = 1 when the IPv6 packet has an extension
    /// header of `type` (found wherever it is in the header chain), else 0.
    case exthdrPresent(type: UInt8)
    /// nftnl "masq", without flags or port registers.
    case masquerade
}
