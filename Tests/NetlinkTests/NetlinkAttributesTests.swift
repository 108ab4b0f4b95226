@testable import Netlink
import Testing

@Suite struct NetlinkAttributesTests {
    @Test func walksPaddedNestedAndTruncatedStreams() {
        let bytes: [UInt8] = [
            5, 0, 3, 0, 7, 0, 0, 0,                   // type 3, u8 7, padded to 8
            8, 0, 4, 0x80, 1, 0, 0, 0,                // type 4 with NLA_F_NESTED: one u16-length inner attr
            8, 0, 5, 0, 0x2a, 0, 0, 0,                // type 5, u32 42
            9, 0, 6, 0, 0x62, 0x72, 0x30, 0, 0, 0, 0, 0, // type 6, "br0\0" (+1 byte), padded
            20, 0, 7, 0, 1, 2,                        // type 7 claims 20 bytes: truncated, ends the walk
        ]
        let attributes = NetlinkAttributes(bytes)
        #expect(attributes.u8(3) == 7)
        #expect(attributes[4] == [1, 0, 0, 0], "NLA_F_NESTED is masked off the type")
        #expect(attributes.u32(5) == 42)
        #expect(attributes.string(6) == "br0")
        #expect(attributes[7] == nil)
        #expect(NetlinkAttributes([]).payloads.isEmpty && NetlinkAttributes([3, 0, 1, 0]).payloads.isEmpty)
    }
}
