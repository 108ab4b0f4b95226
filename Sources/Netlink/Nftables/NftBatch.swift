/// nftables changes collected in order and committed by `NftSocket.commit(_:)` as ONE kernel
/// transaction: either every operation applies or none does. Building a batch touches nothing.
///
/// Adds are idempotent unless `exclusive` (NLM_F_CREATE without NLM_F_EXCL): adding a table, chain or set
/// that exists with the same properties succeeds, and so does adding an element that exists with the same
/// verdict. Rules are always appended; to own a chain's rules, add the chain, flush it and add the rules
/// in one batch. Deletes with `ifExists` succeed on missing objects.
public struct NftBatch: Sendable, CustomStringConvertible {
    var operations: [Operation] = []

    public init() {}

    /// How many operations the batch holds.
    public var count: Int { operations.count }
    public var isEmpty: Bool { operations.isEmpty }

    /// Adds (or, unless `exclusive`, keeps) a table.
    public mutating func addTable(_ table: NftTable, comment: String? = nil, exclusive: Bool = false) {
        operations.append(.addTable(table, comment: comment, exclusive: exclusive))
    }

    /// Deletes a table with everything in it.
    public mutating func deleteTable(_ table: NftTable, ifExists: Bool = false) {
        operations.append(.deleteTable(table, ifExists: ifExists))
    }

    /// Adds a chain: a base chain when `base` is given, a regular chain (a jump target) otherwise.
    public mutating func addChain(_ name: String, in table: NftTable, base: NftBaseChain? = nil,
                                  comment: String? = nil, exclusive: Bool = false) {
        operations.append(.addChain(name, table, base: base, comment: comment, exclusive: exclusive))
    }

    /// Deletes a chain and its rules. The kernel refuses (EBUSY) while a rule or a map element still
    /// jumps to it: delete those first, in the same batch.
    public mutating func deleteChain(_ name: String, in table: NftTable, ifExists: Bool = false) {
        operations.append(.deleteChain(name, table, ifExists: ifExists))
    }

    /// Deletes every rule of a chain; the chain stays.
    public mutating func flushChain(_ name: String, in table: NftTable) {
        operations.append(.flushChain(name, table))
    }

    /// Adds (or, unless `exclusive`, keeps) a set or verdict map.
    public mutating func addSet(_ set: NftSet, in table: NftTable, exclusive: Bool = false) {
        operations.append(.addSet(set, table, exclusive: exclusive))
    }

    /// Deletes a set or map with its elements.
    public mutating func deleteSet(_ name: String, in table: NftTable, ifExists: Bool = false) {
        operations.append(.deleteSet(name, table, ifExists: ifExists))
    }

    /// Adds elements to a set or map.
    public mutating func addElements(_ elements: [NftElement], toSet set: String, in table: NftTable,
                                     exclusive: Bool = false) {
        operations.append(.addElements(elements, set: set, table, exclusive: exclusive))
    }

    /// Deletes every element of a set or map; the set stays.
    public mutating func flushSet(_ name: String, in table: NftTable) {
        operations.append(.flushSet(name, table))
    }

    /// Deletes the elements with these keys from a set or map.
    public mutating func deleteElements(_ keys: [NftValue], fromSet set: String, in table: NftTable,
                                        ifExists: Bool = false) {
        operations.append(.deleteElements(keys, set: set, table, ifExists: ifExists))
    }

    /// Appends a rule to a chain.
    public mutating func addRule(_ rule: NftRule, toChain chain: String, in table: NftTable) {
        operations.append(.addRule(rule, chain: chain, table))
    }

    /// One line per operation, the way errors name them.
    public var description: String {
        operations.map { "\($0.operation) \($0.object)" }.joined(separator: "\n")
    }

    enum Operation: Sendable {
        case addTable(NftTable, comment: String?, exclusive: Bool)
        case deleteTable(NftTable, ifExists: Bool)
        case addChain(String, NftTable, base: NftBaseChain?, comment: String?, exclusive: Bool)
        case deleteChain(String, NftTable, ifExists: Bool)
        case flushChain(String, NftTable)
        case addSet(NftSet, NftTable, exclusive: Bool)
        case deleteSet(String, NftTable, ifExists: Bool)
        case addElements([NftElement], set: String, NftTable, exclusive: Bool)
        case deleteElements([NftValue], set: String, NftTable, ifExists: Bool)
        case flushSet(String, NftTable)
        case addRule(NftRule, chain: String, NftTable)

        /// What was attempted, for `NetlinkError.operation`: "add chain", "delete element", ...
        var operation: String {
            switch self {
            case .addTable: "add table"
            case .deleteTable(_, let ifExists): ifExists ? "destroy table" : "delete table"
            case .addChain(_, _, let base, _, _): base == nil ? "add chain" : "add base chain"
            case .deleteChain(_, _, let ifExists): ifExists ? "destroy chain" : "delete chain"
            case .flushChain: "flush chain"
            case .addSet(let set, _, _): set.isVerdictMap ? "add map" : "add set"
            case .deleteSet(_, _, let ifExists): ifExists ? "destroy set" : "delete set"
            case .addElements(let elements, _, _, _): elements.count == 1 ? "add element" : "add elements"
            case .deleteElements(let keys, _, _, let ifExists):
                (ifExists ? "destroy " : "delete ") + (keys.count == 1 ? "element" : "elements")
            case .flushSet: "flush set"
            case .addRule: "add rule"
            }
        }

        /// The object, for `NetlinkError.object`: "cni-spoof-abc in table bridge swiftcni".
        var object: String {
            switch self {
            case .addTable(let table, _, _), .deleteTable(let table, _):
                "\(table.family) \(table.name)"
            case .addChain(let name, let table, let base, _, _):
                "\(name) in \(table)" + (base.map { " { \($0) }" } ?? "")
            case .deleteChain(let name, let table, _), .flushChain(let name, let table), .deleteSet(let name, let table, _),
                 .flushSet(let name, let table):
                "\(name) in \(table)"
            case .addSet(let set, let table, _):
                "\(set.name) in \(table)"
            case .addElements(let elements, let set, let table, _):
                "{ \(elements.map(\.description).joined(separator: ", ")) } in set \(set) in \(table)"
            case .deleteElements(let keys, let set, let table, _):
                "{ \(keys.map(\.description).joined(separator: ", ")) } in set \(set) in \(table)"
            case .addRule(let rule, let chain, let table):
                "`\(rule)` to chain \(chain) in \(table)"
            }
        }

        var table: NftTable {
            switch self {
            case .addTable(let table, _, _), .deleteTable(let table, _), .addChain(_, let table, _, _, _),
                 .deleteChain(_, let table, _), .flushChain(_, let table), .addSet(_, let table, _),
                 .deleteSet(_, let table, _), .addElements(_, _, let table, _), .deleteElements(_, _, let table, _),
                 .flushSet(_, let table), .addRule(_, _, let table):
                table
            }
        }

        /// A delete that may meet a missing object.
        var ignoresMissing: Bool {
            switch self {
            case .deleteTable(_, let ifExists), .deleteChain(_, _, let ifExists), .deleteSet(_, _, let ifExists),
                 .deleteElements(_, _, _, let ifExists):
                ifExists
            default: false
            }
        }
    }
}
