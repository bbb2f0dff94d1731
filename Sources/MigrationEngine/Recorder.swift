import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A row of the history table: one applied migration.
public struct AppliedMigration: Equatable, Sendable {
    public var app: String
    public var name: String
    public var checksum: String
}

/// The history table, Django's `django_migrations` with one more column:
///
/// ```sql
/// CREATE TABLE IF NOT EXISTS "django_migrations" (
///     "id" BIGSERIAL NOT NULL PRIMARY KEY,
///     "app" VARCHAR(255) NOT NULL,
///     "name" VARCHAR(255) NOT NULL,
///     "applied" TIMESTAMPTZ NOT NULL DEFAULT now(),
///     "checksum" VARCHAR(64) NOT NULL,          -- SHA-256 of the migration file, hex
///     CONSTRAINT "django_migrations_app_name_uniq" UNIQUE ("app", "name")
/// );
/// ```
///
/// A row is written in the same transaction as its migration's SQL, and deleted in the same
/// transaction as its down SQL.
public struct Recorder {
    public static let table = "django_migrations"
    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    static let createStatement = """
        CREATE TABLE IF NOT EXISTS \(SQLWriter.quote(table)) (
            "id" BIGSERIAL NOT NULL PRIMARY KEY,
            "app" VARCHAR(255) NOT NULL,
            "name" VARCHAR(255) NOT NULL,
            "applied" TIMESTAMPTZ NOT NULL DEFAULT now(),
            "checksum" VARCHAR(64) NOT NULL,
            CONSTRAINT "django_migrations_app_name_uniq" UNIQUE ("app", "name")
        )
        """

    /// Creates the table unless it is there.
    public func ensureTable() throws {
        try Self.createConcurrently(connection, Self.createStatement)
    }

    /// Whether the table exists (read-only callers do not create it).
    public func hasTable() throws -> Bool {
        try Self.tableExists(connection, Self.table)
    }

    /// The applied migrations of `app`, in the order they were applied.
    public func applied(app: String) throws -> [AppliedMigration] {
        guard try hasTable() else { return [] }
        return try connection.execute(
            "SELECT \"name\", \"checksum\" FROM \(SQLWriter.quote(Self.table)) WHERE \"app\" = $1 ORDER BY \"id\"", [app]
        ).map { row in
            AppliedMigration(app: app, name: try row.decode(String.self, at: 0), checksum: try row.decode(String.self, at: 1))
        }
    }

    public func recordApplied(_ migration: Migration) throws {
        try connection.execute(
            "INSERT INTO \(SQLWriter.quote(Self.table)) (\"app\", \"name\", \"checksum\") VALUES ($1, $2, $3)",
            [migration.app, migration.name, migration.checksum])
    }

    public func recordUnapplied(_ migration: Migration) throws {
        try connection.execute("DELETE FROM \(SQLWriter.quote(Self.table)) WHERE \"app\" = $1 AND \"name\" = $2",
                               [migration.app, migration.name])
    }

    static func tableExists(_ connection: Connection, _ name: String) throws -> Bool {
        try !connection.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1", [name]
        ).isEmpty
    }

    /// `CREATE TABLE IF NOT EXISTS` run by two processes at once can still fail on PostgreSQL
    /// (a unique violation in its catalog): try again, and the second attempt finds the table.
    static func createConcurrently(_ connection: Connection, _ statement: String) throws {
        var attempt = 0
        while true {
            attempt += 1
            do {
                _ = try connection.transaction { try $0.run(statement) }
                return
            } catch let DatabaseError.server(error) where attempt < 5 && ["23505", "42P07", "40001"].contains(error.sqlState) {
                sleepThread(.milliseconds(50 * attempt))
            }
        }
    }
}
