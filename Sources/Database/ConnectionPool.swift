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
public final class ConnectionPool: Sendable {
    public let configuration: PoolConfiguration
    private let logger: Logger
    private let threads: NIOThreadPool
    private let state: NIOLockedValueBox<State>

    private struct State {
        var bookkeeping: PoolBookkeeping<Connection>
        var waiting: [PoolBookkeeping<Connection>.WaiterID: Waiter] = [:]
        var retries = 0
        /// The one timeout task is alive (it sleeps until the earliest waiter's deadline).
        var timeoutTaskRunning = false
        /// Timeout tasks started since the pool was made (for tests: one per busy spell, not one
        /// per waiter).
        var timeoutTasksStarted = 0
    }

    /// A caller waiting for a connection.
    ///
    /// Waiters do not get a timer each: one task sleeps until the earliest deadline and fails the
    /// waiters past theirs (`expireTimedOutWaiters`). A cancelled `Task.sleep` still keeps its
    /// wake-up job queued until the deadline, so a 5-second timer per waiting request, even
    /// cancelled once served, kept tens of thousands of jobs alive under load (about 30 MB of the
    /// 75 MB peak RSS of `make bench`).
    private typealias Waiter = CheckedContinuation<Grant, Error>

    /// A leased connection, and whether it sat idle (so needs a health check before use).
    private struct Lease: @unchecked Sendable {
        var connection: Connection
        /// nil: fresh or handed over straight from another caller; false: the no-round-trip
        /// check; true: also a `SELECT 1` (idle longer than `pingAfterIdle`).
        var check: Bool?
    }

    /// What a waiter is handed: a connection, or the right to open one.
    private enum Grant: @unchecked Sendable {
        case connection(Connection)
        case openSlot
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
        let (idle, waiters) = state.withLockedValue { state -> ([Connection], [Waiter]) in
            let (idle, failed) = state.bookkeeping.close()
            let continuations = failed.compactMap { state.waiting.removeValue(forKey: $0) }
            return (idle, continuations)
        }
        waiters.forEach { $0.resume(throwing: DatabaseError.poolClosed) }
        for connection in idle { _ = try? await threads.runIfActive { connection.close() } }
        try? await threads.shutdownGracefully()
    }

    // MARK: - Leasing

    /// Leases a connection and runs `work` on a connection thread: one hop there and one back.
    /// An idle connection's health check runs in the same hop, just before `work` (a separate hop
    /// for it cost a thread wake-up per request); a connection that fails it is replaced and the
    /// work runs on another one. The connection is tidied (a transaction left open is rolled back)
    /// in the same hop too, then returned to the pool.
    private func runLeased<R: Sendable>(_ work: @escaping @Sendable (Connection) -> R) async throws -> R {
        while true {
            let lease = try await acquire()
            let connection = lease.connection
            let check = lease.check
            let outcome: (value: R?, reusable: Bool)
            do {
                outcome = try await threads.runIfActive {
                    if let check, !Self.healthy(connection, ping: check) { return (nil, false) }
                    let value = work(connection)
                    connection.rollbackQuietly()
                    return (value, connection.isOpen)
                }
            } catch {
                // Only a shut-down thread pool throws here: the work did not run.
                release(connection, reusable: false)
                throw DatabaseError.poolClosed
            }
            if outcome.value == nil, check != nil, !outcome.reusable {
                logger.info("discarding a broken idle connection")
            }
            release(connection, reusable: outcome.reusable)
            if let value = outcome.value { return value }
        }
    }

    /// The health check of an idle connection, on its connection thread.
    private static func healthy(_ connection: Connection, ping: Bool) -> Bool {
        guard connection.looksHealthy() else { return false }
        if ping { return (try? connection.run("SELECT 1")) != nil }
        return true
    }

