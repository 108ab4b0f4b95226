import Testing

/// The parent of every black-box suite. `.serialized` applies to all nested suites: netns-heavy
/// tests on a 2-core machine are more predictable one at a time, and each is fast.
///
/// Run (as root): `make test`, or by hand from the package root:
///
///     GO111MODULE=off GOPATH=$PWD/.build/gopath:/usr/share/gocode GOCACHE=$PWD/.build/gocache \
///         go build -o .build/cnirunner ./Tests/cnirunner
///     swift build -c release --static-swift-stdlib          # our plugins, in .build/release
///     swift test --filter BlackBoxTests
///
/// Environment:
/// - `BLACKBOX_IMPLS`: `reference`, `ours` or `reference,ours` (default): which plugins to drive.
/// - `SWIFT_CNI_BIN`: directory of our plugin binaries (default `.build/release`).
/// - `CNI_RUNNER`: the libcni runner (default `.build/cnirunner`).
/// - `RELIABILITY_ROUNDS`: rounds of the Reliability concurrency test (default 3; the issue asks for 20 by hand).
/// A missing binary is a failure that says to run `make test`; non-root is a failure too.
///
/// Every test runs the plugins inside a throwaway "node" netns, with pods in other throwaway netns,
/// and a temp dir for NETCONFPATH, libcni's cache, host-local's and tuning's dataDir (see Sandbox).
@Suite(.serialized) enum BlackBox {}
