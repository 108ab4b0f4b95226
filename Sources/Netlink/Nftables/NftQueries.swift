internal import CNetlink
internal import Glibc

/// A chain as the kernel lists it.
public struct NftChainInfo: Hashable, Sendable {
    public var name: String
    /// Hook, priority, type and policy of a base chain; nil for a regular chain.
    public var base: NftBaseChain?
    public var comment: String?
}

/// Reading back what exists: one small request each, no ruleset-wide listing.
extension NftSocket {
    /// True when the table exists.
    public func tableExists(_ table: NftTable) throws(NetlinkError) -> Bool {
        let object = nftnl_table_alloc()!
        defer { nftnl_table_free(object) }
        nftnl_table_set_str(object, UInt16(NFTNL_TABLE_NAME.rawValue), table.name)
        return try exists("find table", "\(table.family) \(table.name)", NFT_MSG_GETTABLE.rawValue, table.family) {
            nftnl_table_nlmsg_build_payload($0, object)
        }
    }

    /// True when the chain exists in the table (false also when the table does not).
    public func chainExists(_ name: String, in table: NftTable) throws(NetlinkError) -> Bool {
        let object = nftnl_chain_alloc()!
        defer { nftnl_chain_free(object) }
        nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TABLE.rawValue), table.name)
        nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_NAME.rawValue), name)
        return try exists("find chain", "\(name) in \(table)", NFT_MSG_GETCHAIN.rawValue, table.family) {
            nftnl_chain_nlmsg_build_payload($0, object)
        }
    }

    /// True when the set (or map) exists in the table (false also when the table does not).
    public func setExists(_ name: String, in table: NftTable) throws(NetlinkError) -> Bool {
        let object = nftnl_set_alloc()!
        defer { nftnl_set_free(object) }
        nftnl_set_set_str(object, UInt16(NFTNL_SET_TABLE.rawValue), table.name)
        nftnl_set_set_str(object, UInt16(NFTNL_SET_NAME.rawValue), name)
        return try exists("find set", "\(name) in \(table)", NFT_MSG_GETSET.rawValue, table.family) {
            nftnl_set_nlmsg_build_payload($0, object)
        }
    }

    /// The chains of a table, in the kernel's order; empty when the table does not exist.
    public func chains(in table: NftTable) throws(NetlinkError) -> [NftChainInfo] {
        var result: [NftChainInfo] = []
        try dump("list chains", "in \(table)", NFT_MSG_GETCHAIN.rawValue, table.family, reset: { result = [] }) { header in
            let chain = nftnl_chain_alloc()!
            defer { nftnl_chain_free(chain) }
            guard nftnl_chain_nlmsg_parse(header, chain) >= 0,
                  String(cString: nftnl_chain_get_str(chain, UInt16(NFTNL_CHAIN_TABLE.rawValue))) == table.name else { return }
            result.append(NftSocket.chainInfo(chain))
        }
        return result
    }

    /// The elements of a set or verdict map, with their verdicts and comments. A missing set (or table) is
    /// an error with `isNotFound`.
    public func elements(ofSet name: String, in table: NftTable) throws(NetlinkError) -> [NftElement] {
        let keyType = try setKeyType(name, in: table)
        var result: [NftElement] = []
        var failure: NetlinkError?
        let request = nftnl_set_alloc()!
        defer { nftnl_set_free(request) }
        nftnl_set_set_str(request, UInt16(NFTNL_SET_TABLE.rawValue), table.name)
        nftnl_set_set_str(request, UInt16(NFTNL_SET_NAME.rawValue), name)
        try dump("list elements", "of set \(name) in \(table)", NFT_MSG_GETSETELEM.rawValue, table.family,
                 build: { nftnl_set_elems_nlmsg_build_payload($0, request) }, reset: { result = [] }) { header in
            let set = nftnl_set_alloc()!
            defer { nftnl_set_free(set) }
            guard nftnl_set_elems_nlmsg_parse(header, set) >= 0 else { return }
            var parsed = NftParsedElements(keyType: keyType)
            _ = withUnsafeMutablePointer(to: &parsed) { context in
                nftnl_set_elem_foreach(set, { item, context in
                    guard let item, let context else { return -1 }
                    context.assumingMemoryBound(to: NftParsedElements.self).pointee.add(item)
                    return 0
                }, context)
            }
            result += parsed.elements
            if parsed.undecodable > 0, failure == nil {
                failure = NetlinkError(operation: "list elements", object: "of set \(name) in \(table)", errno: EPROTO,
                                       reason: "\(parsed.undecodable) keys do not fit type \(keyType)")
            }
        }
        if let failure { throw failure }
        return result
    }

    // MARK: - Pieces

    /// The key type of a set, from NFT_MSG_GETSET.
    private func setKeyType(_ name: String, in table: NftTable) throws(NetlinkError) -> NftKeyType {
        let query = nftnl_set_alloc()!
        defer { nftnl_set_free(query) }
        nftnl_set_set_str(query, UInt16(NFTNL_SET_TABLE.rawValue), table.name)
        nftnl_set_set_str(query, UInt16(NFTNL_SET_NAME.rawValue), name)
        var typeID: UInt32?
        let code = try request("find set", "\(name) in \(table)", NFT_MSG_GETSET.rawValue, table.family,
                               build: { nftnl_set_nlmsg_build_payload($0, query) }) { header in
            let set = nftnl_set_alloc()!
            defer { nftnl_set_free(set) }
            if nftnl_set_nlmsg_parse(header, set) >= 0 { typeID = nftnl_set_get_u32(set, UInt16(NFTNL_SET_KEY_TYPE.rawValue)) }
        }
        guard code == 0 else { throw .posix("find set", "\(name) in \(table)", errno: code) }
        let known: [NftKeyType] = [.ifname, .etherAddress, .ipv4Address, .ipv6Address]
        guard let typeID, let keyType = known.first(where: { $0.nftTypeID == typeID }) else {
            throw NetlinkError(operation: "find set", object: "\(name) in \(table)", errno: EOPNOTSUPP,
                               reason: "key type \(typeID.map(String.init) ?? "unknown") is not one this library reads")
        }
        return keyType
    }

    private func exists(_ operation: String, _ object: String, _ type: UInt32, _ family: NftFamily,
                        build: (UnsafeMutablePointer<nlmsghdr>) -> Void) throws(NetlinkError) -> Bool {
        let code = try request(operation, object, type, family, build: build) { _ in }
        if code == 0 { return true }
        if code == ENOENT { return false }
        throw .posix(operation, object, errno: code)
    }

    /// One GET request with NLM_F_ACK; returns the errno of its ack (0 when found).
    private func request(_ operation: String, _ object: String, _ type: UInt32, _ family: NftFamily,
                         build: (UnsafeMutablePointer<nlmsghdr>) -> Void,
                         onMessage: (UnsafePointer<nlmsghdr>) -> Void) throws(NetlinkError) -> Int32 {
        let sequence = takeSequenceNumbers(1)
        try sendRequest(type, family, flags: NLM_F_ACK, sequence: sequence, what: "\(operation) \(object)", build: build)
        var replies = NftReplies()
        while replies.acks[sequence] == nil {
            _ = try receive(into: &replies, what: "\(operation) \(object)", onMessage: onMessage)
        }
        return replies.acks[sequence]!
    }

    /// A dump, restarted when a concurrent change interrupted it (NLM_F_DUMP_INTR). A missing table or set
    /// ends it with an error (ENOENT), which `dump` reports; an empty answer is no error.
    private func dump(_ operation: String, _ object: String, _ type: UInt32, _ family: NftFamily,
                      build: (UnsafeMutablePointer<nlmsghdr>) -> Void = { _ in }, reset: () -> Void,
                      onMessage: (UnsafePointer<nlmsghdr>) -> Void) throws(NetlinkError) {
        for _ in 0..<10 {
            reset()
            let sequence = takeSequenceNumbers(1)
            try sendRequest(type, family, flags: NLM_F_DUMP, sequence: sequence, what: "\(operation) \(object)", build: build)
            var replies = NftReplies()
            while !replies.done && replies.acks[sequence] == nil {
                _ = try receive(into: &replies, what: "\(operation) \(object)", onMessage: onMessage)
            }
            if let code = replies.acks[sequence], code != 0 { throw .posix(operation, object, errno: code) }
            if !replies.interrupted { return }
        }
        throw NetlinkError(operation: operation, object: object, errno: EINTR,
                           reason: "the ruleset kept changing during the listing (10 attempts)")
    }

    private func sendRequest(_ type: UInt32, _ family: NftFamily, flags: Int32, sequence: UInt32, what: String,
                             build: (UnsafeMutablePointer<nlmsghdr>) -> Void) throws(NetlinkError) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 8192)
        let header = nftnl_nlmsg_build_hdr(buffer.assumingMemoryBound(to: CChar.self), UInt16(type),
                                           UInt16(family.rawValue), UInt16(flags), sequence)!
        build(header)
        try send(buffer, length: Int(header.pointee.nlmsg_len), what: what)
    }

    private static func chainInfo(_ chain: OpaquePointer) -> NftChainInfo {
        let name = String(cString: nftnl_chain_get_str(chain, UInt16(NFTNL_CHAIN_NAME.rawValue)))
        var base: NftBaseChain?
        if nftnl_chain_is_set(chain, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue)),
           let hook = NftHook(rawValue: nftnl_chain_get_u32(chain, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue))) {
            let typeName = nftnl_chain_get_str(chain, UInt16(NFTNL_CHAIN_TYPE.rawValue)).map { String(cString: $0) }
            base = NftBaseChain(hook: hook, priority: nftnl_chain_get_s32(chain, UInt16(NFTNL_CHAIN_PRIO.rawValue)),
                                type: typeName.flatMap(NftChainType.init(rawValue:)) ?? .filter,
                                policy: nftnl_chain_get_u32(chain, UInt16(NFTNL_CHAIN_POLICY.rawValue)) == 0 ? .drop : .accept)
        }
        var length: UInt32 = 0
        var comment: String?
        if let data = nftnl_chain_get_data(chain, UInt16(NFTNL_CHAIN_USERDATA.rawValue), &length) {
            comment = NftUserdata.comment(in: Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
        }
        return NftChainInfo(name: name, base: base, comment: comment)
    }
}

