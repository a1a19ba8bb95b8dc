import MTSCorrelation
import Testing

/// Reads an engine's result stream in a test.
///
/// Results are yielded synchronously inside the engine call that decides them, so after that
/// call returns they are already buffered: `next()` does not wait on time. To prove that a
/// call produced *no* result, a test sends a rejected message (always exactly one `invalid`
/// result) and checks that it is the next result: see ``expectNothingPending(_:)``.
struct ResultReader {
    private var iterator: AsyncStream<CorrelationResult>.Iterator

    init(_ engine: CorrelationEngine) {
        iterator = engine.results.makeAsyncIterator()
    }

    mutating func next() async -> CorrelationResult? {
        await iterator.next()
    }

    mutating func next(_ count: Int) async -> [CorrelationResult] {
        var results: [CorrelationResult] = []
        for _ in 0..<count {
            guard let result = await iterator.next() else { break }
            results.append(result)
        }
        return results
    }

    /// Expects that no result is buffered, using a marker message.
    mutating func expectNothingPending(
        _ engine: CorrelationEngine, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        await engine.receiveRejected(
            RejectedMessage(correlationId: nil, body: [], token: .max, reason: "marker"))
        let next = await iterator.next()
        #expect(
            next?.token == .max, "unexpected result \(String(describing: next?.outcome))",
            sourceLocation: sourceLocation)
    }
}
