// swift-tools-version:6.1
import PackageDescription

// Release binaries: `swift build -c release --static-swift-stdlib` (see Makefile).
let package = Package(
    name: "swift-cni",
    products: [
        .executable(name: "tuning", targets: ["tuning"]),
        .executable(name: "bridge", targets: ["bridge"]),
        .executable(name: "macvtap", targets: ["macvtap"]),
        .executable(name: "layer2-overlay", targets: ["layer2-overlay"]),
        // The overlay's tunnels and segment records, for the node agent (Agent/), which reconciles them.
        .library(name: "OverlayCore", targets: ["OverlayCore"]),
    ],
    targets: [
        // libnl-3, libnl-route-3, libmnl, libnftnl headers and link lines (Debian -dev packages).
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev", "libmnl-dev", "libnftnl-dev"])]
        ),
        // One prefixed C function per macro or inline that Swift cannot call. No logic.
        .target(name: "CNetlinkShim", dependencies: ["CNetlink"]),
        // Plain network values every layer shares: IP address, IP network, MAC address.
        .target(name: "NetworkTypes"),
        // The shared netlink core: the only module that touches C.
        .target(name: "Netlink", dependencies: ["CNetlink", "CNetlinkShim", "NetworkTypes"]),
        // The CNI protocol: no netlink.
        .target(name: "CNIKit", dependencies: ["NetworkTypes"]),
        // What two or more plugins share: error mapping, MAC choice, veth into a netns, spoof check, ...
        .target(name: "Attach", dependencies: ["CNIKit", "Netlink"]),
        .executableTarget(name: "tuning", dependencies: ["CNIKit", "Netlink", "Attach"]),
        .executableTarget(name: "bridge", dependencies: ["CNIKit", "Netlink", "Attach"]),
        .executableTarget(name: "macvtap", dependencies: ["CNIKit", "Netlink", "Attach"]),
        // layer2-overlay's tunnels, underlay, peers and segment records: shared with the node agent.
        .target(name: "OverlayCore", dependencies: ["CNIKit", "Netlink", "Attach"]),
        .executableTarget(name: "layer2-overlay", dependencies: ["CNIKit", "Netlink", "Attach", "OverlayCore"]),

        // What the root test suites share: throwaway network namespaces and running commands.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NetworkTypesTests", dependencies: ["NetworkTypes"]),
        .testTarget(name: "CNIKitTests", dependencies: ["CNIKit"]),
        .testTarget(name: "AttachTests", dependencies: ["Attach", "tuning", "bridge", "macvtap", "TestSupport"]),
        // Needs root: creates throwaway network namespaces.
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "Attach", "TestSupport"]),
        // Needs root and the libcni runner (make runner): drives the built plugins black-box.
        .testTarget(name: "BlackBoxTests"),
    ]
)
