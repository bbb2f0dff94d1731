/// How many retries a pool's transactions may make together: a share of the transactions begun,
/// plus a few per second whatever the traffic (the retry budgets of Finagle and Envoy).
///
/// Why: every retry is more load on a database that is already refusing work. When conflicts
/// spread (a hot table, another process's batch job), retries that each wait their own backoff
/// still add up to a multiple of the traffic, which makes more conflicts: a retry storm, after
/// which throughput stays collapsed. With a budget, retries can add at most `ratio` to the load;
/// past it a conflict fails at once (`retriesExhausted`, a 503 with Retry-After), and the client
/// decides. A quiet service's rare conflict is always retried (`minimumPerSecond`).
///
/// The default, one retry per transaction begun, lets retries at most double the load: far above
/// what the bank's own contention needs (its order transactions retry a fraction of a percent
/// behind the adaptive limit), so the budget only acts in a storm. A tight budget (Finagle's 0.2)
/// turned ordinary bursts of conflicts into 503s here, and each refusal shrank the order limit.
public struct RetryBudget: Sendable, Equatable {
    /// Retries allowed per transaction begun: 1 lets retries double the load at most.
    public var ratio: Double
    /// Retries allowed per second even with no traffic to earn them.
    public var minimumPerSecond: Double
    /// Retries saved up at most: the burst a run of conflicts after a quiet spell may spend.
    public var capacity: Double

    public init(ratio: Double = 1, minimumPerSecond: Double = 10, capacity: Double = 100) {
        precondition(ratio >= 0 && minimumPerSecond >= 0 && capacity >= 1, "a retry budget needs room for one retry")
        self.ratio = ratio
        self.minimumPerSecond = minimumPerSecond
        self.capacity = capacity
    }

    public static let `default` = RetryBudget()
}

/// A budget's balance, fed with the time: pure, so its arithmetic is tested without a clock.
struct RetryBudgetBalance {
    let budget: RetryBudget
    private(set) var tokens: Double
    private var refilledAt: ContinuousClock.Instant

    /// Starts full: a service just started may retry its first conflicts.
    init(_ budget: RetryBudget, now: ContinuousClock.Instant) {
        self.budget = budget
        tokens = budget.capacity
        refilledAt = now
    }

    /// A transaction began: it earns the budget's ratio of a retry.
    mutating func began(now: ContinuousClock.Instant) {
        refill(now: now)
        tokens = min(budget.capacity, tokens + budget.ratio)
    }

    /// Takes one retry from the budget; false, and nothing taken, when less than one is left.
    mutating func spend(now: ContinuousClock.Instant) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    private mutating func refill(now: ContinuousClock.Instant) {
        guard now > refilledAt else { return }
        let elapsed = now - refilledAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(budget.capacity, tokens + seconds * budget.minimumPerSecond)
        refilledAt = now
    }
}
