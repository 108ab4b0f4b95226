import Attach
import CNIKit
import Testing

@Suite struct MACChoiceTests {
    @Test func theLastSetSourceWins() throws {
        let mac = try MACChoice.choose([.init("mac", "02:00:00:00:00:01"), .init("CNI_ARGS MAC", nil),
                                        .init("runtimeConfig.mac", "02:00:00:00:00:03"), .init("args.cni.mac", "")])
        #expect(mac?.description == "02:00:00:00:00:03")
        #expect(try MACChoice.choose([.init("mac", nil), .init("args.cni.mac", "")]) == nil)
    }

    @Test(arguments: ["zz:00:00:00:00:01", "02:00:00:00:01", "01:00:5e:00:00:01", "00:00:00:00:00:00",
                      "ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01:02", "02:+0:00:00:00:01"])
    func refusesWhatCannotBeAnInterfaceAddress(text: String) {
        #expect {
            try MACChoice.choose([.init("runtimeConfig.mac", text)])
        } throws: { error in
            let error = error as? CNIError
            return error?.code == .invalidConfig && error?.msg.contains("runtimeConfig.mac") == true
        }
    }

    @Test func acceptsEveryCommonSpelling() throws {
        #expect(try MACChoice.choose([.init("mac", "C2-11-22-33-44-5F")])?.description == "c2:11:22:33:44:5f")
    }
}
