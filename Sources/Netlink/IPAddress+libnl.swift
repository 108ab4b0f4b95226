internal import CNetlink
internal import Glibc
@_exported public import NetworkTypes

/// libnl's view of an address: `nl_addr` in and out.
extension IPAddress {
    /// AF_INET or AF_INET6.
    var addressFamily: Int32 { isIPv4 ? AF_INET : AF_INET6 }

    /// A new libnl address holding these bytes and `prefixLength`; the caller puts it.
    func nlAddress(prefixLength: Int? = nil) -> OpaquePointer {
        let addr = bytes.withUnsafeBytes { nl_addr_build(addressFamily, $0.baseAddress, $0.count) }!
        nl_addr_set_prefixlen(addr, Int32(prefixLength ?? bytes.count * 8))
        return addr
    }

    /// Reads a libnl address; a zero-length one (a default route's destination) becomes the zero address.
    init?(nlAddress addr: OpaquePointer, ipv6: Bool) {
        let length = Int(nl_addr_get_len(addr))
        if length == 0 {
            self = .zero(ipv6: ipv6)
            return
        }
        guard let raw = nl_addr_get_binary_addr(addr) else { return nil }
        self.init(bytes: Array(UnsafeRawBufferPointer(start: raw, count: length)))
    }
}
