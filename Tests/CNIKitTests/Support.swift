#if canImport(Glibc)
import Glibc
#endif
@testable import CNIKit

/// A fresh directory under /tmp, removed by the caller with `removeTree`.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/cnikit-test-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return path
}

/// A state store at `path`, allowed by a policy whose only state directory is `root`.
func stateStore(_ path: String, under root: String) -> StateStore {
    StateStore(directory: try! NodePolicy(stateDirectories: [root]).stateDirectory(path, key: "dataDir", default: path))
}

/// Removes a test directory and what is in it (one level of subdirectories deep is enough here).
func removeTree(_ path: String) {
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            let child = "\(path)/\(name)"
            if entry.pointee.d_type == DT_DIR { removeTree(child) } else { unlink(child) }
        }
        closedir(dir)
    }
    rmdir(path)
}

func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) {
    // O_CLOEXEC: a child another test spawns meanwhile must not keep the file open for writing,
    // or exec of this file fails with ETXTBSY.
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    precondition(fd >= 0, "cannot create \(path)")
    _ = writeAll(fd, Array(text.utf8))
    close(fd)
    chmod(path, mode)
}

/// The environment of a well-formed invocation of `command`.
func environment(_ command: String, path: String = "/opt/cni/bin") -> [String: String] {
    ["CNI_COMMAND": command, "CNI_CONTAINERID": "c0ffee", "CNI_NETNS": "/var/run/netns/pod",
     "CNI_IFNAME": "eth0", "CNI_PATH": path]
}

func config(_ version: String, extra: String = "") -> String {
    #"{"cniVersion":"\#(version)","name":"net1","type":"fake"\#(extra)}"#
}

func parse(_ text: String) throws -> JSONValue {
    try JSONValue.parse(Array(text.utf8))
}
