@testable import Database
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import TestSupport
import Testing

/// The pool's shell against a real server: its threads, timer, cancellation, broken connections,
/// leftovers, restarts. Its decisions in every order of events are `PoolStateMachineTests`.
@Suite struct ConnectionPoolTests {
    @Test func exhaustionGivesTheTimeoutErrorNotAHang() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(
            connectionString: try TestDatabase.url(), maximum: 1, acquireTimeout: .milliseconds(200)))
        // The holder keeps the only connection until the test lets it go, not for a fixed time:
        // on a loaded machine this task may not run again for seconds.
        let release = DispatchSemaphore(value: 0)
        let holder = Task(executorPreference: BlockingAllowedExecutor.shared) { try await pool.withConnection { _ in release.wait() } }
        // Once the holder has the only connection (however late its task starts).
        while pool.statistics.open != 1 || pool.statistics.idle != 0 { try await Task.sleep(for: .milliseconds(10)) }
        // The timeout error: the caller gave up at its deadline instead of waiting for the holder.
        // No clock is read here: PoolStateMachineTests check the deadline with a mock clock.
        await #expect {
            try await pool.withConnection { try $0.run("SELECT 1") }
        } throws: { error in
            guard case DatabaseError.poolTimeout = error else { return false }
            return (error as? DatabaseError)?.isUnavailable == true
        }
        release.signal()
        try await holder.value
        // Once the holder is done, the connection is free again.
        #expect(try await pool.withConnection { try $0.execute("SELECT 41 + 1").first!.decode(Int64.self, at: 0) } == 42)
        await pool.shutdown()
    }

    @Test func onPostgreSQLPoolConnectionsAvoidSequentialScansUnlessToldNotTo() async throws {
        for prefer in [true, false] {
            let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: try TestDatabase.url(), preferIndexScans: prefer))
            let (setting, plan) = try await pool.withConnection { connection in
                try connection.run("CREATE TEMPORARY TABLE tiny (id INT8 PRIMARY KEY, name TEXT); INSERT INTO tiny VALUES (1, 'a'); ANALYZE tiny")
                let setting = try connection.execute("SHOW enable_seqscan")[0].decode(String.self, at: 0)
                // A one-row table: the planner's cheapest plan is a scan of the whole table, and
                // under SERIALIZABLE that locks the whole table against concurrent writers.
                let plan = try connection.execute("EXPLAIN SELECT name FROM tiny WHERE id = $1", [Int64(1)])
                    .map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
                return (setting, plan)
            }
            await pool.shutdown()
            #expect(setting == (prefer ? "off" : "on"))
            #expect(plan.contains("Seq Scan") == !prefer, "\(plan)")
        }
    }

    /// Work queued for a connection runs exactly once, on the connection thread that frees up,
    /// whatever the number of callers, on no more connections than the maximum; a cancelled
    /// caller's queued work never runs.
    @Test func queuedWorkRunsExactlyOnceAndCancelledWorkNever() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: try TestDatabase.url(), maximum: 2))
        let runs = NIOLockedValueBox([Int: Int]())
        let results = try await withThrowingTaskGroup(of: (Int, Int64, Int32).self) { group in
            for i in 0..<200 {
                group.addTask {
                    let (value, pid) = try await pool.withConnection { connection in
                        runs.withLockedValue { $0[i, default: 0] += 1 }
                        let row = try connection.execute("SELECT $1::INT8 * 2, pg_backend_pid()", [Int64(i)])[0]
                        return (try row.decode(Int64.self, at: 0), try row.decode(Int32.self, at: 1))
                    }
                    return (i, value, pid)
                }
            }
            return try await group.reduce(into: [(Int, Int64, Int32)]()) { $0.append($1) }
        }
        #expect(results.count == 200 && results.allSatisfy { $0.1 == Int64($0.0) * 2 })
        #expect(runs.withLockedValue { $0 }.values.allSatisfy { $0 == 1 })
        #expect(Set(results.map(\.2)).count <= 2)
        #expect(pool.statistics.open <= 2 && pool.statistics.waiting == 0)

        // The only free connections held, a queued caller cancelled: its work never runs.
        let release = DispatchSemaphore(value: 0)
        let holders = (0..<2).map { _ in Task(executorPreference: BlockingAllowedExecutor.shared) { try await pool.withConnection { _ in release.wait() } } }
        while pool.statistics.open < 2 || pool.statistics.idle > 0 { try await Task.sleep(for: .milliseconds(10)) }
        let ranCancelled = NIOLockedValueBox(false)
        let cancelled = Task(executorPreference: BlockingAllowedExecutor.shared) { try await pool.withConnection { _ in ranCancelled.withLockedValue { $0 = true } } }
        while pool.statistics.waiting == 0 { try await Task.sleep(for: .milliseconds(10)) }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(pool.statistics.waiting == 0)
        release.signal(); release.signal()
        for holder in holders { try await holder.value }
        #expect(!ranCancelled.withLockedValue { $0 })
        #expect(try await pool.withConnection { try $0.execute("SELECT 1").count } == 1)
        await pool.shutdown()
    }

    @Test func aTerminatedConnectionIsReplacedAndTheNextRequestWorks() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: try TestDatabase.url(), maximum: 1))
        let firstPID = try await pool.withConnection { c in
            try c.execute("SELECT pg_backend_pid()").first!.decode(Int32.self, at: 0)
        }
        let admin = try Connection(connectionString: try TestDatabase.url())
        try admin.execute("SELECT pg_terminate_backend($1)", [firstPID])
        try await Task.sleep(for: .milliseconds(100))
        let secondPID = try await pool.withConnection { c in
            try c.execute("SELECT pg_backend_pid()").first!.decode(Int32.self, at: 0)
        }
        #expect(secondPID != firstPID)
        await pool.shutdown()
    }

    @Test func aTransactionLeftOpenIsRolledBackOnReturn() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: url, maximum: 1))
            _ = try await pool.withConnection { c in try c.run("CREATE TABLE notes (body TEXT)") }
            try await pool.withConnection { c in
                try c.run("BEGIN")
                try c.execute("INSERT INTO notes VALUES ($1)", ["left open"])
            }
            let (status, count) = try await pool.withConnection { c in
                (c.transactionStatus == .idle, try c.execute("SELECT count(*) FROM notes").first!.decode(Int64.self, at: 0))
            }
            #expect(status)
            #expect(count == 0)
            await pool.shutdown()
        }
    }

    /// Nobody asks for a connection, yet the one past its idle time is closed: the pool's timer.
    @Test func anIdleConnectionIsClosedByTheTimerUnasked() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(
            connectionString: try TestDatabase.url(), maximum: 2, maxIdleTime: .milliseconds(200)))
        #expect(try await pool.withConnection { try $0.execute("SELECT 1").count } == 1)
        #expect(pool.statistics.open == 1)
        let deadline = ContinuousClock.now + .seconds(20)
        while pool.statistics.open > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(pool.statistics.open == 0)
        #expect(try await pool.withConnection { try $0.execute("SELECT 1").count } == 1)
        await pool.shutdown()
    }

    /// The retry wrapper's async form waits with the pool's injected sleep, and draws its jitter
    /// from the pool's injected random source.
    @Test func theAsyncRetryWrapperUsesTheInjectedSleepAndRandomSource() async throws {
        let sleeps = NIOLockedValueBox([Duration]())
        let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: try TestDatabase.url(), maximum: 1),
                                  sleep: { duration in sleeps.withLockedValue { $0.append(duration) } },
                                  random: { 0.5 })
        let attempts = NIOLockedValueBox(0)
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(40), maxDelay: .seconds(1))
        let committed = try await pool.transaction(TransactionOptions(retry: policy)) { connection in
            let attempt = attempts.withLockedValue { $0 += 1; return $0 }
            if attempt < 3 { throw DatabaseError.server(ServerError(sqlState: "40001", message: "restart transaction")) }
            return try connection.execute("SELECT 7")[0].decode(Int64.self, at: 0)
        }
        #expect(committed.value == 7 && committed.attempts == 3)
        #expect(sleeps.withLockedValue { $0 } == [.milliseconds(20), .milliseconds(40)])
        #expect(pool.statistics.retries == 2)
        await pool.shutdown()
    }

    /// A database nobody answers for: every caller hears at once, with the connect error, that it
    /// is unavailable, instead of waiting out the acquire timeout.
    @Test func aDeadDatabaseIsReportedAtOnceToEveryCaller() async throws {
        let url = "postgresql://django@127.0.0.1:\(try PrivateCluster.freePortForTests())/bank?sslmode=disable"
        let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: url, maximum: 4, acquireTimeout: .seconds(30)))
        let errors = await withTaskGroup(of: (any Error)?.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    do { _ = try await pool.withConnection { try $0.execute("SELECT 1").count }; return nil } catch { return error }
                }
            }
            return await group.reduce(into: [(any Error)?]()) { $0.append($1) }
        }
        #expect(errors.count == 40)
        #expect(errors.allSatisfy { error in
            guard case DatabaseError.connection? = error as? DatabaseError else { return false }
            return (error as? DatabaseError)?.isUnavailable == true
        })
        let statistics = pool.statistics
        #expect(statistics.open == 0 && statistics.idle == 0 && statistics.waiting == 0 && statistics.retries == 0)
        // Connects back off while they fail: far fewer attempts than callers, and none succeeded.
        #expect(statistics.connects == 0 && statistics.failedConnects >= 1 && statistics.failedConnects < 40)
        #expect(statistics.acquires == 0)
        await pool.shutdown()
    }

    @Test func aShutDownPoolRefusesWork() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: try TestDatabase.url()))
        await pool.shutdown()
        await #expect(throws: DatabaseError.self) { try await pool.withConnection { try $0.run("SELECT 1") } }
    }

    @Test func thePoolRecoversByItselfAfterTheDatabaseRestarts() async throws {
        // Off Swift's two cooperative threads: creating, stopping and starting a cluster blocks for
        // seconds, and other tests' tasks would wait behind it.
        try await withTaskExecutorPreference(BlockingAllowedExecutor.shared) {
            let cluster = try PrivateCluster()
            defer { cluster.destroy() }
            let pool = ConnectionPool(configuration: PoolConfiguration(
                connectionString: cluster.url, maximum: 2, acquireTimeout: .seconds(2)))
            #expect(try await pool.transaction { try $0.execute("SELECT 1").count }.value == 1)

            try cluster.stop()
            await #expect {
                try await pool.transaction(TransactionOptions(retry: RetryPolicy(maxAttempts: 2))) { try $0.execute("SELECT 1").count }
            } throws: { ($0 as? DatabaseError)?.isUnavailable == true }

            try cluster.start()
            // The pooled connections died with the old server; the pool replaces them unasked.
            #expect(try await pool.transaction { try $0.execute("SELECT 1").count }.value == 1)
            #expect(try await pool.withConnection { try $0.execute("SELECT 2").count } == 1)
            await pool.shutdown()
        }
    }
}
