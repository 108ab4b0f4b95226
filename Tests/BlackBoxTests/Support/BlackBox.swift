import Testing

/// The parent of every black-box suite. `.serialized` applies to all nested suites: netns-heavy
/// tests on a 2-core machine are more predictable one at a time, and each is fast.
@Suite(.serialized) enum BlackBox {}
