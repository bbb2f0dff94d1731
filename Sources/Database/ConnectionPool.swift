import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// A pool of libpq connections for async code, and the retry wrapper for transactions.
///
/// Every decision (who gets which connection, who waits, when to connect, what to close, when
/// to time out) is made by `PoolStateMachine`; this class is the shell that feeds it events
/// under a lock, with the time, and carries out its actions: runs work on connection threads,
/// resumes callers, closes connections, runs its one timer.
///
/// Threading: libpq calls block, so they never run on a SwiftNIO event loop or on Swift's
/// cooperative pool (2 threads here). Each leased connection's work runs on a dedicated thread of
/// an `NIOThreadPool` with one thread per connection slot, so a leased connection never waits for
/// a thread. A whole transaction attempt (BEGIN, the body's statements, COMMIT) is one hop to that
/// thread and one back: cheaper under load than a hop per statement, and simpler than driving
/// libpq's non-blocking API from an event loop, for the same number of round trips.
///
/// Callers that find every connection busy queue their work itself, not just a wish for a
/// connection: the connection thread that finishes a piece of work takes the next one from the
/// queue and runs it straight away, on the same thread with the same connection. Under load the
/// connection threads never sleep, and a caller is woken once, with its result (waking it to hand
/// it a connection, then waking a connection thread for its work, cost two more thread switches
/// per request).
public final class ConnectionPool: Sendable {
    public let configuration: PoolConfiguration
    private let logger: Logger
    private let threads: NIOThreadPool
    private let state: NIOLockedValueBox<State>
    /// The retry wrapper's wait and the random source of every jitter (injected for tests).
    private let sleep: @Sendable (Duration) async throws -> Void
    private let random: @Sendable () -> Double

    typealias Machine = PoolStateMachine<Connection, Job>

    private struct State {
        var machine: Machine
        /// The task that sleeps until the machine's timer is due.
        var timer: Task<Void, Never>?
        var retries = 0
        /// What retries the pool's transactions may still make together (nil: no limit).
        var retryBudget: RetryBudgetBalance?
        var retriesRefused = 0
    }

    /// Counters for the metrics, apart from the machine's lock: they are bumped on connection
    /// threads, outside any decision.
    private struct Counters {
        var connects = 0
        var failedConnects = 0
        var acquires = 0
        var acquireWait: Duration = .zero
    }
    private let counters = NIOLockedValueBox(Counters())

    /// A caller's work for a connection, and the caller waiting for its outcome. Whoever takes a
    /// job (the state machine hands each one out once) runs or fails it, exactly once.
    struct Job: @unchecked Sendable {
        /// Runs the work with a connection and tidies it (rolls back what was left open); returns
        /// the resumption of the caller, to call once the connection is handed on, and whether the
        /// connection can be reused.
        let run: (Connection) -> (resume: () -> Void, reusable: Bool)
        /// Resumes the caller with an error, the work not run.
        let fail: (any Error) -> Void
        /// When the caller asked for a connection (the acquire wait is measured from here).
        var requestedAt = ContinuousClock.now
    }

    public init(configuration: PoolConfiguration, logger: Logger = Logger(label: "database.pool"),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.configuration = configuration
        self.logger = logger
        self.sleep = sleep
        self.random = random
        let limits = Machine.Limits(
            minimumIdle: configuration.minimumIdle, maximum: max(configuration.maximum, 1),
            acquireTimeout: configuration.acquireTimeout, maxIdleTime: configuration.maxIdleTime,
            maxLifetime: configuration.maxLifetime, pingAfterIdle: configuration.pingAfterIdle,
            connectBackoff: configuration.connectBackoff, maxConnectBackoff: configuration.maxConnectBackoff)
        state = NIOLockedValueBox(State(machine: Machine(limits: limits),
                                        retryBudget: configuration.retryBudget.map { RetryBudgetBalance($0, now: .now) }))
        threads = NIOThreadPool(numberOfThreads: limits.maximum)
        threads.start()
    }

