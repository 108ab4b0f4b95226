/// Waits between failed attempts: 0.25 s doubling to `maximum`, each wait ±20 % so that the agents
/// of a cluster do not reconnect in step after an API server restart.
struct Backoff {
    let initial: Double = 0.25
    let maximum: Double
    private var failures = 0

    init(maximum: Double = 30) { self.maximum = maximum }

    mutating func reset() { failures = 0 }

    /// The next delay, in seconds.
    mutating func next() -> Double {
        let delay = min(maximum, initial * Double(1 << min(failures, 16))) * Double.random(in: 0.8...1.2)
        failures += 1
        return delay
    }
}
