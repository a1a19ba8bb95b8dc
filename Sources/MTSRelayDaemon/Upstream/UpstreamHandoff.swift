/// Where an active upstream's queue hands newly registered requests to its sender, for one
/// term: a batching queue (the sender marks what it takes sent in one transaction) and a bound
/// on what waits, so that the consumer waits instead of reading on while the upstream is slow.
struct UpstreamHandoff: Sendable {
    let work = BatchingQueue<UpstreamWork>()
    /// Registered requests not yet sent, at most prefetch + concurrency (recovered ones come on
    /// top).
    let backlog: AsyncLimiter

    init(upstream: some ActiveUpstream) {
        backlog = AsyncLimiter(limit: upstream.prefetch + upstream.concurrency)
    }

    /// Hands over requests of the consumer's, each holding a place of the backlog; waits for
    /// the places.
    func send(_ items: [UpstreamWork]) async {
        for item in items {
            await backlog.acquire()
            work.append(contentsOf: [item])
        }
    }
}
