import MTSCorrelation
import Testing

/// Reads an engine's result stream in a test without ever waiting on time.
///
/// The engine yields results synchronously inside the call that decides them, so after that call
/// returns they are already buffered. ``drain(_:)`` sends a marker (a rejected message always
/// yields exactly one `invalid` result, at once) and returns everything before it: the exact
/// list of results produced so far, so a missing result fails a test instead of hanging it.
struct ResultReader {
    static let markerToken = UInt64.max
    private var iterator: CorrelationResults.AsyncIterator

    init(_ engine: CorrelationEngine) {
        iterator = engine.results.makeAsyncIterator()
    }

    /// Every result emitted since the last drain, in order.
    mutating func drain(_ engine: CorrelationEngine) async -> [CorrelationResult] {
        await engine.receiveRejected(
            RejectedMessage(correlationId: nil, body: [], token: Self.markerToken, reason: "marker"))
        var results: [CorrelationResult] = []
        while let result = await iterator.next(), result.token != Self.markerToken {
            results.append(result)
        }
        return results
    }
}
