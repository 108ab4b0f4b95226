import CNIKit
import Netlink
internal import Glibc

/// A kernel refusal reaches the runtime as a CNI error: code 11 (try again later) when retrying can
/// help, code 5 otherwise, with the kernel's reason and the object's name in the message.
extension NetlinkError: CNIErrorConvertible {
    public var cniError: CNIError {
        CNIError(isTransient ? .tryAgainLater : .ioFailure, description)
    }
}
