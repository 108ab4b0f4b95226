internal import CNetlink

/// The nf_tables message types newer than the kernel headers this builds against (Linux 6.3 added
/// the DESTROY* commands: delete, and succeed when the object is missing).
enum NftMessageType {
    static let destroyTable: UInt32 = 26
    static let destroyChain: UInt32 = 27
    static let destroySet: UInt32 = 29
    static let destroySetElement: UInt32 = 30
}

/// The netlink messages of one transaction, built with libnftnl into an nftnl_batch it owns:
/// NFNL_MSG_BATCH_BEGIN, one message per operation (each with NLM_F_ACK), NFNL_MSG_BATCH_END.
struct NftMessageBuilder: ~Copyable {
    private let batch: OpaquePointer
    /// Sets created earlier in this batch, by "family table set": the kernel finds them by this id too.
    private var newSetIDs: [String: UInt32] = [:]
    /// Bytes of all messages so far.
    var length: Int { Int(nftnl_batch_buffer_len(batch)) }

    init() {
        // Pages of 64 KiB; one message may overrun a page by up to 64 KiB (libnftnl then starts a new page).
        batch = nftnl_batch_alloc(65536, 65536)!
    }

    deinit { nftnl_batch_free(batch) }

    private var cursor: UnsafeMutablePointer<CChar> {
        nftnl_batch_buffer(batch).assumingMemoryBound(to: CChar.self)
    }

    mutating func begin(seq: UInt32) {
        nftnl_batch_begin(cursor, seq)
        nftnl_batch_update(batch)
    }

    mutating func end(seq: UInt32) {
        nftnl_batch_end(cursor, seq)
        nftnl_batch_update(batch)
    }

    /// Hands the pages to `body` as an iovec array (for sendmsg).
    func withIOVecs<R, E: Error>(_ body: (UnsafeMutablePointer<iovec>, Int) throws(E) -> R) throws(E) -> R {
        let count = Int(nftnl_batch_iovec_len(batch))
        let iov = UnsafeMutablePointer<iovec>.allocate(capacity: count)
        defer { iov.deallocate() }
        nftnl_batch_iovec(batch, iov, UInt32(count))
        return try body(iov, count)
    }