    /// Counts for logs, metrics and tests.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        /// Transaction attempts rerun after a conflict or a lost connection, since start.
        public var retries: Int
        /// Retries the retry budget refused (the transaction failed instead), since start.
        public var retriesRefused = 0
        /// Connections opened, and attempts to open one that failed, since start.
        public var connects = 0
        public var failedConnects = 0
        /// Pieces of work that got a connection, and their waits for it added up, since start.
        public var acquires = 0
        public var acquireWait: Duration = .zero
    }

    public var statistics: Statistics {
        var statistics = state.withLockedValue {
            Statistics(open: $0.machine.total, idle: $0.machine.idle.count, waiting: $0.machine.queue.count,
                       retries: $0.retries, retriesRefused: $0.retriesRefused)
        }
        counters.withLockedValue {
            statistics.connects = $0.connects
            statistics.failedConnects = $0.failedConnects
            statistics.acquires = $0.acquires
            statistics.acquireWait = $0.acquireWait
        }
        return statistics
    }

    /// Runs `body` with a connection of its own, on a connection thread. A transaction the body
    /// leaves open is rolled back; a connection that broke is closed and replaced later.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await runLeased { connection in Result { try body(connection) } }.get()
    }

    /// The retry wrapper: BEGIN; `body`; COMMIT, all on one connection thread. On SQLSTATE 40001 at
    /// any statement (COMMIT included) the transaction is rolled back, the connection returned,
    /// and after the policy's backoff the whole body runs again; a connection lost before COMMIT
    /// is retried on a new connection. 40003, or a connection lost during COMMIT, throws
    /// `DatabaseError.outcomeUnknown`; running out of attempts throws `retriesExhausted`; any
    /// other error rolls back and is rethrown. Returns the value and the number of attempts.
    public func transaction<T: Sendable>(
        _ options: TransactionOptions = TransactionOptions(),
        _ body: @escaping @Sendable (Connection) throws -> T
    ) async throws -> Committed<T> {
        try await retrying(options) { connection in connection.attemptTransaction(options, body) }
    }

    /// The retry wrapper for a transaction of one statement, in one round trip: BEGIN, the
    /// statement (prepared once per connection) and COMMIT sent together (libpq pipeline mode)
    /// instead of BEGIN with the statement, then COMMIT. Retried and reported exactly as
    /// `transaction` does (40001 at any of them retried; a lost connection is retried only when
    /// the server's answers show that COMMIT did not run, otherwise `outcomeUnknown`).
    /// `rows` reads the statement's result, on the connection thread, once COMMIT succeeded.
    public func transaction<T: Sendable>(
        _ options: TransactionOptions = TransactionOptions(),
        statement sql: String, _ parameters: [any SQLEncodable] = [],
        rows: @escaping @Sendable (QueryResult) throws -> T
    ) async throws -> Committed<T> {
        try await retrying(options) { connection in
            connection.attemptSingleStatementTransaction(options, sql, parameters).flatMap { result in
                Result { try rows(result) }.mapError { PhasedError(error: $0, phase: .commit) }
            }
        }
    }

    /// Attempts of a transaction, each on a leased connection (a new lease is as good as a new
    /// connection: a lost one is not given back), until the retry loop says otherwise or the
    /// retry budget has no retry left for it.
    private func retrying<T: Sendable>(
        _ options: TransactionOptions, _ attempt: @escaping @Sendable (Connection) -> Result<T, PhasedError>
    ) async throws -> Committed<T> {
        var loop = RetryLoop(policy: options.retry)
        state.withLockedValue { $0.retryBudget?.began(now: .now) }
        while true {
            switch try loop.next(after: try await runLeased(attempt), random: random) {
            case .committed(let committed):
                return committed
            case .again(let delay, let attempt, _, let reason):
                let allowed = state.withLockedValue { state -> Bool in
                    guard state.retryBudget?.spend(now: .now) ?? true else {
                        state.retriesRefused += 1
                        return false
                    }
                    state.retries += 1
                    return true
                }
                guard allowed else {
                    logger.debug("retry budget spent: not retrying", metadata: ["attempt": "\(attempt - 1)", "reason": "\(reason)"])
                    if case DatabaseError.server(let last) = reason {
                        throw DatabaseError.retriesExhausted(attempts: attempt - 1, last: last)
                    }
                    throw reason
                }
                logger.debug("retrying transaction", metadata: ["attempt": "\(attempt)", "reason": "\(reason)"])
                try await sleep(delay)
            }
        }
    }

    /// Closes idle connections, fails waiters and stops the connection threads. Leased
    /// connections are closed as they come back.
    public func shutdown() async {
        let actions = event { machine, _ in machine.shutdown() }
        for (job, failure) in actions.fail { job.fail(error(failure)) }
        for connection in actions.close { _ = try? await threads.runIfActive { connection.close() } }
        try? await threads.shutdownGracefully()
    }

    // MARK: - The shell

    /// Runs `work` with a connection of its own, on a connection thread, and returns its value:
    /// one hop there and one back. An idle connection's health check runs in the same hop, just
    /// before `work`; the connection is tidied (a transaction left open is rolled back) and handed
    /// on before the caller resumes. With every connection busy, the work waits in the queue.
    private func runLeased<R: Sendable>(_ work: @escaping @Sendable (Connection) -> R) async throws -> R {
        let queuedAs = NIOLockedValueBox<Machine.RequestID?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
                let job = Job(
                    run: { connection in
                        let value = work(connection)
                        connection.rollbackQuietly()
                        return ({ continuation.resume(returning: value) }, connection.isOpen)
                    },
                    fail: { continuation.resume(throwing: $0) })
                let (actions, id) = event { $0.request(job, now: $1) }
                perform(actions)
                guard let id else { return }
                queuedAs.withLockedValue { $0 = id }
                // Cancelled before the id was known: the handler below found nothing to cancel.
                if Task.isCancelled { perform(event { machine, _ in machine.cancelled(id) }) }
            }
        } onCancel: {
            if let id = queuedAs.withLockedValue({ $0 }) { perform(event { machine, _ in machine.cancelled(id) }) }
        }
    }

    /// Feeds the state machine one event, with the time, under the lock, and starts or stops
    /// the timer as it says. The other actions are the caller's to carry out, outside the lock.
    private func event<R>(_ feed: (inout Machine, ContinuousClock.Instant) -> (Machine.Actions, R)) -> (Machine.Actions, R) {
        state.withLockedValue { state in
            let (actions, result) = feed(&state.machine, .now)
            if actions.cancelTimer != nil {
                state.timer?.cancel()
                state.timer = nil
            }
            if let timer = actions.scheduleTimer { state.timer = start(timer) }
            return (actions, result)
        }
    }

    private func event(_ feed: (inout Machine, ContinuousClock.Instant) -> Machine.Actions) -> Machine.Actions {
        event { machine, now in (feed(&machine, now), ()) }.0
    }

    /// Carries out actions away from a connection thread: work goes to a connection thread,
    /// closing too (PQfinish may block: it sends a Terminate message).
    private func perform(_ actions: Machine.Actions) {
        for (job, failure) in actions.fail { job.fail(error(failure)) }
        if !actions.close.isEmpty {
            let connections = UncheckedBox(actions.close)
            threads.submit { _ in connections.value.forEach { $0.close() } }
        }
        if let lease = actions.lease { onConnectionThread(lease) }
    }

    /// Carries out actions on the connection thread that reported the event; returns the work
    /// this thread goes on with.
    private func performHere(_ actions: Machine.Actions) -> Machine.Lease? {
        for (job, failure) in actions.fail { job.fail(error(failure)) }
        actions.close.forEach { $0.close() }
        return actions.lease
    }

    /// Runs `lease` on a free connection thread; if the thread pool is shut down, gives back the
    /// connection (or the slot) and fails the job instead.
    private func onConnectionThread(_ lease: Machine.Lease) {
        let unchecked = UncheckedBox(lease)
        threads.submit { threadState in
            guard case .active = threadState else {
                switch unchecked.value {
                case .run(let job, let connection, _):
                    self.perform(self.event { $0.released(connection, openedAt: connection.openedAt, reusable: false, now: $1) })
                    job.fail(DatabaseError.poolClosed)
                case .open(let job):
                    self.perform(self.event { $0.connectFailed(job, error: DatabaseError.poolClosed, now: $1, jitter: 0) })
                }
                return
            }
            self.drive(unchecked.value)
        }
    }

    /// On a connection thread: runs jobs, each handing its connection on to the next queued job,
    /// until none is left.
    private func drive(_ first: Machine.Lease) {
        var next: Machine.Lease? = first
        while let lease = next {
            switch lease {
            case .open(let job): next = open(for: job)
            case .run(let job, let connection, let check): next = run(job, on: connection, check: check)
            }
        }
    }

    private func open(for job: Job) -> Machine.Lease? {
        do {
            let connection = try Connection(connectionString: configuration.connectionString)
            if configuration.preferIndexScans { try connection.preferIndexScans() }
            counters.withLockedValue { $0.connects += 1 }
            perform(event { $0.opened(now: $1) })  // a waiter's connect goes to another thread
            return .run(job, on: connection, check: nil)
        } catch {
            counters.withLockedValue { $0.failedConnects += 1 }
            let jitter = random()
            return performHere(event { $0.connectFailed(job, error: error, now: $1, jitter: jitter) })
        }
    }

    private func run(_ job: Job, on connection: Connection, check: Machine.HealthCheck?) -> Machine.Lease? {
        if let check, !Self.healthy(connection, check) {
            logger.info("discarding a broken idle connection")
            return performHere(event { $0.healthCheckFailed(connection, job, now: $1) })
        }
        let waited = ContinuousClock.now - job.requestedAt
        counters.withLockedValue {
            $0.acquires += 1
            $0.acquireWait += waited
        }
        let (resume, reusable) = job.run(connection)
        if !reusable { logger.info("closing a broken connection; it will be replaced") }
        let next = performHere(event { $0.released(connection, openedAt: connection.openedAt, reusable: reusable, now: $1) })
        resume()  // the connection is handed on before the caller goes on
        return next
    }

    /// The health check of an idle connection, on its connection thread.
    private static func healthy(_ connection: Connection, _ check: Machine.HealthCheck) -> Bool {
        guard connection.looksHealthy() else { return false }
        return check == .poll || (try? connection.run("SELECT 1")) != nil
    }

    /// Sleeps until the machine's timer is due, then tells it. Cancelled when the machine wants
    /// an earlier one; a stale firing does no harm.
    private func start(_ timer: Machine.Timer) -> Task<Void, Never> {
        Task { [weak self] in
            do { try await Task.sleep(until: timer.deadline, clock: .continuous) } catch { return }
            guard let self else { return }
            perform(event { $0.timerFired(timer.id, now: $1) })
        }
    }

    private func error(_ failure: Machine.Failure) -> any Error {
        switch failure {
        case .timedOut: DatabaseError.poolTimeout(seconds: configuration.acquireTimeout.seconds)
        case .cancelled: CancellationError()
        case .poolClosed: DatabaseError.poolClosed
        case .unavailable(let error): error
        }
    }
}

/// Carries values that are not `Sendable` to the connection thread that alone uses them.
private struct UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
