import Testing
@testable import CNIKit

@Test func errorCodesMatchTheSpec() {
    #expect(CNIError.Code.incompatibleVersion.rawValue == 1)
    #expect(CNIError.Code.invalidConfig.rawValue == 7)
    #expect(CNIError.Code.limitedConnectivity.rawValue == 51)
}
