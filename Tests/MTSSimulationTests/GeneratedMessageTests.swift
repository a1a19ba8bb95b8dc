import MTSCorrelation
import MTSProtocol
import MTSSimulation
import Testing

/// Every message the simulator generates is valid Transaction 3.0 by mts-relay's own decoders,
/// and every malformed reply is invalid, with or without a readable correlation id as planned.
@Suite("mts-sim's messages")
struct GeneratedMessageTests {
    /// A planner that reaches every fate, kind, answer and malformation.
    static func exchanges(count: Int = 3000, seed: UInt64 = 1) throws -> [PlannedExchange] {
        var configuration = ScenarioConfiguration(runPrefix: "gen", seed: seed)
        configuration.fates = FateRatios(
            drop: 0.1, late: 0.1, duplicate: 0.1, unsolicited: 0.1, malformed: 0.2, replyFirst: 0.1)
        configuration.acceptRatio = 0.5
        configuration.errorReplyRatio = 0.1
        configuration.anonymousMalformedRatio = 0.3
        configuration.timeouts = try OperationTimeouts(parsing: "default=2000")
        var planner = try ScenarioPlanner(configuration: configuration)
        return (0..<count).map { _ in planner.next() }
    }

    @Test func requestsAreValidAndCarryTheirIds() throws {
        let all = try Self.exchanges()
        #expect(Set(all.map(\.kind)) == Set(RequestKind.allCases))
        for exchange in all where exchange.hasRequest {
            let decoded = MTSRequest.decode(exchange.requestBody(timestampUtc: 1_795_000_000_123))
            #expect(decoded.isValid, "\(exchange.kind): \(decoded.violations)")
            #expect(decoded.request?.correlationId == exchange.correlationId)
            #expect(decoded.request?.operation == exchange.kind.operation)
            #expect(decoded.request?.contentType == exchange.kind.requestContentType)
            #expect(decoded.request?.timestampUtc == 1_795_000_000_123)
        }
    }

    @Test func validRepliesAreValidInTheSeedFormats() throws {
        var replyTypes = Set<String>()
        var codes = Set<Int64>()
        for exchange in try Self.exchanges() {
            for reply in exchange.replies where reply.malformation == nil {
                let decoded = MTSReply.decode(exchange.body(of: reply, timestampUtc: 1_795_000_000_456))
                #expect(decoded.isValid, "\(exchange.kind) \(exchange.content.answer): \(decoded.violations)")
                guard let parsed = decoded.reply else { continue }
                #expect(parsed.correlationId == exchange.correlationId)
                #expect(parsed.operation == exchange.kind.operation)
                #expect(exchange.correlationIDProperty(of: reply) == exchange.correlationId)
                replyTypes.insert(decoded.summary.contentType ?? "")
                if let code = decoded.summary.code { codes.insert(code) }
                switch parsed.content {
                case .ticket(let ticket):
                    #expect(ticket.exchangeRate?.count == 1)
                    #expect(ticket.status == (exchange.content.answer == .accepted ? .accepted : .rejected))
                case .cancel(let cancel):
                    #expect(MTSCodes.cancellation[cancel.code] != nil)
                default:
                    break
                }
            }
        }
        #expect(
            replyTypes == [
                "ticket-reply", "ticket-inform-reply", "cancel-reply", "casino-sessions-inform-reply",
                "error-reply",
            ])
        // Accepted, and rejected with ticket and cancellation codes.
        #expect(codes.contains(0) && codes.contains(-713) && codes.contains { (-2024)...(-2010) ~= $0 })
    }

    @Test func malformedRepliesAreInvalidAndAnonymousOnesHaveNoId() throws {
        var variants = Set<MalformedVariant>()
        for exchange in try Self.exchanges() {
            for reply in exchange.replies {
                guard let variant = reply.malformation else { continue }
                variants.insert(variant)
                let decoded = MTSReply.decode(exchange.body(of: reply, timestampUtc: 1_795_000_000_789))
                #expect(!decoded.isValid, "\(variant) of \(exchange.kind) decoded as valid")
                switch variant {
                case .anonymous, .truncated:
                    // Not JSON: the relay can only take the id from the AMQP property.
                    #expect(decoded.summary.correlationId == nil)
                    #expect(decoded.violations.contains { $0.path == "$" })
                default:
                    #expect(decoded.summary.correlationId == exchange.correlationId)
                }
                #expect(
                    exchange.correlationIDProperty(of: reply)
                        == (variant == .anonymous ? nil : exchange.correlationId))
            }
        }
        #expect(variants == Set(MalformedVariant.allCases))
    }

    @Test func signaturesAndRatesHaveTheSeedShapes() throws {
        for exchange in try Self.exchanges(count: 500) {
            let signature = exchange.content.signature
            #expect(signature.count == 44 && signature.hasSuffix("="))
            let rate = exchange.content.exchangeRate.split(separator: ".")
            #expect(rate.count == 2 && (1...8).contains(rate[0].count) && rate[1].count == 8)
        }
    }
}
