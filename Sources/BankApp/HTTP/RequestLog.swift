import Hummingbird
import Logging
import NIOConcurrencyHelpers

/// What one request did, shared by the handler (which records transaction attempts) and the
/// logging middleware (which reads them): the context is passed by value, this box is not.
final class RequestStats: Sendable {
    private let extraAttempts = NIOLockedValueBox(0)

    /// Records a transaction that took `attempts` attempts (1 = no retry).
    func recordTransaction(attempts: Int) {
        guard attempts > 1 else { return }
        extraAttempts.withLockedValue { $0 += attempts - 1 }
    }

    /// Transaction attempts beyond the first, over the whole request.
    var retries: Int { extraAttempts.withLockedValue { $0 } }
}

/// The request context of the bank API: Hummingbird's core storage plus the request's stats.
public struct BankRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let stats = RequestStats()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// One log line per request: method, path, status, duration, and retries when a transaction
/// needed more than one attempt. A streamed list is logged when its last byte is written (or
/// when it failed mid-way), so the duration covers the whole body.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = BankRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        let path = String(request.head.path?.prefix(200) ?? "")
        let stats = context.stats
        let logger = self.logger
        @Sendable func log(_ status: HTTPResponse.Status, failure: String? = nil) {
            let elapsed = ContinuousClock.now - start
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            var line = "\(method) \(path) \(status.code) \(oneDecimal(milliseconds))ms"
            if stats.retries > 0 { line += " retries=\(stats.retries)" }
            if let failure { line += " (\(failure))" }
            let level: Logger.Level = failure != nil || status.code >= 500 ? .warning : .info
            logger.log(level: level, "\(line)")
        }
        var response = try await next(request, context)
        guard response.body.contentLength == nil else {
            log(response.status)
            return response
        }
        let status = response.status
        let body = response.body
        response.body = ResponseBody { writer in
            do {
                try await body.write(writer)
                log(status)
            } catch {
                log(status, failure: "body cut short: \(error)")
                throw error
            }
        }
        return response
    }
}