/// Elements decoded from libnftnl element objects, by the set's key type.
struct NftParsedElements {
    let keyType: NftKeyType
    var elements: [NftElement] = []
    var undecodable = 0

    mutating func add(_ item: OpaquePointer) {
        var length: UInt32 = 0
        guard let raw = nftnl_set_elem_get(item, UInt16(NFTNL_SET_ELEM_KEY), &length) else { undecodable += 1; return }
        let bytes = Array(UnsafeRawBufferPointer(start: raw, count: Int(length)))
        guard let key = NftParsedElements.value(bytes, keyType) else { undecodable += 1; return }
        var element = NftElement(key)
        if nftnl_set_elem_is_set(item, UInt16(NFTNL_SET_ELEM_VERDICT)) {
            let chain = nftnl_set_elem_is_set(item, UInt16(NFTNL_SET_ELEM_CHAIN))
                ? String(cString: nftnl_set_elem_get_str(item, UInt16(NFTNL_SET_ELEM_CHAIN))) : nil
            element.verdict = NftVerdict(code: Int32(bitPattern: nftnl_set_elem_get_u32(item, UInt16(NFTNL_SET_ELEM_VERDICT))), chain: chain)
        }
        if let data = nftnl_set_elem_get(item, UInt16(NFTNL_SET_ELEM_USERDATA), &length) {
            element.comment = NftUserdata.comment(in: Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
        }
        elements.append(element)
    }

    static func value(_ bytes: [UInt8], _ type: NftKeyType) -> NftValue? {
        guard bytes.count == Int(type.length) else { return nil }
        switch type {
        case .ifname: return .ifname(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
        case .etherAddress: return MACAddress(bytes: bytes).map(NftValue.ether)
        case .ipv4Address: return .ipv4(bytes)
        case .ipv6Address: return .ipv6(bytes)
        }
    }
}
