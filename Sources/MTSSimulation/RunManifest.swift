import Foundation

/// What a run sent and the results the relay owes for it, written as JSON lines: the header,
/// then one ``ManifestEntry`` per correlation id.
public struct RunManifest: Sendable, Hashable {
    public var header: ManifestHeader
    public var entries: [ManifestEntry]

    /// A manifest with these parts.
    public init(header: ManifestHeader, entries: [ManifestEntry]) {
        self.header = header
        self.entries = entries
    }

    /// How many `invalid` records with a null correlation id the run owes.
    public var anonymousInvalidCount: Int { entries.count { $0.owesAnonymousInvalid } }

    /// The manifest as JSON lines, each ending with a newline.
    public func jsonLines() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        data.append(try! encoder.encode(header))
        data.append(0x0A)
        for entry in entries {
            data.append(try! encoder.encode(entry))
            data.append(0x0A)
        }
        return data
    }

    /// Reads a manifest written by ``jsonLines()``; throws a message naming the bad line.
    public init(jsonLines data: Data) throws(SimulationOptionError) {
        let decoder = JSONDecoder()
        let lines = data.split(separator: 0x0A)
        guard let first = lines.first, let header = try? decoder.decode(ManifestHeader.self, from: first),
            header.format == "mts-sim-run"
        else {
            throw SimulationOptionError("line 1 is not an mts-sim run header")
        }
        var entries: [ManifestEntry] = []
        entries.reserveCapacity(lines.count - 1)
        for (offset, line) in lines.dropFirst().enumerated() {
            do {
                entries.append(try decoder.decode(ManifestEntry.self, from: line))
            } catch {
                throw SimulationOptionError("line \(offset + 2) is not a manifest entry: \(error)")
            }
        }
        self.init(header: header, entries: entries)
    }
}
