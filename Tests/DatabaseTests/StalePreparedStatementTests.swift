import Database
import TestSupport
import Testing

/// Prepared statements the server lost (26000: DISCARD ALL, a pooler in between) or must plan
/// again (0A000 "cached plan must not change result type", after a schema change) are prepared
/// again on every path: a statement on its own, the first one of a transaction, one in the
/// middle of a transaction (the retry wrapper reruns it), and a single-statement transaction.
@Suite struct StalePreparedStatementTests {
    func withTable(_ body: (String, Connection) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { url in
            let connection = try Connection(connectionString: url)
            defer { connection.close() }
            try connection.run("CREATE TABLE notes (id INT8 PRIMARY KEY, body TEXT NOT NULL); INSERT INTO notes VALUES (1, 'a')")
            try await body(url, connection)
        }
    }

    @Test func aStatementOnItsOwnIsPreparedAgain() async throws {
        try await withTable { _, connection in
            #expect(try connection.execute("SELECT * FROM notes WHERE id = $1", [Int64(1)]).columnCount == 2)
            try connection.run("ALTER TABLE notes ADD COLUMN extra INT8")
            #expect(try connection.execute("SELECT * FROM notes WHERE id = $1", [Int64(1)]).columnCount == 3)
            try connection.run("DEALLOCATE ALL")
            #expect(try connection.execute("SELECT * FROM notes WHERE id = $1", [Int64(1)]).columnCount == 3)
            #expect(connection.transactionStatus == .idle)
        }
    }

    @Test func theFirstStatementOfATransactionIsPreparedAgainInTheSameAttempt() async throws {
        try await withTable { _, connection in
            _ = try connection.execute("SELECT * FROM notes WHERE id = $1", [Int64(1)])
            try connection.run("ALTER TABLE notes ADD COLUMN extra INT8")
            let committed = try connection.transaction { tx in
                let columns = try tx.execute("SELECT * FROM notes WHERE id = $1", [Int64(1)]).columnCount
                try tx.execute("UPDATE notes SET body = 'b' WHERE id = 1")
                return columns
            }
            #expect(committed.value == 3 && committed.attempts == 1)
            #expect(try connection.execute("SELECT body FROM notes")[0].decode(String.self, at: 0) == "b")
        }
    }

    @Test func aStatementInTheMiddleOfATransactionMakesTheWrapperRerunIt() async throws {
        try await withTable { _, connection in
            _ = try connection.execute("SELECT * FROM notes WHERE id = $1", [Int64(1)])
            try connection.run("ALTER TABLE notes ADD COLUMN extra INT8")
            var sleeps = 0
            let committed = try connection.transaction(sleep: { _ in sleeps += 1 }) { tx in
                try tx.execute("UPDATE notes SET body = body || 'x' WHERE id = 1")
                return try tx.execute("SELECT * FROM notes WHERE id = $1", [Int64(1)]).columnCount
            }
            #expect(committed.value == 3 && committed.attempts == 2 && sleeps == 1)
            // The first attempt's update was rolled back: one 'x' only.
            #expect(try connection.execute("SELECT body FROM notes")[0].decode(String.self, at: 0) == "ax")
        }
    }

    @Test func aSingleStatementTransactionIsPreparedAgainInTheSameAttempt() async throws {
        try await withTable { url, admin in
            let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: url, maximum: 1))
            let select = "SELECT * FROM notes WHERE id = $1"
            #expect(try await pool.transaction(statement: select, [Int64(1)]) { $0.columnCount }.value == 2)
            try admin.run("ALTER TABLE notes ADD COLUMN extra INT8")
            let replanned = try await pool.transaction(statement: select, [Int64(1)]) { $0.columnCount }
            #expect(replanned.value == 3 && replanned.attempts == 1)
            _ = try await pool.withConnection { try $0.run("DEALLOCATE ALL") }
            let reprepared = try await pool.transaction(statement: select, [Int64(1)]) { $0.columnCount }
            #expect(reprepared.value == 3 && reprepared.attempts == 1)
            #expect(pool.statistics.retries == 0)
            await pool.shutdown()
        }
    }
}
