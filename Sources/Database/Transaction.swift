#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a transaction runs: read-only or not, and its retry policy.
public struct TransactionOptions: Sendable {
    public var retry: RetryPolicy
    public var readOnly: Bool
    /// For a transaction of one statement: send the statement alone, as an implicit transaction
    /// (no BEGIN, no COMMIT: the server commits it when it ends, and CockroachDB retries such a
    /// statement itself). The retry wrapper's rules still apply to its answer: 40001 reruns it;
    /// a connection lost without an answer reruns a read-only one and leaves a write's outcome
    /// unknown. `readOnly` is then a promise of the caller (nothing enforces it).
    public var implicit: Bool

    public init(retry: RetryPolicy = .default, readOnly: Bool = false, implicit: Bool = false) {
        self.retry = retry
        self.readOnly = readOnly
        self.implicit = implicit
    }

    var beginStatement: String { readOnly ? "BEGIN READ ONLY" : "BEGIN" }
}

/// A committed transaction's value and how many attempts it took (1 when nothing was retried).
public struct Committed<Value> {
    public var value: Value
    public var attempts: Int

    public init(value: Value, attempts: Int) {
        self.value = value
        self.attempts = attempts
    }
}

extension Committed: Sendable where Value: Sendable {}

extension Committed {
    /// The same commit, with its value turned into another.
    public func map<Other>(_ transform: (Value) throws -> Other) rethrows -> Committed<Other> {
        Committed<Other>(value: try transform(value), attempts: attempts)
    }
}

extension Connection {
    /// One attempt: BEGIN, the body, COMMIT. On any error the transaction is rolled back (when the
    /// connection still lives) and the error is returned with the phase it came from.
    func attemptTransaction<T>(_ options: TransactionOptions, _ body: (Connection) throws -> T) -> Result<T, PhasedError> {
        var phase = TransactionPhase.begin
        do {
            // Sent with the body's first statement, in one round trip (Connection.beginLazily).
            try beginLazily(options.beginStatement)
            phase = .body
            let value = try body(self)
            phase = .commit
            try run("COMMIT")
            return .success(value)
        } catch {
            if phase != .commit || transactionStatus != .idle { rollbackQuietly() }
            return .failure(PhasedError(error: error, phase: phase))
        }
    }

    /// Rolls back whatever transaction is open; a failure here only means the connection is gone.
    public func rollbackQuietly() {
        if dropPendingBegin() { return }  // the BEGIN was never sent
        guard isOpen, transactionStatus != .idle else { return }
        _ = try? run("ROLLBACK")
    }

    /// The retry wrapper, blocking form: BEGIN; `body`; COMMIT, rerun from the start on SQLSTATE
    /// 40001 (at any statement, COMMIT included) with the policy's backoff, as the tutorial's
    /// `retry_on_exception` decorator does. For command-line use; servers use `ConnectionPool`.
    ///
    /// - A lost connection before COMMIT reconnects (`PQreset`) and retries: nothing was committed.
    /// - 40003 or a connection lost during COMMIT throws `DatabaseError.outcomeUnknown`.
    /// - Any other error rolls back and is rethrown unchanged.
    public func transaction<T>(
        _ options: TransactionOptions = TransactionOptions(),
        sleep: (Duration) -> Void = sleepThread,
        random: () -> Double = { Double.random(in: 0..<1) },
        _ body: (Connection) throws -> T
    ) throws -> Committed<T> {
        var loop = RetryLoop(policy: options.retry)
        while true {
            switch try loop.next(after: attemptTransaction(options, body), random: random) {
            case .committed(let committed):
                return committed
            case .again(let delay, _, let onNewConnection, _):
                if onNewConnection { try reconnect() }
                sleep(delay)
            }
        }
    }
}

/// Blocks the calling thread for `duration` (the blocking retry wrapper's backoff; the
/// migration commands' waits). Only on a thread of one's own: never an event loop or a task.
@usableFromInline
package func sleepThread(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    guard seconds > 0 || attoseconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for sleeping and messages only).
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
