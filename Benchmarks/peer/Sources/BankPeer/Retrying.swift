import Hummingbird
import Logging
import PostgresNIO

/// What a postgres-nio user writes for PostgreSQL at SERIALIZABLE (or for CockroachDB): run the
/// work again on SQLSTATE 40001, with capped exponential backoff and full jitter. The numbers are
/// the project's default retry policy (10 attempts, 2 ms doubling up to 500 ms), so that both
/// services give up after as many conflicts.
struct Retrying: Sendable {
    let logger: Logger
    var maxAttempts = 10
    var baseDelay = Duration.milliseconds(2)
    var maxDelay = Duration.milliseconds(500)

    func run<Result: Sendable>(_ work: () async throws -> Result) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await work()
            } catch {
                let cause = Self.cause(of: error)
                guard Self.isSerializationFailure(cause) else { throw answer(for: cause) }
                guard attempt < maxAttempts else {
                    throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "1"],
                                    message: "the transaction kept conflicting with others")
                }
                attempt += 1
                let ceiling = min(baseDelay * (1 << min(attempt - 2, 30)), maxDelay)
                try await Task.sleep(for: ceiling * Double.random(in: 0..<1))
            }
        }
    }

    /// postgres-nio's transaction wrapper reports what failed inside it.
    static func cause(of error: any Error) -> any Error {
        guard let transaction = error as? PostgresTransactionError else { return error }
        return transaction.beginError ?? transaction.closureError ?? transaction.commitError ?? error
    }

    /// A 40001 at the implicit commit of a one-statement request (SSI's pivot check, after the
    /// statement's CommandComplete) reaches postgres-nio as an unexpected message: it closes the
    /// connection and reports clientClosedConnection, the server's error underneath with no
    /// public field for its SQLSTATE (only in the error's debug description). The server rolled
    /// the statement back, so it is retried like any other 40001.
    static func isSerializationFailure(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError else { return false }
        if psql.serverInfo?[.sqlState] == "40001" { return true }
        guard psql.code == .clientClosedConnection, let underlying = psql.underlying as? PSQLError,
              underlying.code == .unexpectedBackendMessage else { return false }
        return String(reflecting: underlying).contains(#"Code: "40001""#)
    }

    /// A handler's HTTP error as it is; a foreign-key violation (a row deleted meanwhile) is 404;
    /// anything else is logged (the bench keeps the log) and goes to Hummingbird, which answers 500.
    func answer(for error: any Error) -> any Error {
        if error is HTTPError { return error }
        if let psql = error as? PSQLError, psql.serverInfo?[.sqlState] == "23503" {
            return HTTPError(.notFound, message: "a row the request names was not found")
        }
        logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
        return error
    }
}
