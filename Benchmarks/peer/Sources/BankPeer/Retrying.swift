import Hummingbird
import PostgresNIO

/// What a postgres-nio user writes for PostgreSQL at SERIALIZABLE (or for CockroachDB): run the
/// work again on SQLSTATE 40001, with capped exponential backoff and full jitter. The numbers are
/// the project's default retry policy (10 attempts, 2 ms doubling up to 500 ms), so that both
/// services give up after as many conflicts.
struct Retrying: Sendable {
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
                guard Self.isSerializationFailure(cause) else { throw Self.answer(for: cause) }
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

    static func isSerializationFailure(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "40001"
    }

    /// A handler's HTTP error as it is; a foreign-key violation (a row deleted meanwhile) is 404;
    /// anything else goes to Hummingbird, which answers 500.
    static func answer(for error: any Error) -> any Error {
        if let psql = error as? PSQLError, psql.serverInfo?[.sqlState] == "23503" {
            return HTTPError(.notFound, message: "a row the request names was not found")
        }
        return error
    }
}
