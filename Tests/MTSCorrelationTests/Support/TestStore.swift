import Foundation
import Testing

@testable import MTSCorrelation

/// The two store backends the parity tests run on.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A store for one test: a SQLite file in a temporary directory, or a PostgreSQL group of its
/// own on ``TestPostgres/url``.
struct TestStore: Sendable {
    let kind: StoreKind
    let location: StoreLocation
    private let directory: TemporaryDirectory?

    init(_ kind: StoreKind) throws {
        self.kind = kind
        switch kind {
        case .sqlite:
            let directory = try TemporaryDirectory()
            self.directory = directory
            location = .sqlite(path: directory.file("relay.sqlite"))
        case .postgres:
            directory = nil
            location = .postgres(url: TestPostgres.url, group: TestPostgres.uniqueGroup())
        }
    }

    private init(kind: StoreKind, location: StoreLocation, directory: TemporaryDirectory?) {
        self.kind = kind
        self.location = location
        self.directory = directory
    }

    /// An engine on this store; `beforeCommit` runs inside each of its transactions, just
    /// before `COMMIT` (``StoreTestHooks``).
    func engine(
        _ configuration: CorrelationConfiguration = Fixtures.configuration, clock: ManualCorrelationClock,
        beforeCommit: (@Sendable () -> Void)? = nil
    ) async throws -> CorrelationEngine {
        try await StoreTestHooks.$beforeCommit.withValue(beforeCommit) {
            try await CorrelationEngine(configuration: configuration, clock: clock, store: location)
        }
    }

    /// An empty location beside this one, to hold a snapshot (``capture(into:)``).
    func sibling(_ name: String = "killed") -> TestStore {
        switch location {
        case .sqlite:
            TestStore(
                kind: kind, location: .sqlite(path: directory!.file("\(name).sqlite")), directory: directory)
        case .postgres(let url, _):
            TestStore(
                kind: kind, location: .postgres(url: url, group: TestPostgres.uniqueGroup(name)),
                directory: nil)
        case .memory:
            self
        }
    }

    /// Copies the store as a SIGKILL at this instant leaves it into `target` (a ``sibling(_:)``):
    /// the SQLite files as on disk, or PostgreSQL's committed rows.
    func capture(into target: TestStore) async throws {
        switch (location, target.location) {
        case (.sqlite(let path), .sqlite(let copy)):
            TemporaryDirectory.snapshotDatabase(path, to: copy)
        case (.postgres(_, let group), .postgres(_, let copy)):
            try await TestPostgres.snapshot(group: group, to: copy)
        default:
            Issue.record("cannot capture \(location) into \(target.location)")
        }
    }

    /// ``capture(into:)`` from a thread that may block: the store's writer thread, in a
    /// before-commit hook. Never from the cooperative pool.
    func captureBlocking(into target: TestStore) {
        TestPostgres.blocking { try await capture(into: target) }
    }

    /// Removes the files (a sibling's too) or the group's rows (a sibling has its own).
    func remove() async {
        directory?.remove()
        if case .postgres(_, let group) = location { await TestPostgres.drop(group: group) }
    }
}
