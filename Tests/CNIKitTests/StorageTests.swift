#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CNIKit

@Suite struct StateStoreTests {
    @Test func writeReadListRemove() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        let store = StateStore(directory: "\(root)/state/net1")
        #expect(try store.names() == [])
        #expect(try store.read(name: "c1-eth0") == nil)
        try store.write(name: "c1-eth0", bytes: Array("one".utf8))
        try store.write(name: "c1-eth0", bytes: Array("two".utf8))
        try store.write(name: "c2-eth0", bytes: [])
        #expect(try store.read(name: "c1-eth0") == Array("two".utf8))
        #expect(try store.names() == ["c1-eth0", "c2-eth0"])
        try store.remove(name: "c1-eth0")
        try store.remove(name: "c1-eth0")
        #expect(try store.names() == ["c2-eth0"])
    }

    @Test func modesAre0600And0700() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        let store = StateStore(directory: "\(root)/state")
        try store.write(name: "x", bytes: [1])
        var info = stat()
        #expect(stat("\(root)/state/x", &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat("\(root)/state", &info) == 0 && info.st_mode & 0o777 == 0o700)
    }

    @Test func refusesSymlinks() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        writeFile("\(root)/target", "secret")
        mkdir("\(root)/state", 0o700)
        symlink("\(root)/target", "\(root)/state/link")
        let store = StateStore(directory: "\(root)/state")
        #expect(throws: CNIError.self) { try store.read(name: "link") }
        try store.write(name: "link", bytes: Array("new".utf8))
        #expect(try store.read(name: "link") == Array("new".utf8))
        #expect(try StateStore(directory: root).read(name: "target") == Array("secret".utf8))

        symlink("\(root)/state", "\(root)/linked-dir")
        let linked = StateStore(directory: "\(root)/linked-dir")
        #expect(throws: CNIError.self) { try linked.write(name: "x", bytes: [1]) }
        #expect(throws: CNIError.self) { try linked.read(name: "link") }
    }

    @Test(arguments: ["", ".hidden", "a/b", "..", "."])
    func rejectsBadNames(name: String) {
        #expect(throws: CNIError.self) { try StateStore(directory: "/tmp/unused").write(name: name, bytes: []) }
    }
}

@Suite struct FileLockTests {
    /// Whether another process can take the lock right now (flock -n in a child shell).
    func childCanLock(_ path: String) throws -> Bool {
        let outcome = try Exec.run("/bin/sh", environment: ["LOCK": path],
                                   stdin: Array("exec 9>>\"$LOCK\"; flock -n 9 && echo free || echo held".utf8))
        return String(decoding: outcome.stdout, as: UTF8.self) == "free\n"
    }

    @Test func excludesAnotherProcessUntilReleased() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        let path = "\(root)/locks/net1.lock"
        do {
            let lock = try FileLock(path: path)
            #expect(try !childCanLock(path))
            _ = consume lock
        }
        #expect(try childCanLock(path))
        var info = stat()
        #expect(stat("\(root)/locks", &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func refusesASymlink() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        writeFile("\(root)/target", "")
        symlink("\(root)/target", "\(root)/lock")
        #expect(throws: CNIError.self) { _ = try FileLock(path: "\(root)/lock") }
    }
}
