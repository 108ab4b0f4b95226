#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CNIKit

@Suite struct StateStoreTests {
    @Test func writeReadListRemove() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        let store = stateStore("\(root)/state/net1", under: root)
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
        let store = stateStore("\(root)/state", under: root)
        try store.write(name: "x", bytes: [1])
        var info = stat()
        #expect(stat("\(root)/state/x", &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat("\(root)/state", &info) == 0 && info.st_mode & 0o777 == 0o700)
    }

    /// Reads a file through the filesystem directly, for checking what a symlink pointed to.
    func contents(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return readAll(fd).map { String(decoding: $0, as: UTF8.self) }
    }

    func expectIOFailure(_ body: () throws -> Void, _ comment: Comment? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected an I/O failure (code 5) \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
        } catch let error as CNIError {
            #expect(error.code == .ioFailure, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a CNIError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aSymlinkAtTheStatePathIsRefusedAndItsTargetUntouched() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        writeFile("\(root)/target", "secret")
        mkdir("\(root)/state", 0o700)
        symlink("\(root)/target", "\(root)/state/link")
        symlink("\(root)/missing", "\(root)/state/dangling")
        let store = stateStore("\(root)/state", under: root)
        expectIOFailure { try store.write(name: "link", bytes: Array("new".utf8)) }
        expectIOFailure { try store.write(name: "dangling", bytes: Array("new".utf8)) }
        expectIOFailure { _ = try store.read(name: "link") }
        #expect(contents("\(root)/target") == "secret")
        #expect(contents("\(root)/missing") == nil, "a dangling symlink's target must not be created")
        var info = stat()
        #expect(lstat("\(root)/state/link", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        // No temp file is left behind, and names() lists neither the links nor temp files.
        #expect(try store.names() == [])
        // DEL's remove takes the link away itself, not what it points to.
        try store.remove(name: "link")
        #expect(lstat("\(root)/state/link", &info) != 0)
        #expect(contents("\(root)/target") == "secret")
    }

    @Test func aSymlinkedStateDirectoryIsRefused() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        mkdir("\(root)/real", 0o700)
        writeFile("\(root)/real/c1-eth0", "theirs")
        symlink("\(root)/real", "\(root)/state")
        let store = stateStore("\(root)/state", under: root)
        expectIOFailure { try store.write(name: "c1-eth0", bytes: Array("ours".utf8)) }
        expectIOFailure { try store.write(name: "new", bytes: Array("ours".utf8)) }
        expectIOFailure { _ = try store.read(name: "c1-eth0") }
        expectIOFailure { try store.remove(name: "c1-eth0") }
        expectIOFailure { _ = try store.names() }
        #expect(contents("\(root)/real/c1-eth0") == "theirs")
        #expect(contents("\(root)/real/new") == nil)
        // A dangling directory symlink: nothing is created where it points.
        symlink("\(root)/nowhere", "\(root)/dangling")
        expectIOFailure { try stateStore("\(root)/dangling", under: root).write(name: "x", bytes: [1]) }
        #expect(opendir("\(root)/nowhere") == nil)
    }

    @Test func aDirectoryOthersCanWriteIsRefused() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        for mode: mode_t in [0o777, 0o1777, 0o770, 0o722] {
            let dir = "\(root)/shared-\(String(mode, radix: 8))"
            mkdir(dir, 0o700)
            chmod(dir, mode)
            expectIOFailure({ try stateStore(dir, under: root).write(name: "x", bytes: [1]) }, "mode \(String(mode, radix: 8))")
            #expect(contents("\(dir)/x") == nil)
        }
        // Read-only for others is fine (the reference plugin's directories are often 0755).
        mkdir("\(root)/readable", 0o755)
        chmod("\(root)/readable", 0o755)
        try stateStore("\(root)/readable", under: root).write(name: "x", bytes: [1])
    }

    @Test func specialFilesAtTheStatePathAreRefused() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        let store = stateStore("\(root)/state", under: root)
        try store.write(name: "seed", bytes: [1])
        mkfifo("\(root)/state/fifo", 0o600)
        mkdir("\(root)/state/dir", 0o700)
        // A FIFO must not hang the plugin on read, nor be written through.
        expectIOFailure { _ = try store.read(name: "fifo") }
        expectIOFailure { try store.write(name: "fifo", bytes: [1]) }
        expectIOFailure { try store.write(name: "dir", bytes: [1]) }
        #expect(try store.names() == ["seed"])
    }

    @Test func writesReplaceAtomicallyAndKeepModes() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        let old = umask(0)
        defer { umask(old) }
        let store = stateStore("\(root)/a/b/state", under: root)
        try store.write(name: "x", bytes: Array("one".utf8))
        // A file left 0644 by someone else is replaced by a 0600 one, not rewritten in place.
        chmod("\(root)/a/b/state/x", 0o644)
        var before = stat()
        stat("\(root)/a/b/state/x", &before)
        try store.write(name: "x", bytes: Array("two".utf8))
        var info = stat()
        #expect(stat("\(root)/a/b/state/x", &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(info.st_ino != before.st_ino, "written through a new inode (temp file + rename)")
        for dir in ["a", "a/b", "a/b/state"] {
            #expect(stat("\(root)/\(dir)", &info) == 0 && info.st_mode & 0o777 == 0o700, "\(dir)")
        }
        #expect(contents("\(root)/a/b/state/x") == "two")
    }

    @Test(arguments: ["", ".hidden", "a/b", "..", "."])
    func rejectsBadNames(name: String) {
        #expect(throws: CNIError.self) { try stateStore("/tmp/unused", under: "/tmp").write(name: name, bytes: []) }
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
        mkdir("\(root)/real", 0o700)
        symlink("\(root)/real", "\(root)/locks")
        #expect(throws: CNIError.self) { _ = try FileLock(path: "\(root)/locks/net1.lock") }
        #expect(opendir("\(root)/real/net1.lock") == nil)
        var info = stat()
        #expect(lstat("\(root)/real/net1.lock", &info) != 0, "no lock file created through the symlink")
        mkfifo("\(root)/fifo.lock", 0o600)
        #expect(throws: CNIError.self) { _ = try FileLock(path: "\(root)/fifo.lock") }
    }
}
