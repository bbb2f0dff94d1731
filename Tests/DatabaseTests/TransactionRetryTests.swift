import Database
import Foundation
import TestSupport
import Testing

/// The retry wrapper against real serialization failures.
@Suite struct TransactionRetryTests {
    /// A table with one counter row, in a database of the test's own.
    func withCounter(_ body: (String) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { url in
            let setup = try Connection(connectionString: url)
            try setup.run("CREATE TABLE counters (id INT8 PRIMARY KEY, value INT8 NOT NULL); INSERT INTO counters VALUES (1, 0)")
            try await body(url)
        }
    }

    /// Reads the counter, lets another connection change it and commit, then writes: under
    /// SERIALIZABLE the write (or COMMIT) fails with 40001.
    func conflictingIncrement(_ connection: Connection, interferer: Connection) throws {
        let value = try connection.execute("SELECT value FROM counters WHERE id = 1").first!.decode(Int64.self, at: 0)
        try interferer.execute("UPDATE counters SET value = value + 100 WHERE id = 1")
        try connection.execute("UPDATE counters SET value = $1 WHERE id = 1", [value + 1])
    }

    @Test func aRealSerializationFailureIsRetriedAndTheFinalValueIsRight() async throws {
        try await withCounter { url in
            let connection = try Connection(connectionString: url)
            let interferer = try Connection(connectionString: url)
            var attemptsSeen = 0
            var sleeps: [Duration] = []
            let committed = try connection.transaction(sleep: { sleeps.append($0) }) { tx in
                attemptsSeen += 1
                if attemptsSeen == 1 {
                    try conflictingIncrement(tx, interferer: interferer)
                } else {
                    let value = try tx.execute("SELECT value FROM counters WHERE id = 1").first!.decode(Int64.self, at: 0)
                    try tx.execute("UPDATE counters SET value = $1 WHERE id = 1", [value + 1])
                }
            }
            #expect(committed.attempts == 2)
            #expect(attemptsSeen == 2)
            #expect(sleeps.count == 1)
            let final = try connection.execute("SELECT value FROM counters WHERE id = 1").first!.decode(Int64.self, at: 0)
            #expect(final == 101)  // the interferer's +100 and our +1, neither lost
        }
    }

    @Test func exhaustionGivesTheDistinctErrorAndBackoffIsCapped() async throws {
        try await withCounter { url in
            let connection = try Connection(connectionString: url)
            let interferer = try Connection(connectionString: url)
            let policy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(50), maxDelay: .milliseconds(80))
            var sleeps: [Duration] = []
            var attempts = 0
            #expect {
                try connection.transaction(TransactionOptions(retry: policy), sleep: { sleeps.append($0) }, random: { 0.999 }) { tx in
                    attempts += 1
                    try conflictingIncrement(tx, interferer: interferer)
                }
            } throws: { error in
                guard case DatabaseError.retriesExhausted(let count, let last) = error else { return false }
                return count == 4 && last.sqlState == "40001"
            }
            #expect(attempts == 4)
            #expect(sleeps.count == 3)
            #expect(sleeps.allSatisfy { $0 <= .milliseconds(80) })
            #expect(sleeps.last! > .milliseconds(79))  // 50, 100→80, 200→80: the cap holds
            #expect(connection.transactionStatus == .idle)
            // Nothing of ours was committed: only the interferer's four +100s.
            #expect(try connection.execute("SELECT value FROM counters WHERE id = 1").first!.decode(Int64.self, at: 0) == 400)
        }
    }

    @Test func aUniqueViolationIsNotRetriedAndRollsBack() async throws {
        try await withCounter { url in
            let connection = try Connection(connectionString: url)
            var attempts = 0
            #expect {
                try connection.transaction { tx in
                    attempts += 1
                    try tx.execute("UPDATE counters SET value = 5 WHERE id = 1")
                    try tx.execute("INSERT INTO counters VALUES (1, 0)")
                }
            } throws: { error in (error as? DatabaseError)?.serverError?.sqlState == "23505" }
            #expect(attempts == 1)
            #expect(try connection.execute("SELECT value FROM counters WHERE id = 1").first!.decode(Int64.self, at: 0) == 0)
        }
    }

    @Test func concurrentIncrementsThroughThePoolAllLand() async throws {
        try await withCounter { url in
            let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: url, maximum: 6))
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        try await pool.transaction { tx in
                            let value = try tx.execute("SELECT value FROM counters WHERE id = 1").first!.decode(Int64.self, at: 0)
                            try tx.execute("UPDATE counters SET value = $1 WHERE id = 1", [value + 1])
                        }.attempts
                    }
                }
                var total = 0
                for try await attempts in group { total += attempts }
                #expect(total >= 30)
                #expect(pool.statistics.retries == total - 30)
            }
            let final = try await pool.withConnection { c in
                try c.execute("SELECT value FROM counters WHERE id = 1").first!.decode(Int64.self, at: 0)
            }
            #expect(final == 30)
            await pool.shutdown()
        }
    }

    @Test func theRetryBudgetRefusesRetriesPastItsShare() async throws {
        try await withCounter { url in
            // Room for one retry in all, and none earned: the second conflict is not retried.
            let budget = RetryBudget(ratio: 0, minimumPerSecond: 0, capacity: 1)
            let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: url, maximum: 2, retryBudget: budget),
                                      sleep: { _ in })
            let interferer = try Connection(connectionString: url)
            defer { interferer.close() }
            for expectedAttempts in [2, 1] {
                await #expect {
                    try await pool.transaction { tx in try self.conflictingIncrement(tx, interferer: interferer) }
                } throws: { error in
                    guard case DatabaseError.retriesExhausted(let attempts, let last) = error else { return false }
                    return attempts == expectedAttempts && last.sqlState == "40001"
                }
            }
            #expect(pool.statistics.retries == 1)
            #expect(pool.statistics.retriesRefused == 2)
            // Nothing of ours committed: only the interferer's three +100s.
            #expect(try interferer.execute("SELECT value FROM counters WHERE id = 1").first!.decode(Int64.self, at: 0) == 300)
            await pool.shutdown()
        }
    }

    @Test func aConnectionLostBeforeCommitIsRetriedOnANewOne() async throws {
        try await withCounter { url in
            let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: url, maximum: 2))
            let killer = try Connection(connectionString: url)
            final class FirstAttempt: @unchecked Sendable { var pending = true }  // attempts run one after another
            let first = FirstAttempt()
            let committed = try await pool.transaction { tx in
                try tx.execute("UPDATE counters SET value = value + 1 WHERE id = 1")
                if first.pending {
                    first.pending = false
                    try killer.execute("SELECT pg_terminate_backend($1)", [Int64(tx.backendPID)])
                    try tx.execute("SELECT 1")  // fails: the backend is gone
                }
            }
            #expect(committed.attempts == 2)
            let final = try killer.execute("SELECT value FROM counters WHERE id = 1").first!.decode(Int64.self, at: 0)
            #expect(final == 1)  // the killed attempt left nothing; the retry committed once
            await pool.shutdown()
        }
    }
}
