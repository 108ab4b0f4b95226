import Foundation
import Testing

/// These tests create namespaces: they need root, and say so instead of skipping.
func requireRoot() throws {
    try #require(getuid() == 0, "the netlink tests create network namespaces: run them as root (make test)")
}
