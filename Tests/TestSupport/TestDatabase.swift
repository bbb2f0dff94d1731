import Database
import Foundation

/// The PostgreSQL server that `make test` (scripts/test) starts for the suite.
///
/// Integration tests never mock the database: they run against this server, each in a database
/// of its own (`withFreshDatabase`), so tests can run in parallel without seeing each other.
public enum TestDatabase {
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String {
            "BANK_TEST_DATABASE_URL is not set: run the integration tests with `make test`, which starts a PostgreSQL server"
        }
    }

    /// The URL of the suite's `bank` database. Throws (failing the test) when the suite runs
    /// without a server, so an integration test can never pass by not running.
    public static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["BANK_TEST_DATABASE_URL"], !url.isEmpty else {
            throw NotConfigured()
        }
        return url
    }

    /// The same server, another database.
    public static func url(database name: String) throws -> String {
        let base = try url()
        guard let slash = base.range(of: "/bank") else { return base }
        return base.replacingCharacters(in: slash, with: "/\(name)")
    }

    /// Creates an empty database for one test, runs `body` with its URL, and drops it afterwards.
    public static func withFreshDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        // Off the cooperative pool: creating a database blocks, and so do most bodies.
        try await withTaskExecutorPreference(BlockingAllowedExecutor.shared) {
            let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
            let admin = try Connection(connectionString: try url())
            try admin.run("CREATE DATABASE \(name)")
            defer {
                _ = try? admin.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
                admin.close()
            }
            return try await body(try url(database: String(name)))
        }
    }

    /// Every row of `sql` on `url`, as text (NULL as nil), on a connection of its own.
    public static func query(_ url: String, _ sql: String, _ parameters: [any SQLEncodable] = []) throws -> [[String?]] {
        let connection = try Connection(connectionString: url)
        defer { connection.close() }
        let result = try connection.execute(sql, parameters)
        return try result.map { row in try (0..<result.columnCount).map { try row.decode(String?.self, at: $0) } }
    }

    /// Runs SQL text (several statements allowed) on `url`, on a connection of its own.
    public static func run(_ url: String, _ sql: String) throws {
        let connection = try Connection(connectionString: url)
        defer { connection.close() }
        try connection.run(sql)
    }

    /// Begins the transaction of a test's "other process", which holds a row or table lock for a
    /// while, at READ COMMITTED. It takes the same locks, and the test's serializable transactions
    /// still fail with 40001 when it commits; but it is not a serializable transaction, which
    /// matters on the suite's shared server: while one stays open, PostgreSQL keeps the predicate
    /// lock bookkeeping of every serializable transaction committed since it began, in every
    /// database, and once that overflows it summarises, after which unrelated transactions of
    /// other tests fail ("Canceled on identification as a pivot"; seen with a holder open for 40 s
    /// on a loaded machine).
    public static func beginLockHolder(_ connection: Connection) throws {
        try connection.run("BEGIN ISOLATION LEVEL READ COMMITTED")
    }

    /// Waits until a session of `url`'s database waits for a lock: the moment a test's outside
    /// transaction, holding a row, should commit to force a 40001. Throws after 60 s without one
    /// (a hang guard: on a loaded machine the server's first update can take seconds to arrive).
    public static func waitForLockWaiter(_ url: String) async throws {
        let admin = try Connection(connectionString: url)
        defer { admin.close() }
        let deadline = ContinuousClock.now + .seconds(60)
        while try admin.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")[0]
            .decode(Int64.self, at: 0) == 0 {
            guard ContinuousClock.now < deadline else { throw NoLockWaiter() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    public struct NoLockWaiter: Error, CustomStringConvertible {
        public var description: String { "no session waited for a lock within 60 s" }
    }

    /// The package's top folder (this file is Tests/TestSupport/TestDatabase.swift).
    public static let packageRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()
}
