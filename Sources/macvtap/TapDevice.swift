import CNIKit
internal import Glibc

/// The character device `/dev/tap<ifindex>` the kernel makes for a macvtap, which libvirt opens for the VM.
/// The kernel remakes it (owned by root) whenever the macvtap changes namespace, so it is chowned after
/// the move, with the ifindex the macvtap has in the pod.
enum TapDevice {
    static func path(ifindex: Int32) -> String { "/dev/tap\(ifindex)" }

    static func chown(ifindex: Int32, owner: UInt32, group: UInt32) throws(CNIError) {
        let path = path(ifindex: ifindex)
        guard Glibc.chown(path, owner, group) == 0 else {
            let code = errno
            throw CNIError(.ioFailure, "cannot change the owner of tap device \(path) to \(owner):\(group): \(String(cString: strerror(code))) (is /dev a devtmpfs?)")
        }
    }

    /// Owner and group of the tap device; nil when it does not exist.
    static func ownership(ifindex: Int32) -> (owner: UInt32, group: UInt32)? {
        var info = stat()
        guard stat(path(ifindex: ifindex), &info) == 0, info.st_mode & S_IFMT == S_IFCHR else { return nil }
        return (info.st_uid, info.st_gid)
    }
}
