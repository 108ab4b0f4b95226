internal import CNetlink

/// A packet field a rule can compare or look up in a set. Fields of ARP, IPv4 and IPv6 carry the
/// protocol check `nft` adds in the bridge family (`ether type arp`, `meta protocol ip`, `meta protocol ip6`),
/// so `nft list` shows them as plain `arp saddr ether ...`, `ip saddr ...`.
public enum NftField: Hashable, Sendable, CustomStringConvertible {
    /// `iifname`: the interface the packet came in on (a bridge port in the bridge family).
    case iifname
    /// `oifname`: the interface the packet leaves on.
    case oifname
    /// `ether saddr`: link-layer header offset 6, 6 bytes.
    case etherSource
    /// `ether daddr`: link-layer header offset 0, 6 bytes.
    case etherDestination
    /// `ether type`: link-layer header offset 12, 2 bytes.
    case etherType
    /// `meta protocol`: the EtherType the stack recorded for the packet.
    case metaProtocol
    /// `arp saddr ether`: the ARP sender hardware address (network header offset 8, 6 bytes).
    case arpSenderHardware
    /// `arp saddr ip`: the ARP sender protocol address (network header offset 14, 4 bytes).
    case arpSenderIPv4
    /// `ip saddr`: network header offset 12, 4 bytes.
    case ipv4Source
    /// `ip6 saddr`: network header offset 8, 16 bytes.
    case ipv6Source

    /// The protocol check that must hold before the field means anything.
    var dependency: NftMatch? {
        switch self {
        case .arpSenderHardware, .arpSenderIPv4: NftMatch(.etherType, .equal, .arpType)
        case .ipv4Source: NftMatch(.metaProtocol, .equal, .ipv4Type)
        case .ipv6Source: NftMatch(.metaProtocol, .equal, .ipv6Type)
        default: nil
        }
    }

    /// The expression that loads the field into register 1.
    var load: NftExpr {
        let ll = NFT_PAYLOAD_LL_HEADER.rawValue, nh = NFT_PAYLOAD_NETWORK_HEADER.rawValue
        switch self {
        case .iifname: return .meta(key: NFT_META_IIFNAME.rawValue)
        case .oifname: return .meta(key: NFT_META_OIFNAME.rawValue)
        case .metaProtocol: return .meta(key: NFT_META_PROTOCOL.rawValue)
        case .etherSource: return .payload(base: ll, offset: 6, length: 6)
        case .etherDestination: return .payload(base: ll, offset: 0, length: 6)
        case .etherType: return .payload(base: ll, offset: 12, length: 2)
        case .arpSenderHardware: return .payload(base: nh, offset: 8, length: 6)
        case .arpSenderIPv4: return .payload(base: nh, offset: 14, length: 4)
        case .ipv4Source: return .payload(base: nh, offset: 12, length: 4)
        case .ipv6Source: return .payload(base: nh, offset: 8, length: 16)
        }
    }

    /// The expressions that put the field in register 1, protocol check first.
    var loadExpressions: [NftExpr] { (dependency?.expressions ?? []) + [load] }

    public var description: String {
        switch self {
        case .iifname: "iifname"
        case .oifname: "oifname"
        case .etherSource: "ether saddr"
        case .etherDestination: "ether daddr"
        case .etherType: "ether type"
        case .metaProtocol: "meta protocol"
        case .arpSenderHardware: "arp saddr ether"
        case .arpSenderIPv4: "arp saddr ip"
        case .ipv4Source: "ip saddr"
        case .ipv6Source: "ip6 saddr"
        }
    }
}

/// `==` or `!=`.
public enum NftComparison: Hashable, Sendable {
    case equal, notEqual
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

    /// Load, then compare; a prefix pattern compares only the bytes before the `*`.
    var expressions: [NftExpr] {
        let op = comparison == .equal ? NFT_CMP_EQ.rawValue : NFT_CMP_NEQ.rawValue
        let data = (try? value.bytes().get()) ?? []
        return field.loadExpressions + [.cmp(op: op, data: data)]
    }

    public var description: String { "\(field) \(comparison == .notEqual ? "!= " : "")\(value)" }
}

/// What a rule does after its matches hold.
public enum NftStatement: Hashable, Sendable, CustomStringConvertible {
    case verdict(NftVerdict)
    /// `FIELD vmap @map`: look the field up in a verdict map and apply the element's verdict;
    /// no element, no verdict (the next rule runs).
    case verdictMap(NftField, map: String)

    public var description: String {
        switch self {
        case .verdict(let verdict): verdict.description
        case .verdictMap(let field, let map): "\(field) vmap @\(map)"
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

    /// The expressions the kernel runs, in order.
    var expressions: [NftExpr] {
        var result = matches.flatMap(\.expressions)
        if counter { result.append(.counter) }
        switch statement {
        case .verdict(let verdict): result.append(.immediate(verdict))
        case .verdictMap(let field, let map): result += field.loadExpressions + [.lookup(set: map, verdictMap: true)]
        case nil: break
        }
        return result
    }

    /// The first value that cannot be encoded, if any.
    func validate() -> NftInvalid? {
        for match in matches {
            if case .failure(let invalid) = match.value.bytes() { return invalid }
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
}
