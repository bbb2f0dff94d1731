@testable import Database
import Testing

/// The retry wrapper's loop, shared by its blocking and async forms, outcome by outcome.
@Suite struct RetryLoopTests {
    let policy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(15))
    let conflict = DatabaseError.server(ServerError(sqlState: "40001", message: "restart transaction"))

    func failure(_ error: any Error, _ phase: TransactionPhase) -> Result<Int, PhasedError> {
        .failure(PhasedError(error: error, phase: phase))
    }

    @Test func aConflictWaitsWithJitterThenRetriesUntilTheAttemptsRunOut() throws {
        var loop = RetryLoop(policy: policy)
        var draws = 0
        let random = { () -> Double in draws += 1; return 0.5 }
        guard case .again(let first, 2, false, _) = try loop.next(after: failure(conflict, .body), random: random) else {
            Issue.record("expected a second attempt"); return
        }
        guard case .again(let second, 3, false, _) = try loop.next(after: failure(conflict, .commit), random: random) else {
            Issue.record("expected a third attempt"); return
        }
        #expect(first == .milliseconds(5) && second == .milliseconds(7.5))  // 10 ms, then 20 capped at 15, halved
        #expect {
            _ = try loop.next(after: failure(conflict, .body), random: random)
        } throws: { error in
            guard case DatabaseError.retriesExhausted(let attempts, let last) = error else { return false }
            return attempts == 3 && last.sqlState == "40001"
        }
        #expect(draws == 2)  // drawn only for a wait
    }

    @Test func successReportsTheAttemptsItTook() throws {
        var loop = RetryLoop(policy: policy)
        _ = try loop.next(after: failure(conflict, .body), random: { 0 })
        guard case .committed(let committed) = try loop.next(after: Result<Int, PhasedError>.success(42), random: { 0 }) else {
            Issue.record("expected committed"); return
        }
        #expect(committed.value == 42 && committed.attempts == 2)
    }

    @Test func aLostConnectionBeforeCommitRetriesOnANewOneAndDuringCommitIsUnknown() throws {
        let lost = DatabaseError.connection("server closed the connection unexpectedly")
        var loop = RetryLoop(policy: policy)
        guard case .again(_, 2, true, _) = try loop.next(after: failure(lost, .body), random: { 0 }) else {
            Issue.record("expected a retry on a new connection"); return
        }
        #expect {
            _ = try loop.next(after: failure(lost, .commit), random: { 0 })
        } throws: { error in
            guard case DatabaseError.outcomeUnknown = error else { return false }
            return true
        }
    }

    @Test func otherErrorsAreThrownAsTheyAre() {
        var loop = RetryLoop(policy: policy)
        let unique = DatabaseError.server(ServerError(sqlState: "23505", message: "duplicate key"))
        #expect {
            _ = try loop.next(after: failure(unique, .body), random: { 0 })
        } throws: { ($0 as? DatabaseError)?.serverError?.sqlState == "23505" }
    }

    @Test func aStalePreparedStatementMidTransactionIsRetried() throws {
        let stale = DatabaseError.server(ServerError(sqlState: "0A000", message: "cached plan must not change result type"))
        let gone = DatabaseError.server(ServerError(sqlState: "26000", message: "prepared statement \"s1\" does not exist"))
        let unsupported = ServerError(sqlState: "0A000", message: "unimplemented: something else")
        #expect(RetryDecision.after(stale, in: .body) == .retry)
        #expect(RetryDecision.after(gone, in: .body) == .retry)
        #expect(RetryDecision.after(DatabaseError.server(unsupported), in: .body) == .fail)
        #expect(!unsupported.isStalePreparedStatement)
    }
}