    private func acquire() async throws -> Lease {
        let (decision, expired) = state.withLockedValue { $0.bookkeeping.acquire(now: .now) }
        closeInBackground(expired)
        switch decision {
        case .closed:
            throw DatabaseError.poolClosed
        case .reuse(let connection, _, let ping):
            return Lease(connection: connection, check: ping)
        case .open:
            return Lease(connection: try await openInReservedSlot(), check: nil)
        case .wait:
            switch try await waitForGrant() {
            case .connection(let connection): return Lease(connection: connection, check: nil)
            case .openSlot: return Lease(connection: try await openInReservedSlot(), check: nil)
            }
        }
    }

    private func openInReservedSlot() async throws -> Connection {
        let connectionString = configuration.connectionString
        do {
            return try await threads.runIfActive { try Connection(connectionString: connectionString) }
        } catch {
            let handover = state.withLockedValue { $0.bookkeeping.openFailed() }
            deliver(handover)
            if error is DatabaseError { throw error }
            throw DatabaseError.poolClosed
        }
    }

    private func waitForGrant() async throws -> Grant {
        let deadline = ContinuousClock.now + configuration.acquireTimeout
        let waiterBox = NIOLockedValueBox<PoolBookkeeping<Connection>.WaiterID?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (id, startTimeoutTask) = state.withLockedValue { state in
                    let id = state.bookkeeping.enqueueWaiter(deadline: deadline)
                    state.waiting[id] = continuation
                    guard !state.timeoutTaskRunning else { return (id, false) }
                    state.timeoutTaskRunning = true
                    state.timeoutTasksStarted += 1
                    return (id, true)
                }
                waiterBox.withLockedValue { $0 = id }
                if startTimeoutTask { startTimeoutTaskNow() }
                // Cancelled before the id was known to the cancellation handler.
                if Task.isCancelled { giveUp(waiter: id, with: CancellationError()) }
            }
        } onCancel: {
            if let id = waiterBox.withLockedValue({ $0 }) { giveUp(waiter: id, with: CancellationError()) }
        }
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
        for waiter in expired { waiter.resume(throwing: DatabaseError.poolTimeout(seconds: seconds)) }
        return next
    }

    /// Timeout tasks started so far (see `State.timeoutTasksStarted`).
    var timeoutTasksStarted: Int { state.withLockedValue { $0.timeoutTasksStarted } }

    private func giveUp(waiter id: PoolBookkeeping<Connection>.WaiterID, with error: Error) {
        let waiter = state.withLockedValue { state in
            state.bookkeeping.removeWaiter(id) ? state.waiting.removeValue(forKey: id) : nil
        }
        waiter?.resume(throwing: error)
    }

    private func release(_ connection: Connection, reusable: Bool) {
        let (toClose, handover) = state.withLockedValue {
            $0.bookkeeping.release(connection, openedAt: connection.openedAt, reusable: reusable, now: .now)
        }
        if let toClose {
            if !reusable { logger.info("closing a broken connection; it will be replaced") }
            closeInBackground([toClose])
        }
        deliver(handover)
    }

    private func deliver(_ handover: PoolBookkeeping<Connection>.Handover?) {
        guard let handover else { return }
        let (id, grant): (PoolBookkeeping<Connection>.WaiterID, Grant) = switch handover {
        case .connection(let connection, _, let id): (id, .connection(connection))
        case .openSlot(let id): (id, .openSlot)
        }
        let waiter = state.withLockedValue { $0.waiting.removeValue(forKey: id) }
        waiter?.resume(returning: grant)
    }

    /// PQfinish may block (it sends a Terminate message), so it runs on a connection thread too.
    private func closeInBackground(_ connections: [Connection]) {
        guard !connections.isEmpty else { return }
        let threads = self.threads
        Task { for connection in connections { _ = try? await threads.runIfActive { connection.close() } } }
    }
}

/// Carries a result whose error is not `Sendable` across the thread hop; exactly one task reads it.
private struct UncheckedResult<T>: @unchecked Sendable {
    var result: Result<T, Error>
    init(_ result: Result<T, Error>) { self.result = result }
}
