import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// Sizes and timeouts of a `ConnectionPool`.
public struct PoolConfiguration: Sendable {
    public var connectionString: String
    /// Idle connections kept open even when unused past `maxIdleTime`.
    public var minimumIdle: Int
    /// Connections open at most; callers beyond it wait up to `acquireTimeout`.
    public var maximum: Int
    public var acquireTimeout: Duration
    public var maxIdleTime: Duration
    public var maxLifetime: Duration
    /// An idle connection unused this long gets a `SELECT 1` before reuse (a half-open TCP
    /// connection shows nothing to a poll); fresher ones only get the no-round-trip check.
    public var pingAfterIdle: Duration

    public init(connectionString: String = ConnectionString.fromEnvironment(), minimumIdle: Int = 0,
                maximum: Int = 8, acquireTimeout: Duration = .seconds(5), maxIdleTime: Duration = .seconds(60),
                maxLifetime: Duration = .seconds(30 * 60), pingAfterIdle: Duration = .seconds(10)) {
        self.connectionString = connectionString
        self.minimumIdle = minimumIdle
        self.maximum = maximum
        self.acquireTimeout = acquireTimeout
        self.maxIdleTime = maxIdleTime
        self.maxLifetime = maxLifetime
        self.pingAfterIdle = pingAfterIdle
    }
}

