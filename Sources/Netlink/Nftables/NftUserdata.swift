/// The userdata blobs the kernel stores opaquely on tables, chains, rules, sets and elements, in the
/// TLV layout libnftnl defines and `nft` reads (one byte type, one byte length, the value):
/// a comment is type 0 (NFTNL_UDATA_*_COMMENT) holding the text and its terminating NUL.
enum NftUserdata {
    /// nft refuses longer comments (NFTNL_UDATA_COMMENT_MAXLEN).
    static let commentMaxLength = 128

    /// A TLV list.
    static func encode(_ items: [(type: UInt8, value: [UInt8])]) -> [UInt8] {
        items.flatMap { [$0.type, UInt8($0.value.count)] + $0.value }
    }

    /// The userdata holding just a comment, or nil without one.
    static func comment(_ text: String?) -> [UInt8]? {
        guard let text else { return nil }
        return encode([(0, Array(text.utf8) + [0])])
    }

    /// A set's userdata: the key's byte order (NFTNL_UDATA_SET_KEYBYTEORDER, a host-order u32), as nft
    /// writes it so it prints keys right, and the comment (NFTNL_UDATA_SET_COMMENT = 7).
    static func set(keyByteOrder: UInt32, comment: String?) -> [UInt8] {
        var items: [(type: UInt8, value: [UInt8])] = [(0, withUnsafeBytes(of: keyByteOrder) { Array($0) })]
        if let comment { items.append((7, Array(comment.utf8) + [0])) }
        return encode(items)
    }

    /// The TLVs of a blob; a truncated tail is ignored.
    static func decode(_ bytes: [UInt8]) -> [(type: UInt8, value: [UInt8])] {
        var result: [(type: UInt8, value: [UInt8])] = []
        var index = 0
        while index + 2 <= bytes.count {
            let type = bytes[index], length = Int(bytes[index + 1])
            guard index + 2 + length <= bytes.count else { break }
            result.append((type, Array(bytes[(index + 2)..<(index + 2 + length)])))
            index += 2 + length
        }
        return result
    }

    /// The comment (type `type`, 0 for everything but sets) in a blob, without its NUL.
    static func comment(in bytes: [UInt8], type: UInt8 = 0) -> String? {
        guard let value = decode(bytes).first(where: { $0.type == type })?.value else { return nil }
        return String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Why a comment cannot be stored, or nil.
    static func validateComment(_ text: String) -> NftInvalid? {
        let count = text.utf8.count
        guard count < commentMaxLength, !text.utf8.contains(0) else {
            return NftInvalid("comment must be shorter than \(commentMaxLength) bytes without NUL (has \(count))")
        }
        return nil
    }
}
