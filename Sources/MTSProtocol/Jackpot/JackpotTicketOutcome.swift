/// The answer to `POST /be/tickets`, by HTTP status.
public enum JackpotTicketOutcome: Sendable, Hashable {
    /// 200: the ticket was created.
    case created(JackpotTicket)
    /// 400: bad request; the body carries the error code.
    case badRequest(body: JSONValue?)
    /// 403: the caller may not make this request.
    case forbidden(body: JSONValue?)
    /// 422: validation error; the body carries the details.
    case validationError(body: JSONValue?)

    /// The HTTP status codes the API answers with.
    public static let httpStatuses = [200, 400, 403, 422]

    /// The HTTP status of this outcome.
    public var httpStatus: Int {
        switch self {
        case .created: 200
        case .badRequest: 400
        case .forbidden: 403
        case .validationError: 422
        }
    }
}
