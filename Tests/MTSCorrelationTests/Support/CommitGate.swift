import Dispatch
import Synchronization

/// Holds one store commit until the test releases it: once armed, ``hook`` (a before-commit
/// hook, ``StoreTestHooks``) runs `onHold` in the next transaction, then waits before its
/// `COMMIT`. It waits 10 s at most; ``heldTooLong`` says whether that bound ran out, which is
/// what a test expecting something to happen while the commit is held checks.
final class CommitGate: Sendable {
    private let armed = Mutex(false)
    private let released = DispatchSemaphore(value: 0)
    private let timedOut = Mutex(false)
    private let holding = Mutex(false)
    private let onHold: @Sendable () -> Void

    init(onHold: @escaping @Sendable () -> Void = {}) {
        self.onHold = onHold
    }

    /// The next transaction is held.
    func arm() { armed.withLock { $0 = true } }

    /// Lets the held transaction commit.
    func release() { released.signal() }

    /// Whether a transaction is held now.
    var isHolding: Bool { holding.withLock { $0 } }

    /// Whether the held transaction waited out its 10 s bound.
    var heldTooLong: Bool { timedOut.withLock { $0 } }

    var hook: @Sendable () -> Void {
        { [self] in
            guard
                armed.withLock({ armed in
                    defer { armed = false }; return armed
                })
            else { return }
            onHold()
            holding.withLock { $0 = true }
            if released.wait(timeout: .now() + 10) == .timedOut { timedOut.withLock { $0 = true } }
            holding.withLock { $0 = false }
        }
    }
}
