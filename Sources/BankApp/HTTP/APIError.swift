import Database
import Hummingbird
import Logging

/// A failure with its HTTP answer: status, a message for the client, and extra headers.
///
/// Every error a handler throws ends up here (`APIError.from(_:)`), so the client always gets
/// `{"error": "..."}` and never a stack trace or SQL text: database errors are reduced to a
/// fixed message and the details go to the log only.
struct APIError: Error, Equatable {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields = [:]

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, message: message) }
    static let unknownPath = APIError(status: .notFound, message: "not found")
    static func methodNotAllowed(_ method: HTTPRequest.Method, allow: [HTTPRequest.Method]) -> APIError {
        APIError(status: .methodNotAllowed, message: "method \(method.rawValue) not allowed",
                 headers: [.allow: allow.map(\.rawValue).joined(separator: ", ")])
    }
    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "request body larger than \(limit) bytes")
    }
    /// The request body stopped before its end: the connection closed, or the body deadline passed.
    static let incompleteBody = APIError(status: .requestTimeout, message: "request body incomplete: the client stopped sending it or took too long")
    static let unsupportedMediaType = APIError(status: .unsupportedMediaType, message: "request body must be JSON (Content-Type: application/json)")
    static func unavailable(_ message: String) -> APIError {
        APIError(status: .serviceUnavailable, message: message, headers: [.retryAfter: "1"])
    }
    static let internalError = APIError(status: .internalServerError, message: "internal server error")

    var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: JSONWriter.error(message)))
    }

    /// The HTTP answer for any error a handler throws; unexpected ones are logged.
    static func from(_ error: Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as SameRowQueueFull:
            logger.warning("same-row write refused", metadata: ["waiting": "\(error.waiting)"])
            return .unavailable("too many writes to this row are waiting; try again")
        case let error as DatabaseError:
            if error.isUnavailable {
                logger.warning("database unavailable", metadata: ["error": "\(error)"])
                if case .retriesExhausted = error {
                    return .unavailable("the transaction kept conflicting with others; try again")
                }
                if case .outcomeUnknown = error {
                    return .unavailable("the database connection was lost while committing; the outcome is unknown")
                }
                return .unavailable("the database is unavailable; try again later")
            }
            if let server = error.serverError, server.sqlState == "22001" || server.sqlState == "22003" {
                return .badRequest("a value is too long or out of range")
            }
            logger.error("database error", metadata: ["error": "\(error)"])
            return .internalError
        default:
            logger.error("unexpected error", metadata: ["error": "\(error)"])
            return .internalError
        }
    }
}
