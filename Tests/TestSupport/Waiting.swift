/// How tests wait: on a condition with a deadline, never for a fixed time before they assert.
///
/// `scripts/test.sh` counts the sleeps left in the tests outside this folder; the only ones
/// that belong there are ``letTimePass(_:_:)``, whose subject is time itself.

/// A condition that did not hold by its deadline.
public struct ConditionTimeout: Error, CustomStringConvertible {
    public var description: String
}

/// Polls `condition` every `poll` until it holds; throws ``ConditionTimeout`` naming `what`
/// once `timeout` has passed. The timeout only bounds a bug: it is never what a test measures.
public func waitUntil(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(20),
    every poll: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            throw ConditionTimeout(description: "\(what()) did not happen within \(timeout)")
        }
        try await Task.sleep(for: poll)
    }
}

/// As ``waitUntil(_:timeout:every:_:)``, returning whether it held instead of throwing (for
/// callers that report the failure themselves).
public func eventually(
    timeout: Duration = .seconds(5), every poll: Duration = .milliseconds(1), _ condition: () async -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while await !condition() {
        guard ContinuousClock.now < deadline else { return false }
        await Task.yield()
        try? await Task.sleep(for: poll)
    }
    return true
}

/// Lets `duration` pass, for a test whose subject is time: a lease that runs out, heartbeats
/// on an idle connection, a downtime or a stall longer than a timeout, a pacing, a window in
/// which nothing more may arrive. `why` says which, with the configured value the duration
/// comes from.
public func letTimePass(_ duration: Duration, _ why: String) async throws {
    _ = why
    try await Task.sleep(for: duration)
}
