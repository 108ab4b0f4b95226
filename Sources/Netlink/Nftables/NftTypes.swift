/// The nftables address family a table belongs to (the kernel's NFPROTO_* value).
public enum NftFamily: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case inet = 1
    case ip = 2
    case arp = 3
    case netdev = 5
    case bridge = 7
    case ip6 = 10

    /// The name `nft` uses: `bridge`, `inet`, `ip`, `ip6`, ...
    public var description: String {
        switch self {
        case .inet: "inet"
        case .ip: "ip"
        case .arp: "arp"
        case .netdev: "netdev"
        case .bridge: "bridge"
        case .ip6: "ip6"
        }
    }
}

/// A table, named within its family: `table bridge swiftcni`.
public struct NftTable: Hashable, Sendable, CustomStringConvertible {
    public var family: NftFamily
    public var name: String

    public init(_ family: NftFamily, _ name: String) {
        self.family = family
        self.name = name
    }

    /// `table bridge swiftcni`, the way errors and `nft` name it.
    public var description: String { "table \(family) \(name)" }
}

/// Where a base chain hooks into the stack. The numbers are the same for the bridge (NF_BR_*)
/// and the ip/ip6/inet (NF_INET_*) families.
public enum NftHook: UInt32, Hashable, Sendable, CustomStringConvertible {
    case prerouting = 0
    case input = 1
    case forward = 2
    case output = 3
    case postrouting = 4

    public var description: String {
        switch self {
        case .prerouting: "prerouting"
        case .input: "input"
        case .forward: "forward"
        case .output: "output"
        case .postrouting: "postrouting"
        }
    }
}

/// What a base chain does with a packet no rule decided on.
public enum NftPolicy: Hashable, Sendable, CustomStringConvertible {
    case accept, drop

    /// NF_ACCEPT / NF_DROP.
    var code: UInt32 { self == .accept ? 1 : 0 }
    public var description: String { self == .accept ? "accept" : "drop" }
}

/// The chain type of a base chain.
public enum NftChainType: String, Hashable, Sendable {
    case filter, nat, route
}

/// What makes a chain a base chain: its hook, priority, type and policy. Regular chains have none
/// and run only when a rule or a verdict map jumps to them.
public struct NftBaseChain: Hashable, Sendable, CustomStringConvertible {
    public var hook: NftHook
    /// Lower runs first. In the bridge family: -300 `dstnat`, -200 `filter`, 300 `srcnat`.
    public var priority: Int32
    public var type: NftChainType
    public var policy: NftPolicy

    public init(hook: NftHook, priority: Int32, type: NftChainType = .filter, policy: NftPolicy = .accept) {
        self.hook = hook
        self.priority = priority
        self.type = type
        self.policy = policy
    }

    public var description: String {
        "type \(type.rawValue) hook \(hook) priority \(priority); policy \(policy);"
    }
}

/// How a rule or a verdict map ends evaluation.
public enum NftVerdict: Hashable, Sendable, CustomStringConvertible {
    case accept
    case drop
    /// Go on with the next rule (the default when a rule has no verdict).
    case `continue`
    /// Back to the chain that jumped here; in a base chain, the policy applies.
    case `return`
    /// Run the named chain, then come back.
    case jump(String)
    /// Run the named chain and do not come back.
    case goto(String)

    /// The kernel's verdict code (NF_ACCEPT, NF_DROP, NFT_CONTINUE, NFT_RETURN, NFT_JUMP, NFT_GOTO).
    var code: Int32 {
        switch self {
        case .accept: 1
        case .drop: 0
        case .continue: -1
        case .return: -5
        case .jump: -3
        case .goto: -4
        }
    }

    /// The chain a jump or goto names.
    var chain: String? {
        switch self {
        case .jump(let chain), .goto(let chain): chain
        default: nil
        }
    }

    init?(code: Int32, chain: String?) {
        switch code {
        case 1: self = .accept
        case 0: self = .drop
        case -1: self = .continue
        case -5: self = .return
        case -3: guard let chain else { return nil }; self = .jump(chain)
        case -4: guard let chain else { return nil }; self = .goto(chain)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case .jump(let chain): "jump \(chain)"
        case .goto(let chain): "goto \(chain)"
        }
    }
}
