@testable import Database
import Foundation
import NIOConcurrencyHelpers
import TestSupport
import Testing

/// The pool against a real server: exhaustion, broken connections, leftovers, restarts.
@Suite struct ConnectionPoolTests {
    @Test func exhaustionGivesTheTimeoutErrorNotAHang() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(
            connectionString: try TestDatabase.url(), maximum: 1, acquireTimeout: .milliseconds(200)))
        let holder = Task { try await pool.withConnection { _ in Thread.sleep(forTimeInterval: 1.5) } }
        try await Task.sleep(for: .milliseconds(300))  // the holder has the only connection
        let started = ContinuousClock.now
        await #expect {
            try await pool.withConnection { try $0.run("SELECT 1") }
        } throws: { error in
            guard case DatabaseError.poolTimeout = error else { return false }
            return (error as? DatabaseError)?.isUnavailable == true
        }
        #expect(started.duration(to: .now) < .seconds(1))
        try await holder.value
        // Once the holder is done, the connection is free again.
        #expect(try await pool.withConnection { try $0.execute("SELECT 41 + 1").first!.decode(Int64.self, at: 0) } == 42)
        await pool.shutdown()
    }

    /// One timeout task serves every waiter: a later waiter times out at its own deadline, not at
    /// the first one's and not when the connection finally comes back.
    @Test func eachWaiterTimesOutAtItsOwnDeadline() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(
            connectionString: try TestDatabase.url(), maximum: 1, acquireTimeout: .milliseconds(400)))
        let holder = Task { try await pool.withConnection { _ in Thread.sleep(forTimeInterval: 4) } }
        try await Task.sleep(for: .milliseconds(300))  // the holder has the only connection
        /// How long this caller waited before its timeout (nil: served, or another error).
        @Sendable func timedOutAfter() async -> Duration? {
            let start = ContinuousClock.now
            do {
                try await pool.withConnection { try $0.run("SELECT 1") }
                return nil
            } catch DatabaseError.poolTimeout {
                return start.duration(to: .now)
            } catch {
                return nil
            }
        }
        let first = Task { await timedOutAfter() }
        try await Task.sleep(for: .milliseconds(250))
        let second = Task { await timedOutAfter() }
        let (a, b) = (await first.value, await second.value)
        // Neither before its own deadline; both well before the holder lets go (bounds generous for
        // a loaded machine). A timer that only knew the first deadline would leave the second
        // waiting until the holder is done, then serve it.
        #expect(a != nil && a! >= .milliseconds(395) && a! < .seconds(3))
        #expect(b != nil && b! >= .milliseconds(395) && b! < .seconds(3))
        try await holder.value
        await pool.shutdown()
    }

    /// Waiters served before their deadline leave no timer behind: one timeout task per busy
    /// spell, not one per waiter (a cancelled `Task.sleep` lingers until its deadline, which cost
    /// about 30 MB under `make bench`).
    @Test func servedWaitersDoNotEachStartATimer() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(
            connectionString: try TestDatabase.url(), maximum: 1, acquireTimeout: .seconds(30)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { _ = try await pool.withConnection { try $0.run("SELECT 1") } } }
            try await group.waitForAll()
        }
        #expect(pool.statistics.waiting == 0)
        #expect(pool.timeoutTasksStarted >= 1)
        #expect(pool.timeoutTasksStarted <= 5)
        await pool.shutdown()
    }

    /// Work queued for a connection runs exactly once, on the connection thread that frees up,
    /// whatever the number of callers; a cancelled caller's queued work never runs.
    @Test func queuedWorkRunsExactlyOnceAndCancelledWorkNever() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: try TestDatabase.url(), maximum: 2))
        let runs = NIOLockedValueBox([Int: Int]())
        let results = try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
            for i in 0..<200 {
                group.addTask {
                    let value = try await pool.withConnection { connection in
                        runs.withLockedValue { $0[i, default: 0] += 1 }
                        return try connection.execute("SELECT $1::INT8 * 2", [Int64(i)])[0].decode(Int64.self, at: 0)
                    }
                    return (i, value)
                }
            }
            return try await group.reduce(into: [Int: Int64]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 200 && results.allSatisfy { $0.value == Int64($0.key) * 2 })
        #expect(runs.withLockedValue { $0 }.values.allSatisfy { $0 == 1 })

        // The only free connections held, a queued caller cancelled: its work never runs.
        let release = DispatchSemaphore(value: 0)
        let holders = (0..<2).map { _ in Task { try await pool.withConnection { _ in release.wait() } } }
        while pool.statistics.open < 2 || pool.statistics.idle > 0 { try await Task.sleep(for: .milliseconds(10)) }
        let ranCancelled = NIOLockedValueBox(false)
        let cancelled = Task { try await pool.withConnection { _ in ranCancelled.withLockedValue { $0 = true } } }
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

    @Test func waitersAreServedWhenAConnectionComesBack() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: try TestDatabase.url(), maximum: 2))
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await pool.withConnection { c in
                        Thread.sleep(forTimeInterval: 0.02)
                        return try c.execute("SELECT pg_backend_pid()").first!.decode(Int32.self, at: 0)
                    }
                }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(pids.count <= 2)
        #expect(pool.statistics.open <= 2)
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
            try await pool.withConnection { c in try c.run("CREATE TABLE notes (body TEXT)") }
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

    @Test func aShutDownPoolRefusesWork() async throws {
        let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: try TestDatabase.url()))
        await pool.shutdown()
        await #expect(throws: DatabaseError.self) { try await pool.withConnection { try $0.run("SELECT 1") } }
    }

    @Test func thePoolRecoversByItselfAfterTheDatabaseRestarts() async throws {
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