    /// Appends the message of one operation. `destroy` picks NFT_MSG_DESTROY* for deletes that ignore
    /// missing objects; without it they are plain deletes (older kernels).
    mutating func append(_ operation: NftBatch.Operation, seq: UInt32, destroy: Bool) throws(NftInvalid) {
        let ack = NLM_F_ACK
        switch operation {
        case .addTable(let table, let comment, let exclusive):
            try checkName(table.name, "table")
            let object = nftnl_table_alloc()!
            defer { nftnl_table_free(object) }
            nftnl_table_set_str(object, UInt16(NFTNL_TABLE_NAME.rawValue), table.name)
            if let data = try commentData(comment) {
                data.withUnsafeBytes { _ = nftnl_table_set_data(object, UInt16(NFTNL_TABLE_USERDATA.rawValue), $0.baseAddress, UInt32($0.count)) }
            }
            let flags = NLM_F_CREATE | ack | (exclusive ? NLM_F_EXCL : 0)
            nftnl_table_nlmsg_build_payload(header(NFT_MSG_NEWTABLE.rawValue, table, flags, seq), object)

        case .deleteTable(let table, let ifExists):
            try checkName(table.name, "table")
            let object = nftnl_table_alloc()!
            defer { nftnl_table_free(object) }
            nftnl_table_set_str(object, UInt16(NFTNL_TABLE_NAME.rawValue), table.name)
            let type = ifExists && destroy ? NftMessageType.destroyTable : NFT_MSG_DELTABLE.rawValue
            nftnl_table_nlmsg_build_payload(header(type, table, ack, seq), object)

        case .addChain(let name, let table, let base, let comment, let exclusive):
            let object = try chain(name, table)
            defer { nftnl_chain_free(object) }
            if let base {
                nftnl_chain_set_u32(object, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue), base.hook.rawValue)
                nftnl_chain_set_s32(object, UInt16(NFTNL_CHAIN_PRIO.rawValue), base.priority)
                nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TYPE.rawValue), base.type.rawValue)
                nftnl_chain_set_u32(object, UInt16(NFTNL_CHAIN_POLICY.rawValue), base.policy.code)
            }
            if let data = try commentData(comment) {
                data.withUnsafeBytes { _ = nftnl_chain_set_data(object, UInt16(NFTNL_CHAIN_USERDATA.rawValue), $0.baseAddress, UInt32($0.count)) }
            }
            let flags = NLM_F_CREATE | ack | (exclusive ? NLM_F_EXCL : 0)
            nftnl_chain_nlmsg_build_payload(header(NFT_MSG_NEWCHAIN.rawValue, table, flags, seq), object)

        case .deleteChain(let name, let table, let ifExists):
            let object = try chain(name, table)
            defer { nftnl_chain_free(object) }
            let type = ifExists && destroy ? NftMessageType.destroyChain : NFT_MSG_DELCHAIN.rawValue
            nftnl_chain_nlmsg_build_payload(header(type, table, ack, seq), object)

        case .flushChain(let name, let table):
            try checkName(name, "chain")
            let object = try rule(chain: name, table)
            defer { nftnl_rule_free(object) }
            nftnl_rule_nlmsg_build_payload(header(NFT_MSG_DELRULE.rawValue, table, ack, seq), object)

        case .addSet(let set, let table, let exclusive):
            let object = try self.set(set.name, table)
            defer { nftnl_set_free(object) }
            if let comment = set.comment, let invalid = NftUserdata.validateComment(comment) { throw invalid }
            let id = UInt32(newSetIDs.count + 1)
            newSetIDs[setKey(set.name, table)] = id
            nftnl_set_set_u32(object, UInt16(NFTNL_SET_ID.rawValue), id)
            nftnl_set_set_u32(object, UInt16(NFTNL_SET_KEY_TYPE.rawValue), set.keyType.nftTypeID)
            nftnl_set_set_u32(object, UInt16(NFTNL_SET_KEY_LEN.rawValue), set.keyType.length)
            if set.isVerdictMap {
                nftnl_set_set_u32(object, UInt16(NFTNL_SET_FLAGS.rawValue), NFT_SET_MAP.rawValue)
                nftnl_set_set_u32(object, UInt16(NFTNL_SET_DATA_TYPE.rawValue), NFT_DATA_VERDICT.rawValue)
                nftnl_set_set_u32(object, UInt16(NFTNL_SET_DATA_LEN.rawValue), 0)
            } else {
                nftnl_set_set_u32(object, UInt16(NFTNL_SET_FLAGS.rawValue), 0)
            }
            NftUserdata.set(keyByteOrder: set.keyType.byteOrder, comment: set.comment).withUnsafeBytes {
                _ = nftnl_set_set_data(object, UInt16(NFTNL_SET_USERDATA.rawValue), $0.baseAddress, UInt32($0.count))
            }
            let flags = NLM_F_CREATE | ack | (exclusive ? NLM_F_EXCL : 0)
            nftnl_set_nlmsg_build_payload(header(NFT_MSG_NEWSET.rawValue, table, flags, seq), object)

        case .deleteSet(let name, let table, let ifExists):
            let object = try set(name, table)
            defer { nftnl_set_free(object) }
            let type = ifExists && destroy ? NftMessageType.destroySet : NFT_MSG_DELSET.rawValue
            nftnl_set_nlmsg_build_payload(header(type, table, ack, seq), object)

        case .addElements(let elements, let name, let table, let exclusive):
            let object = try set(name, table)
            defer { nftnl_set_free(object) }
            for element in elements {
                let item = try setElement(element.key)
                nftnl_set_elem_add(object, item)
                if let verdict = element.verdict {
                    nftnl_set_elem_set_u32(item, UInt16(NFTNL_SET_ELEM_VERDICT), UInt32(bitPattern: verdict.code))
                    if let chain = verdict.chain {
                        try checkName(chain, "chain")
                        nftnl_set_elem_set_str(item, UInt16(NFTNL_SET_ELEM_CHAIN), chain)
                    }
                }
                if let data = try commentData(element.comment) {
                    data.withUnsafeBytes { _ = nftnl_set_elem_set(item, UInt16(NFTNL_SET_ELEM_USERDATA), $0.baseAddress, UInt32($0.count)) }
                }
            }
            let flags = NLM_F_CREATE | ack | (exclusive ? NLM_F_EXCL : 0)
            nftnl_set_elems_nlmsg_build_payload(header(NFT_MSG_NEWSETELEM.rawValue, table, flags, seq), object)

        case .flushSet(let name, let table):
            let object = try set(name, table)
            defer { nftnl_set_free(object) }
            // DELSETELEM without an element list: the kernel empties the set.
            nftnl_set_elems_nlmsg_build_payload(header(NFT_MSG_DELSETELEM.rawValue, table, ack, seq), object)

        case .deleteElements(let keys, let name, let table, let ifExists):
            let object = try set(name, table)
            defer { nftnl_set_free(object) }
            for key in keys { nftnl_set_elem_add(object, try setElement(key)) }
            let type = ifExists && destroy ? NftMessageType.destroySetElement : NFT_MSG_DELSETELEM.rawValue
            nftnl_set_elems_nlmsg_build_payload(header(type, table, ack, seq), object)

        case .addRule(let rule, let chain, let table):
            if let invalid = rule.validate() { throw invalid }
            let object = try self.rule(chain: chain, table)
            defer { nftnl_rule_free(object) }
            for expression in rule.expressions(in: table.family) {
                nftnl_rule_add_expr(object, try self.expression(expression, table))
            }
            if let data = try commentData(rule.comment) {
                data.withUnsafeBytes { _ = nftnl_rule_set_data(object, UInt16(NFTNL_RULE_USERDATA.rawValue), $0.baseAddress, UInt32($0.count)) }
            }
            let flags = NLM_F_CREATE | NLM_F_APPEND | ack
            nftnl_rule_nlmsg_build_payload(header(NFT_MSG_NEWRULE.rawValue, table, flags, seq), object)
        }
        nftnl_batch_update(batch)
    }

    // MARK: - Pieces

    /// The nfnetlink header of the next message; libnftnl adds the nf_tables subsystem to `type`.
    private mutating func header(_ type: UInt32, _ table: NftTable, _ flags: Int32, _ seq: UInt32) -> UnsafeMutablePointer<nlmsghdr> {
        let nlh = nftnl_nlmsg_build_hdr(cursor, UInt16(type), UInt16(table.family.rawValue), UInt16(flags), seq)!
        return nlh
    }

    private func chain(_ name: String, _ table: NftTable) throws(NftInvalid) -> OpaquePointer {
        try checkName(table.name, "table")
        try checkName(name, "chain")
        let object = nftnl_chain_alloc()!
        nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TABLE.rawValue), table.name)
        nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_NAME.rawValue), name)
        return object
    }

    private func rule(chain: String, _ table: NftTable) throws(NftInvalid) -> OpaquePointer {
        try checkName(table.name, "table")
        try checkName(chain, "chain")
        let object = nftnl_rule_alloc()!
        nftnl_rule_set_str(object, UInt16(NFTNL_RULE_TABLE.rawValue), table.name)
        nftnl_rule_set_str(object, UInt16(NFTNL_RULE_CHAIN.rawValue), chain)
        return object
    }

    /// A set object naming `name` in `table`, with the id of a set created earlier in this batch.
    private func set(_ name: String, _ table: NftTable) throws(NftInvalid) -> OpaquePointer {
        try checkName(table.name, "table")
        try checkName(name, "set")
        let object = nftnl_set_alloc()!
        nftnl_set_set_str(object, UInt16(NFTNL_SET_TABLE.rawValue), table.name)
        nftnl_set_set_str(object, UInt16(NFTNL_SET_NAME.rawValue), name)
        if let id = newSetIDs[setKey(name, table)] { nftnl_set_set_u32(object, UInt16(NFTNL_SET_ID.rawValue), id) }
        return object
    }

    /// An element holding just `key`; the caller adds it to a set, which then owns it.
    private func setElement(_ key: NftValue) throws(NftInvalid) -> OpaquePointer {
        guard key.keyType != nil else { throw NftInvalid("\(key) cannot be a set key") }
        let bytes = try key.bytes().get()
        let item = nftnl_set_elem_alloc()!
        bytes.withUnsafeBytes { _ = nftnl_set_elem_set(item, UInt16(NFTNL_SET_ELEM_KEY), $0.baseAddress, UInt32($0.count)) }
        return item
    }

    private func setKey(_ name: String, _ table: NftTable) -> String { "\(table.family) \(table.name) \(name)" }

    /// One libnftnl expression; the rule it is added to owns it.
    private func expression(_ expression: NftExpr, _ table: NftTable) throws(NftInvalid) -> OpaquePointer {
        let reg1 = NFT_REG_1.rawValue, verdictReg = NFT_REG_VERDICT.rawValue
        switch expression {
        case .meta(let key):
            let e = nftnl_expr_alloc("meta")!
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_META_KEY), key)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_META_DREG), reg1)
            return e
        case .payload(let base, let offset, let length):
            let e = nftnl_expr_alloc("payload")!
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_PAYLOAD_DREG), reg1)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_PAYLOAD_BASE), base)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_PAYLOAD_OFFSET), offset)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_PAYLOAD_LEN), length)
            return e
        case .cmp(let op, let data):
            let e = nftnl_expr_alloc("cmp")!
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_CMP_SREG), reg1)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_CMP_OP), op)
            data.withUnsafeBytes { _ = nftnl_expr_set(e, UInt16(NFTNL_EXPR_CMP_DATA), $0.baseAddress, UInt32($0.count)) }
            return e
        case .lookup(let name, let verdictMap):
            try checkName(name, "set")
            let e = nftnl_expr_alloc("lookup")!
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_LOOKUP_SREG), reg1)
            if verdictMap { nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_LOOKUP_DREG), verdictReg) }
            nftnl_expr_set_str(e, UInt16(NFTNL_EXPR_LOOKUP_SET), name)
            if let id = newSetIDs[setKey(name, table)] { nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_LOOKUP_SET_ID), id) }
            return e
        case .immediate(let verdict):
            let e = nftnl_expr_alloc("immediate")!
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_IMM_DREG), verdictReg)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_IMM_VERDICT), UInt32(bitPattern: verdict.code))
            if let chain = verdict.chain {
                try checkName(chain, "chain")
                nftnl_expr_set_str(e, UInt16(NFTNL_EXPR_IMM_CHAIN), chain)
            }
            return e
        case .counter:
            return nftnl_expr_alloc("counter")!
        case .bitwise(let mask, let xor):
            let e = nftnl_expr_alloc("bitwise")!
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_BITWISE_SREG), reg1)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_BITWISE_DREG), reg1)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_BITWISE_LEN), UInt32(mask.count))
            mask.withUnsafeBytes { _ = nftnl_expr_set(e, UInt16(NFTNL_EXPR_BITWISE_MASK), $0.baseAddress, UInt32($0.count)) }
            xor.withUnsafeBytes { _ = nftnl_expr_set(e, UInt16(NFTNL_EXPR_BITWISE_XOR), $0.baseAddress, UInt32($0.count)) }
            return e
        case .masquerade:
            return nftnl_expr_alloc("masq")!
        case .exthdrPresent(let type):
            let e = nftnl_expr_alloc("exthdr")!
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_EXTHDR_DREG), reg1)
            nftnl_expr_set_u8(e, UInt16(NFTNL_EXPR_EXTHDR_TYPE), type)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_EXTHDR_OFFSET), 0)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_EXTHDR_LEN), 1)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_EXTHDR_FLAGS), NFT_EXTHDR_F_PRESENT.rawValue)
            nftnl_expr_set_u32(e, UInt16(NFTNL_EXPR_EXTHDR_OP), NFT_EXTHDR_OP_IPV6.rawValue)
            return e
        }
    }

    private func commentData(_ comment: String?) throws(NftInvalid) -> [UInt8]? {
        if let comment, let invalid = NftUserdata.validateComment(comment) { throw invalid }
        return NftUserdata.comment(comment)
    }

    private func checkName(_ name: String, _ kind: String) throws(NftInvalid) {
        if let invalid = NftInvalid(name: name, kind: kind) { throw invalid }
    }
}
