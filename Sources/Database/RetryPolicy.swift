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