/// A pool of libpq connections for async code, and the retry wrapper for transactions.
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

    private struct State {
        var bookkeeping: PoolBookkeeping<Connection>
        var waiting: [PoolBookkeeping<Connection>.WaiterID: Job] = [:]
        var retries = 0
        /// The one timeout task is alive (it sleeps until the earliest waiter's deadline).
        var timeoutTaskRunning = false
        /// Timeout tasks started since the pool was made (for tests: one per busy spell, not one
        /// per waiter).
        var timeoutTasksStarted = 0
    }

    /// A caller's work for a connection, and the caller waiting for its outcome. Whoever takes a
    /// job (from the queue, under the state lock, or straight from `submit`) runs or fails it,
    /// exactly once.
    ///
    /// Queued jobs do not get a timer each: one task sleeps until the earliest deadline and fails
    /// the jobs past theirs (`expireTimedOutWaiters`). A cancelled `Task.sleep` still keeps its
    /// wake-up job queued until the deadline, so a 5-second timer per waiting request, even
    /// cancelled once served, kept tens of thousands of jobs alive under load (about 30 MB of the
    /// 75 MB peak RSS of `make bench`).
    private struct Job: @unchecked Sendable {
        /// Runs the work with a connection and tidies it (rolls back what was left open); returns
        /// the resumption of the caller, to call once the connection is handed on, and whether the
        /// connection can be reused. nil: the work did not run (the idle connection failed its
        /// health check).
        let run: (Connection, _ check: Bool?) -> (resume: () -> Void, reusable: Bool)?
        /// Resumes the caller with an error, the work not run.
        let fail: (Error) -> Void
    }

    public init(configuration: PoolConfiguration, logger: Logger = Logger(label: "database.pool")) {
        self.configuration = configuration
        self.logger = logger
        let limits = PoolBookkeeping<Connection>.Limits(
            minimumIdle: configuration.minimumIdle, maximum: max(configuration.maximum, 1),
            maxIdleTime: configuration.maxIdleTime, maxLifetime: configuration.maxLifetime,
            pingAfterIdle: configuration.pingAfterIdle)
        state = NIOLockedValueBox(State(bookkeeping: PoolBookkeeping(limits: limits)))
        threads = NIOThreadPool(numberOfThreads: limits.maximum)
        threads.start()
    }

    /// Counts for logs and tests.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        /// Transaction attempts rerun after a conflict or a lost connection, since start.
        public var retries: Int
    }

    public var statistics: Statistics {
        state.withLockedValue {
            Statistics(open: $0.bookkeeping.total, idle: $0.bookkeeping.idle.count,
                       waiting: $0.bookkeeping.queue.count, retries: $0.retries)
        }
    }

    /// Runs `body` with a connection of its own, on a connection thread. A transaction the body
    /// leaves open is rolled back; a connection that broke is closed and replaced later.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let result = try await runLeased { connection in UncheckedResult(Result { try body(connection) }) }
        return try result.result.get()
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

    /// Attempts of a transaction, each on a leased connection, until one commits or the retry
    /// policy gives up (see `transaction`).
    private func retrying<T: Sendable>(
        _ options: TransactionOptions, _ attempt: @escaping @Sendable (Connection) -> Result<T, PhasedError>
    ) async throws -> Committed<T> {
        let attemptOnce = attempt
        var attempt = 1
        while true {
            let outcome = try await runLeased { connection in
                UncheckedResult(attemptOnce(connection).mapError { $0 as Error })
            }
            switch outcome.result {
            case .success(let value):
                return Committed(value: value, attempts: attempt)
            case .failure(let error):
                let failure = error as! PhasedError
                let decision = RetryDecision.after(failure.error, in: failure.phase)
                if let final = failure.finalError(for: decision, attempt: attempt, policy: options.retry) {
                    throw final
                }
                attempt += 1
                state.withLockedValue { $0.retries += 1 }
                logger.debug("retrying transaction", metadata: ["attempt": "\(attempt)", "reason": "\(failure.error)"])
                try await Task.sleep(for: options.retry.delay(beforeAttempt: attempt, random: Double.random(in: 0..<1)))
            }
        }
    }

    /// Closes idle connections, fails waiters and stops the connection threads. Leased
    /// connections are closed as they come back.
    public func shutdown() async {
        let (idle, waiters) = state.withLockedValue { state -> ([Connection], [Job]) in
            let (idle, failed) = state.bookkeeping.close()
            let jobs = failed.compactMap { state.waiting.removeValue(forKey: $0) }
            return (idle, jobs)
        }
        waiters.forEach { $0.fail(DatabaseError.poolClosed) }
        for connection in idle { _ = try? await threads.runIfActive { connection.close() } }
        try? await threads.shutdownGracefully()
    }

    // MARK: - Leasing

    /// Runs `work` with a connection of its own, on a connection thread, and returns its value:
    /// one hop there and one back. An idle connection's health check runs in the same hop, just
    /// before `work` (a connection that fails it is replaced and the work runs on another one);
    /// the connection is tidied (a transaction left open is rolled back) and handed on before the
    /// caller resumes. With every connection busy, the work waits in the queue (FIFO, up to the
    /// acquire timeout) until a connection thread takes it.
    private func runLeased<R: Sendable>(_ work: @escaping @Sendable (Connection) -> R) async throws -> R {
        let queuedAs = NIOLockedValueBox<PoolBookkeeping<Connection>.WaiterID?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, Error>) in
                let job = Job(
                    run: { connection, check in
                        if let check, !Self.healthy(connection, ping: check) { return nil }
                        let value = work(connection)
                        connection.rollbackQuietly()
                        return ({ continuation.resume(returning: value) }, connection.isOpen)
                    },
                    fail: { continuation.resume(throwing: $0) })
                submit(job) { id in queuedAs.withLockedValue { $0 = id } }
            }
        } onCancel: {
            // Only a job still in the queue is given up; one already taken runs to its end.
            if let id = queuedAs.withLockedValue({ $0 }) { giveUp(waiter: id, with: CancellationError()) }
        }
    }

    /// Finds `job` a connection: an idle one or a new one (on a connection thread), or a place in
    /// the queue (`queued` learns its id, for cancellation).
    private func submit(_ job: Job, queued: (PoolBookkeeping<Connection>.WaiterID) -> Void = { _ in }) {
        let deadline = ContinuousClock.now + configuration.acquireTimeout
        let (decision, expired, id, startTimeoutTask) = state.withLockedValue { state in
            let (decision, expired) = state.bookkeeping.acquire(now: .now)
            guard case .wait = decision else { return (decision, expired, PoolBookkeeping<Connection>.WaiterID?.none, false) }
            let id = state.bookkeeping.enqueueWaiter(deadline: deadline)
            state.waiting[id] = job
            guard !state.timeoutTaskRunning else { return (decision, expired, id, false) }
            state.timeoutTaskRunning = true
            state.timeoutTasksStarted += 1
            return (decision, expired, id, true)
        }
        closeInBackground(expired)
        switch decision {
        case .closed:
            job.fail(DatabaseError.poolClosed)
        case .reuse(let connection, _, let ping):
            onConnectionThread(failing: job, releasing: connection) { self.drive(.run(connection, job, check: ping)) }
        case .open:
            onConnectionThread(failing: job, releasing: nil) { self.drive(.open(job)) }
        case .wait:
            if let id { queued(id) }
            if startTimeoutTask { startTimeoutTaskNow() }
            if Task.isCancelled, let id { giveUp(waiter: id, with: CancellationError()) }
        }
    }

    /// Runs `body` on a free connection thread; if the thread pool is shut down, fails the job and
    /// gives back the connection (or the reserved slot) instead.
    private func onConnectionThread(failing job: Job, releasing connection: Connection?, _ body: @escaping @Sendable () -> Void) {
        let unchecked = UncheckedBox((job, connection))
        threads.submit { state in
            guard case .active = state else {
                let (job, connection) = unchecked.value
                if let connection {
                    self.release(connection, reusable: false)
                } else {
                    self.deliver(self.state.withLockedValue { $0.bookkeeping.openFailed() })
                }
                job.fail(DatabaseError.poolClosed)
                return
            }
            body()
        }
    }

    /// What a connection thread does next.
    private enum Step {
        /// Run this job with this connection (`check`: the idle connection's health check first,
        /// nil when it comes straight from another job).
        case run(Connection, Job, check: Bool?)
        /// Open a connection for this job, in the slot reserved for it.
        case open(Job)
        case done
    }

    /// On a connection thread: runs jobs, each handing its connection on to the next queued job,
    /// until none is left. A connection that fails its health check is replaced and its job looks
    /// for another; a connection that cannot be opened fails its job and passes the slot on.
    private func drive(_ first: Step) {
        var step = first
        while true {
            switch step {
            case .done:
                return
            case .open(let job):
                do {
                    step = .run(try Connection(connectionString: configuration.connectionString), job, check: nil)
                } catch {
                    job.fail(error)
                    step = state.withLockedValue { state in
                        Self.step(after: state.bookkeeping.openFailed(), in: &state)
                    }
                }
            case .run(let connection, let job, let check):
                if let (resume, reusable) = job.run(connection, check) {
                    step = handOn(connection, reusable: reusable)
                    resume()  // the connection is handed on before the caller goes on
                } else {
                    logger.info("discarding a broken idle connection")
                    submit(job)
                    step = handOn(connection, reusable: false)
                }
            }
        }
    }

    /// Gives `connection` back to the bookkeeping; the next step of this connection thread.
    private func handOn(_ connection: Connection, reusable: Bool) -> Step {
        let (toClose, next) = state.withLockedValue { state in
            let (toClose, handover) = state.bookkeeping.release(connection, openedAt: connection.openedAt,
                                                                reusable: reusable, now: .now)
            return (toClose, Self.step(after: handover, in: &state))
        }
        if let toClose {
            if !reusable { logger.info("closing a broken connection; it will be replaced") }
            toClose.close()  // on this connection thread already
        }
        return next
    }

    /// The step a handover leads to: its queued job, taken from the queue (under the state lock).
    private static func step(after handover: PoolBookkeeping<Connection>.Handover?, in state: inout State) -> Step {
        guard let handover, let job = state.waiting.removeValue(forKey: waiter(of: handover)) else { return .done }
        switch handover {
        case .connection(let connection, _, _): return .run(connection, job, check: nil)
        case .openSlot: return .open(job)
        }
    }

    private static func waiter(of handover: PoolBookkeeping<Connection>.Handover) -> PoolBookkeeping<Connection>.WaiterID {
        switch handover {
        case .connection(_, _, let id): id
        case .openSlot(let id): id
        }
    }

    /// The health check of an idle connection, on its connection thread.
    private static func healthy(_ connection: Connection, ping: Bool) -> Bool {
        guard connection.looksHealthy() else { return false }
        if ping { return (try? connection.run("SELECT 1")) != nil }
        return true
    }

    /// The pool's one timeout task: sleeps until the earliest waiter's deadline, fails the waiters
    /// past theirs, and goes on while anyone waits. Under load the earliest waiter has usually
    /// been served long before its deadline, so the task wakes about once per timeout period.
    private func startTimeoutTaskNow() {
        Task { [weak self] in
            var next = self?.expireTimedOutWaiters()
            while let deadline = next {
                try? await Task.sleep(until: deadline, clock: .continuous)
                next = self?.expireTimedOutWaiters()
            }
        }
    }

    /// Fails the waiters past their deadline; returns the next deadline, or nil (and marks the
    /// timeout task stopped) when nobody waits.
    private func expireTimedOutWaiters() -> ContinuousClock.Instant? {
        let (expired, next) = state.withLockedValue { state in
            let ids = state.bookkeeping.expireWaiters(now: .now)
            let expired = ids.compactMap { state.waiting.removeValue(forKey: $0) }
            let next = state.bookkeeping.nextDeadline
            if next == nil { state.timeoutTaskRunning = false }
            return (expired, next)
        }
        let seconds = configuration.acquireTimeout.seconds
        for job in expired { job.fail(DatabaseError.poolTimeout(seconds: seconds)) }
        return next
    }

    /// Timeout tasks started so far (see `State.timeoutTasksStarted`).
    var timeoutTasksStarted: Int { state.withLockedValue { $0.timeoutTasksStarted } }

    private func giveUp(waiter id: PoolBookkeeping<Connection>.WaiterID, with error: Error) {
        let job = state.withLockedValue { state in
            state.bookkeeping.removeWaiter(id) ? state.waiting.removeValue(forKey: id) : nil
        }
        job?.fail(error)
    }

    /// Gives `connection` back from outside a connection thread (the thread pool was shut down).
    private func release(_ connection: Connection, reusable: Bool) {
        let (toClose, handover) = state.withLockedValue {
            $0.bookkeeping.release(connection, openedAt: connection.openedAt, reusable: reusable, now: .now)
        }
        if let toClose { closeInBackground([toClose]) }
        deliver(handover)
    }

    /// Serves the job a handover names, from outside a connection thread.
    private func deliver(_ handover: PoolBookkeeping<Connection>.Handover?) {
        guard let handover else { return }
        let job = state.withLockedValue { $0.waiting.removeValue(forKey: Self.waiter(of: handover)) }
        guard let job else { return }
        switch handover {
        case .connection(let connection, _, _):
            onConnectionThread(failing: job, releasing: connection) { self.drive(.run(connection, job, check: nil)) }
        case .openSlot:
            onConnectionThread(failing: job, releasing: nil) { self.drive(.open(job)) }
        }
    }

    /// PQfinish may block (it sends a Terminate message), so it runs on a connection thread too.
    private func closeInBackground(_ connections: [Connection]) {
        guard !connections.isEmpty else { return }
        let threads = self.threads
        Task { for connection in connections { _ = try? await threads.runIfActive { connection.close() } } }
    }
}

/// Carries values that are not `Sendable` to the connection thread that alone uses them.
private struct UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Carries a result whose error is not `Sendable` across the thread hop; exactly one task reads it.
private struct UncheckedResult<T>: @unchecked Sendable {
    var result: Result<T, Error>
    init(_ result: Result<T, Error>) { self.result = result }
}
