// swift-tools-version:6.2
import PackageDescription

// The node agent of the DaemonSet (deploy/), in its own package so that the plugins' package never
// resolves SwiftNIO and no plugin links it. Release build: `make agent` (fully static, see Makefile).
let package = Package(
    name: "swift-cni-node",
    products: [
        .executable(name: "swift-cni-node", targets: ["swift-cni-node"]),
    ],
    dependencies: [
        // HTTPS with a streaming body for the API's watch; TLS by swift-nio-ssl (BoringSSL inside).
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // kubeconfig files are YAML.
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        // The plugins' package, for the overlay's reconcile (OverlayCore: netlink, the node policy).
        .package(name: "swift-cni", path: ".."),
    ],
    targets: [
        // Everything but the command line: install, kubeconfig, the Node list + watch, the peers file.
        .target(
            name: "NodeAgent",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "OverlayCore", package: "swift-cni"),
            ]
        ),
        .executableTarget(
            name: "swift-cni-node",
            dependencies: [
                "NodeAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
