/// How a transaction is retried on SQLSTATE 40001: how many attempts, and how long to wait
/// between them (capped exponential backoff with full jitter).
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included. 1 means "never retry".
    public var maxAttempts: Int
    /// The wait before the second attempt, before jitter; it doubles each attempt after that.
    public var baseDelay: Duration
    /// No wait is longer than this.
    public var maxDelay: Duration

    public init(maxAttempts: Int = 10, baseDelay: Duration = .milliseconds(2), maxDelay: Duration = .milliseconds(500)) {
        precondition(maxAttempts >= 1, "a transaction needs at least one attempt")
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let `default` = RetryPolicy()
    /// Run once; a conflict fails at once with `retriesExhausted(attempts: 1, ...)`.
    public static let never = RetryPolicy(maxAttempts: 1)

    /// The longest wait before attempt `attempt` (2, 3, ...): `baseDelay * 2^(attempt-2)`, capped.
    public func ceiling(beforeAttempt attempt: Int) -> Duration {
        guard attempt >= 2 else { return .zero }
        let doublings = min(attempt - 2, 30)
        let grown = baseDelay * (1 << doublings)
        return min(grown, maxDelay)
    }

    /// The wait before attempt `attempt`, given a random number in [0, 1) ("full jitter":
    /// conflicting clients spread out instead of colliding again in lockstep).
    public func delay(beforeAttempt attempt: Int, random: Double) -> Duration {
        ceiling(beforeAttempt: attempt) * min(max(random, 0), 1)
    }
}

/// What to do after an attempt of a transaction failed.
enum RetryDecision: Equatable {
    /// Nothing was committed: roll back, wait, run the whole transaction again (a conflict, or a
    /// prepared statement gone stale mid-transaction: prepared again in the next attempt).
    case retry
    /// Nothing was committed, but the connection is gone: retry on a new connection.
    case retryOnNewConnection
    /// The commit may have happened: report it, never retry blindly.
    case outcomeUnknown
    /// Not a conflict: roll back and report the error as it is.
    case fail
}

/// Where in a transaction an error came from: only errors at COMMIT can leave the outcome unknown.
enum TransactionPhase { case begin, body, commit }

extension RetryDecision {
    static func after(_ error: Error, in phase: TransactionPhase) -> RetryDecision {
        switch error {
        case DatabaseError.server(let serverError):
            if serverError.isAmbiguousResult { return .outcomeUnknown }
            if serverError.isSerializationFailure || serverError.isStalePreparedStatement { return .retry }
            return .fail
        case DatabaseError.connection:
            return phase == .commit ? .outcomeUnknown : .retryOnNewConnection
        default:
            return .fail
        }
    }
}

/// An error from one attempt of a transaction, with the phase it came from.
struct PhasedError: Error {
    var error: any Error
    var phase: TransactionPhase

    /// The error to throw instead of retrying, or nil to retry.
    func finalError(for decision: RetryDecision, attempt: Int, policy: RetryPolicy) -> (any Error)? {
        switch decision {
        case .fail:
            return error
        case .outcomeUnknown:
            return DatabaseError.outcomeUnknown(String(describing: error))
        case .retry, .retryOnNewConnection:
            guard attempt >= policy.maxAttempts else { return nil }
            if case DatabaseError.server(let last) = error {
                return DatabaseError.retriesExhausted(attempts: attempt, last: last)
            }
            return error
        }
    }
}

/// The retry wrapper's loop, written once for both of its forms. The blocking form
/// (`Connection.transaction`) and the async one (`ConnectionPool.transaction`) each run an
/// attempt, hand its outcome to `next` and do what it says: return the value, or wait and run
/// another attempt; `next` throws when the error is final. Each form brings its own sleep and
/// random source (injected, for tests), and only they differ.
struct RetryLoop {
    enum Next<T> {
        case committed(Committed<T>)
        /// Wait `delay` (backoff with jitter), then run attempt number `attempt`; on a new
        /// connection when `onNewConnection` (the last one was lost). `reason` is for logs.
        case again(after: Duration, attempt: Int, onNewConnection: Bool, reason: any Error)
    }

    let policy: RetryPolicy
    /// Which errors are worth another attempt: the transaction rules by default.
    let decide: (PhasedError) -> RetryDecision
    /// The number of the attempt that ran last.
    private(set) var attempt = 1

    init(policy: RetryPolicy, decide: @escaping (PhasedError) -> RetryDecision = { RetryDecision.after($0.error, in: $0.phase) }) {
        self.policy = policy
        self.decide = decide
    }

    /// What follows an attempt with this `outcome`; throws the error to report when it is final.
    /// `random` (in [0, 1)) is drawn only for a wait.
    mutating func next<T>(after outcome: Result<T, PhasedError>, random: () -> Double) throws -> Next<T> {
        switch outcome {
        case .success(let value):
            return .committed(Committed(value: value, attempts: attempt))
        case .failure(let failure):
            let decision = decide(failure)
            if let final = failure.finalError(for: decision, attempt: attempt, policy: policy) { throw final }
            attempt += 1
            return .again(after: policy.delay(beforeAttempt: attempt, random: random()), attempt: attempt,
                          onNewConnection: decision == .retryOnNewConnection, reason: failure.error)
        }
    }
}

/// The same loop for blocking work that is not a transaction of the retry wrapper (a schema
/// change waiting for another to finish, a table two processes create at once): `body` runs
/// again, after the policy's backoff, while it fails with an error `retryable` accepts and
/// attempts remain; then its last error is thrown (a server error as `retriesExhausted`).
package func retryingBlocking<T>(_ policy: RetryPolicy, when retryable: @escaping (any Error) -> Bool,
                                 sleep: (Duration) -> Void = sleepThread,
                                 random: () -> Double = { Double.random(in: 0..<1) },
                                 _ body: () throws -> T) throws -> T {
    var loop = RetryLoop(policy: policy) { retryable($0.error) ? .retry : .fail }
    while true {
        let outcome = Result { try body() }.mapError { PhasedError(error: $0, phase: .body) }
        switch try loop.next(after: outcome, random: random) {
        case .committed(let committed): return committed.value
        case .again(let delay, _, _, _): sleep(delay)
        }
    }
}
