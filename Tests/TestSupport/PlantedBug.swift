import Synchronization
import Testing

/// Runs a property check against a planted bug, expecting the checker to catch it: `check`
/// must record an issue (as `propertyCheck` does), and every issue it records is taken as
/// known. Returns what the check said of its counterexample (the library's
/// "Failure occured with input ... (shrunk down from ...)" line), so the caller can see that it
/// was found and shrunk. A checker that finds nothing makes `withKnownIssue` fail the test.
public func counterexample(
    of bug: Comment, _ check: () async -> Void
) async -> String? {
    let recorded = Mutex<[String]>([])
    await withKnownIssue(bug) {
        await check()
    } matching: { issue in
        recorded.withLock { $0.append(String(describing: issue)) }
        return true
    }
    return recorded.withLock { $0 }.first { $0.contains("occured with input") }
}

/// The shrunk input of a property-check failure line, when it was shrunk ("... with input X.
/// (shrunk down from ..."); nil otherwise.
public func shrunkInput(_ failure: String?) -> String? {
    guard let failure, failure.contains("shrunk down from"),
        let start = failure.range(of: "occured with input ")?.upperBound,
        let end = failure.range(of: ".\n(shrunk down from", range: start..<failure.endIndex)?.lowerBound
    else { return nil }
    return String(failure[start..<end])
}
