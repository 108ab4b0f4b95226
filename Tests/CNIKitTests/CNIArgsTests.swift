import Testing
@testable import CNIKit

@Suite struct CNIArgsTests {
    @Test func emptyHasNoKeys() throws {
        let args = try CNIArgs.parse("")
        #expect(args.values.isEmpty)
        #expect(!args.ignoreUnknown)
    }

    @Test func pairsAndLastDuplicateWins() throws {
        let args = try CNIArgs.parse("MAC=0a:58:0a:00:00:05;K8S_POD_NAME=a;K8S_POD_NAME=b;EMPTY=;URL=x=y;")
        #expect(args["MAC"] == "0a:58:0a:00:00:05")
        #expect(args["K8S_POD_NAME"] == "b")
        #expect(args["EMPTY"] == "")
        #expect(args["URL"] == "x=y")
        #expect(args["missing"] == nil)
    }

    @Test(arguments: [("IgnoreUnknown=1", true), ("IgnoreUnknown=true", true), ("IgnoreUnknown=TRUE", true),
                      ("IgnoreUnknown=0", false), ("IgnoreUnknown=false", false), ("A=1", false)])
    func ignoreUnknown(text: String, expected: Bool) throws {
        #expect(try CNIArgs.parse(text).ignoreUnknown == expected)
    }

    @Test(arguments: ["IgnoreUnknown=yes", "NOEQUALS", "A=1;B", "=value"])
    func invalidIsCode4NamingCNIARGS(text: String) {
        #expect {
            try CNIArgs.parse(text)
        } throws: { error in
            let error = error as! CNIError
            return error.code == .invalidEnvironment && error.msg.contains("CNI_ARGS")
        }
    }

    @Test func unknownKeysRejectedUnlessIgnored() throws {
        #expect(throws: CNIError.self) { try CNIArgs.parse("MAC=x;FOO=1").rejectUnknown(known: ["MAC"]) }
        try CNIArgs.parse("MAC=x;FOO=1;IgnoreUnknown=1").rejectUnknown(known: ["MAC"])
        try CNIArgs.parse("MAC=x;IgnoreUnknown=0").rejectUnknown(known: ["MAC"])
    }
}
