@testable import Database
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(10), maxDelay: .milliseconds(100))

    @Test func backoffDoublesAndIsCapped() {
        let ceilings = (1...8).map { policy.ceiling(beforeAttempt: $0) }
        #expect(ceilings == [.zero, .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(80),
                             .milliseconds(100), .milliseconds(100), .milliseconds(100)])
        #expect(policy.ceiling(beforeAttempt: 10_000) == .milliseconds(100))
    }

    @Test func jitterScalesTheCeiling() {
        #expect(policy.delay(beforeAttempt: 3, random: 0) == .zero)
        #expect(policy.delay(beforeAttempt: 3, random: 0.5) == .milliseconds(10))
        #expect(policy.delay(beforeAttempt: 20, random: 0.999) <= .milliseconds(100))
    }

    @Test func onlyConflictsAndLostConnectionsBeforeCommitAreRetried() {
        let conflict = DatabaseError.server(ServerError(sqlState: "40001", message: "restart transaction"))
        let ambiguous = DatabaseError.server(ServerError(sqlState: "40003", message: "result is ambiguous"))
        let unique = DatabaseError.server(ServerError(sqlState: "23505", message: "duplicate key"))
        let lost = DatabaseError.connection("server closed the connection unexpectedly")
        #expect(RetryDecision.after(conflict, in: .body) == .retry)
        #expect(RetryDecision.after(conflict, in: .commit) == .retry)
        #expect(RetryDecision.after(ambiguous, in: .body) == .outcomeUnknown)
        #expect(RetryDecision.after(ambiguous, in: .commit) == .outcomeUnknown)
        #expect(RetryDecision.after(unique, in: .body) == .fail)
        #expect(RetryDecision.after(lost, in: .begin) == .retryOnNewConnection)
        #expect(RetryDecision.after(lost, in: .body) == .retryOnNewConnection)
        #expect(RetryDecision.after(lost, in: .commit) == .outcomeUnknown)
        #expect(RetryDecision.after(CancellationError(), in: .body) == .fail)
    }

    @Test func lastAttemptTurnsAConflictIntoRetriesExhausted() {
        let conflict = ServerError(sqlState: "40001", message: "restart transaction")
        let failure = PhasedError(error: DatabaseError.server(conflict), phase: .body)
        #expect(failure.finalError(for: .retry, attempt: 2, policy: RetryPolicy(maxAttempts: 3)) == nil)
        guard case DatabaseError.retriesExhausted(let attempts, let last)? =
                failure.finalError(for: .retry, attempt: 3, policy: RetryPolicy(maxAttempts: 3)) else {
            Issue.record("expected retriesExhausted"); return
        }
        #expect(attempts == 3)
        #expect(last == conflict)
    }
}
