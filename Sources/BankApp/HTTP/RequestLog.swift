import Database
import Hummingbird
import Logging
import NIOConcurrencyHelpers

/// What one request did, shared by the handler (which records transactions) and the logging
/// middleware (which reads them): the context is passed by value, this box is not.
final class RequestStats: Sendable {
    struct Counts {
        /// Committed at the first attempt.
        var committed = 0
        /// Committed after one or more serialization failures.
        var committedAfterRetry = 0
        var extraAttempts = 0
        /// How the request's failed transaction ended, when one did (for the metrics).
        var failure: (outcome: String, attempts: Int, sqlState: String?)?
    }

    private let counts = NIOLockedValueBox(Counts())

    /// Records a committed transaction that took `attempts` attempts (1 = no retry).
    func recordTransaction(attempts: Int) {
        counts.withLockedValue {
            if attempts > 1 { $0.committedAfterRetry += 1 } else { $0.committed += 1 }
            $0.extraAttempts += max(0, attempts - 1)
        }
    }

    /// Records the error a request's transaction ended with.
    func recordFailure(_ error: Error) {
        guard let error = error as? DatabaseError else { return }
        let failure: (String, Int, String?)
        switch error {
        case .retriesExhausted(let attempts, let last): failure = ("retries_exhausted", attempts, last.sqlState)
        case .outcomeUnknown: failure = ("outcome_unknown", 1, nil)
        case .server(let server): failure = ("failed", 1, server.sqlState)
        default: failure = ("failed", 1, nil)
        }
        counts.withLockedValue {
            $0.extraAttempts += max(0, failure.1 - 1)
            $0.failure = failure
        }
    }

    /// Transaction attempts beyond the first, over the whole request.
    var retries: Int { counts.withLockedValue { $0.extraAttempts } }
    var snapshot: Counts { counts.withLockedValue { $0 } }
}

/// The request context of the bank API: Hummingbird's core storage plus the request's stats.
public struct BankRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let stats = RequestStats()
    /// Set by `RequestLogMiddleware`, so the path is parsed and matched once per request.
    var routing: Routing?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// Every request's id, log line and metrics.
///
/// The id is the client's `X-Request-Id` when it is a sane token (`RequestIdentity`), else
/// Hummingbird's own; it is sent back in the response and is on every log line of the request
/// (the context's logger carries it as `request_id`). One line per request: method, path,
/// status, duration, and retries when a transaction needed more than one attempt; in JSON each
/// is also a field. A streamed list is logged (and measured) when its last byte is written, or
/// when it failed mid-way, so the duration covers the whole body.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = BankRequestContext
    let logger: Logger
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let id = RequestIdentity.accepted(request.headers[RequestIdentity.header]) ?? context.id
        var context = context
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request_id"] = .string(id)
        let method = request.method.rawValue
        let rawPath = request.head.path
        let routing = Routing(request.head.path ?? "/")
        context.routing = routing
        let route = routing.template
        let stats = context.stats
        let requestLogger = self.logger
        let metrics = self.metrics
        metrics.requestStarted()
        @Sendable func finish(_ status: HTTPResponse.Status, failure: String? = nil) {
            let elapsed = ContinuousClock.now - start
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            let counts = stats.snapshot
            metrics.requestFinished(route: route, method: method, status: Int(status.code), duration: elapsed)
            if counts.committed > 0 { metrics.transactionFinished(outcome: "committed", count: counts.committed) }
            if counts.committedAfterRetry > 0 { metrics.transactionFinished(outcome: "retried", count: counts.committedAfterRetry) }
            if counts.extraAttempts > 0 { metrics.retried(counts.extraAttempts) }
            if let failed = counts.failure {
                metrics.transactionFinished(outcome: failed.outcome)
                if let sqlState = failed.sqlState { metrics.statementFailed(sqlState: sqlState) }
            }
            let level: Logger.Level = failure != nil || status.code >= 500 ? .warning : .info
            guard requestLogger.logLevel <= level else { return }  // the line is not built for nothing
            var logger = requestLogger
            logger[metadataKey: "request_id"] = .string(id)
            var line = "\(method) \((rawPath ?? "").prefix(200)) \(status.code) \(oneDecimal(milliseconds))ms"
            if counts.extraAttempts > 0 { line += " retries=\(counts.extraAttempts)" }
            if let failure { line += " (\(failure))" }
            logger.log(level: level, "\(line)", metadata: [
                "method": .string(method), "route": .string(route), "status": .stringConvertible(Int(status.code)),
                "duration_ms": .stringConvertible((milliseconds * 10).rounded() / 10), "retries": .stringConvertible(counts.extraAttempts),
            ])
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            finish(.internalServerError, failure: "\(error)")
            throw error
        }
        response.headers[RequestIdentity.header] = id
        guard response.body.contentLength == nil else {
            finish(response.status)
            return response
        }
        let status = response.status
        let body = response.body
        response.body = ResponseBody { writer in
            do {
                try await body.write(writer)
                finish(status)
            } catch {
                finish(status, failure: "body cut short: \(error)")
                throw error
            }
        }
        return response
    }

}
