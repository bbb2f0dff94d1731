import Database
import Foundation
import TestSupport
import Testing

/// `ConnectionPool.transaction(_:statement:_:rows:)`: BEGIN, one statement and COMMIT in one round
/// trip, with the retry wrapper's rules: conflicts and a connection lost while the statement runs
/// are retried; a connection lost during COMMIT is an unknown outcome, never retried.
@Suite struct SingleStatementTransactionTests {
    func withCounter(_ body: (String, ConnectionPool) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { url in
            let setup = try Connection(connectionString: url)
            try setup.run("CREATE TABLE counters (id INT8 PRIMARY KEY, value INT8 NOT NULL); INSERT INTO counters VALUES (1, 0)")
            setup.close()
            let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: url, maximum: 1))
            try await body(url, pool)
            await pool.shutdown()
        }
    }

    func value(_ url: String) throws -> Int64 {
        let connection = try Connection(connectionString: url)
        defer { connection.close() }
        return try connection.execute("SELECT value FROM counters WHERE id = 1")[0].decode(Int64.self, at: 0)
    }

    /// Waits until a backend of this database sleeps in a statement matching `pattern` (or waits
    /// for a lock, with `pattern` nil), then runs `action` with the admin connection and that pid.
    func whenRunning(_ url: String, _ pattern: String?, _ action: @escaping @Sendable (Connection, Int64) throws -> Void) -> Task<Bool, Error> {
        @Sendable func poll() throws -> Bool {
            let admin = try Connection(connectionString: url)
            defer { admin.close() }
            for _ in 0..<6000 {  // up to 60 s: under the whole suite, tasks can start late
                let rows = try admin.execute("""
                    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                    AND state = 'active' AND (($1::TEXT IS NULL AND wait_event_type = 'Lock') OR (query LIKE $1::TEXT AND wait_event = 'PgSleep'))
                    """, [pattern])
                if let pid = rows.first { try action(admin, try pid.decode(Int64.self, at: 0)); return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }
        // On a thread of its own (libpq blocks), started now: a task could start late when other
        // tests keep Swift's two cooperative threads busy.
        let (outcome, finished) = AsyncStream<Result<Bool, Error>>.makeStream()
        Thread.detachNewThread { finished.yield(Result { try poll() }); finished.finish() }
        return Task(executorPreference: BlockingAllowedExecutor.shared) {
            for await result in outcome { return try result.get() }
            return false
        }
    }

    @Test func commitsAndReturnsTheRows() async throws {
        try await withCounter { url, pool in
            let committed = try await pool.transaction(statement: "UPDATE counters SET value = value + $1 WHERE id = 1 RETURNING value",
                                                       [Int64(5)]) { try $0[0].decode(Int64.self, at: 0) }
            #expect(committed.value == 5 && committed.attempts == 1)
            #expect(try value(url) == 5)
            let read = try await pool.transaction(TransactionOptions(readOnly: true), statement: "SELECT value FROM counters WHERE id = $1",
                                                  [Int64(1)]) { try $0.first?.decode(Int64.self, at: 0) }
            #expect(read.value == 5)
            // The same statement again on the same connection: prepared already, still one attempt.
            let again = try await pool.transaction(statement: "UPDATE counters SET value = value + $1 WHERE id = 1 RETURNING value",
                                                   [Int64(1)]) { try $0[0].decode(Int64.self, at: 0) }
            #expect(again.value == 6 && again.attempts == 1)
        }
    }

    @Test func aStatementErrorRollsBackIsNotRetriedAndTheConnectionGoesOn() async throws {
        try await withCounter { url, pool in
            await #expect {
                _ = try await pool.transaction(statement: "INSERT INTO counters VALUES ($1, 0)", [Int64(1)]) { $0.rowsAffected }
            } throws: { error in
                (error as? DatabaseError)?.serverError?.isUniqueViolation == true
            }
            await #expect {
                _ = try await pool.transaction(TransactionOptions(readOnly: true),
                                               statement: "UPDATE counters SET value = 9 WHERE id = 1") { $0.rowsAffected }
            } throws: { error in
                (error as? DatabaseError)?.serverError?.sqlState == "25006"  // read-only transaction
            }
            #expect(pool.statistics.retries == 0)
            // The one connection of the pool is clean for the next transaction.
            let next = try await pool.transaction(statement: "UPDATE counters SET value = value + 1 WHERE id = 1") { $0.rowsAffected }
            #expect(next.value == 1 && next.attempts == 1)
            #expect(try value(url) == 1)
        }
    }

    @Test func aConflictIsRetried() async throws {
        try await withCounter { url, pool in
            // Another transaction has updated the row and not committed yet.
            let outside = try Connection(connectionString: url)
            defer { outside.close() }
            try TestDatabase.beginLockHolder(outside)
            try outside.execute("UPDATE counters SET value = value + 100 WHERE id = 1")
            let waiting = whenRunning(url, nil) { _, _ in }
            async let committed = pool.transaction(statement: "UPDATE counters SET value = value + 1 WHERE id = 1") { $0.rowsAffected }
            #expect(try await waiting.value)
            try outside.run("COMMIT")  // the waiting update fails with 40001, and runs again
            #expect(try await committed.attempts == 2)
            #expect(try value(url) == 101)
        }
    }

    /// Sent alone (an implicit transaction), the statement's rows come back before the server
    /// commits at the sync; an error at that commit (here a deferred constraint trigger, as SSI's
    /// 40001 at commit) means nothing was written: never reported as committed.
    @Test(arguments: ["23514", "40001"])
    func anImplicitTransactionWhoseCommitFailsIsNotCommitted(sqlState: String) async throws {
        try await withCounter { url, pool in
            try TestDatabase.run(url, """
                CREATE SEQUENCE commits;
                CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('commits') = 1 THEN RAISE EXCEPTION 'refused at commit' USING ERRCODE = '\(sqlState)'; END IF;
                    RETURN NULL;
                END $$;
                CREATE CONSTRAINT TRIGGER refuse_commit AFTER UPDATE ON counters
                  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit();
                """)
            let implicit = TransactionOptions(retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)),
                                              implicit: true)
            if sqlState == "40001" {
                // A conflict at the commit is retried like any other; the second commit succeeds.
                let committed = try await pool.transaction(implicit, statement: "UPDATE counters SET value = value + 1 WHERE id = 1 RETURNING value") {
                    try $0[0].decode(Int64.self, at: 0)
                }
                #expect(committed.value == 1 && committed.attempts == 2)
                #expect(try value(url) == 1)
            } else {
                await #expect {
                    _ = try await pool.transaction(implicit, statement: "UPDATE counters SET value = value + 1 WHERE id = 1 RETURNING value") {
                        try $0[0].decode(Int64.self, at: 0)
                    }
                } throws: { error in
                    (error as? DatabaseError)?.serverError?.sqlState == "23514"
                }
                #expect(try value(url) == 0)
            }
            // The connection goes on.
            let next = try await pool.transaction(implicit, statement: "SELECT value FROM counters WHERE id = 1") { try $0[0].decode(Int64.self, at: 0) }
            #expect(next.value == (sqlState == "40001" ? 1 : 0))
        }
    }

    @Test func aBackendTerminatedWhileTheStatementRunsIsRetried() async throws {
        try await withCounter { url, pool in
            // The first attempt sleeps until it is killed (however late the watcher sees it on a
            // loaded machine); the sequence is not transactional, so the retry does not sleep.
            try TestDatabase.run(url, "CREATE SEQUENCE attempts")
            let killed = whenRunning(url, "UPDATE counters%") { admin, pid in
                try admin.execute("SELECT pg_terminate_backend($1)", [pid])
            }
            let committed = try await pool.transaction(statement: """
                UPDATE counters SET value = value + 1
                    + (SELECT 0 FROM pg_sleep(CASE WHEN nextval('attempts') = 1 THEN 60 ELSE 0 END)) WHERE id = 1
                """) { $0.rowsAffected }
            #expect(try await killed.value)
            #expect(committed.attempts == 2)
            #expect(try value(url) == 1)  // the killed attempt left nothing; the retry committed once
        }
    }

    @Test func aBackendTerminatedDuringCommitIsAnUnknownOutcome() async throws {
        try await withCounter { url, pool in
            let setup = try Connection(connectionString: url)
            try setup.run("""
                CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$;
                CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON counters
                  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();
                """)
            setup.close()
            let killed = whenRunning(url, "COMMIT") { admin, pid in
                try admin.execute("SELECT pg_terminate_backend($1)", [pid])
            }
            await #expect {
                _ = try await pool.transaction(statement: "UPDATE counters SET value = value + 1 WHERE id = 1") { $0.rowsAffected }
            } throws: { error in
                guard case DatabaseError.outcomeUnknown = error else { return false }
                return true
            }
            #expect(try await killed.value)
            #expect(pool.statistics.retries == 0)  // never retried blindly
            #expect(try value(url) == 0)  // here the commit did not happen
        }
    }
}
