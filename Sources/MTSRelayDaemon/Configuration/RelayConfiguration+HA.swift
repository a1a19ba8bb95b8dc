import Foundation
import MTSCorrelation

extension RelayConfiguration {
    /// The `ha` section: relays that share a PostgreSQL store and a group elect one active
    /// member through a lease.
    public struct HA: Sendable, Equatable {
        /// The group: relays of one group share the pending table and the lease; several
        /// groups may share one database.
        public var group: String = "default"
        /// This relay's name in the group and in its records. Default: the host name.
        public var node: String = ProcessInfo.processInfo.hostName
        /// How long a lease lasts without renewal (ms); it is renewed several times within it.
        public var leaseMs: Int = 5_000
        public init() {}
    }

    /// Where the engine keeps its pending table: PostgreSQL (scoped by `ha.group`) when
    /// `store.url` is set, else the SQLite file at `store.path`.
    public var storeLocation: StoreLocation {
        if let url = store.url { return .postgres(url: url, group: ha.group) }
        return .sqlite(path: store.path)
    }

    /// Where the jackpot side's engine keeps its table: beside the MTS one, in the group
    /// `<ha.group>.jackpot` of PostgreSQL or in ``jackpotStorePath``.
    public var jackpotStoreLocation: StoreLocation {
        if let url = store.url { return .postgres(url: url, group: "\(ha.group).jackpot") }
        return .sqlite(path: jackpotStorePath)
    }
}
