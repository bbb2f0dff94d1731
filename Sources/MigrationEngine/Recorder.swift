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
    /// SHA-256 of the file when this project applied it; nil when another tool applied it (the
    /// Python app's `python manage.py migrate`) and this project has not adopted it yet.
    public var checksum: String?

    public init(app: String, name: String, checksum: String?) {
        self.app = app
        self.name = name
        self.checksum = checksum
    }
}

/// The history table, exactly Django's `django_migrations`, so that this project and the Python
/// app can share one database, whichever migrates first:
///
/// ```sql
/// CREATE TABLE IF NOT EXISTS "django_migrations" (
///     "id" BIGSERIAL NOT NULL PRIMARY KEY,     -- Django: bigint identity; CockroachDB: INT8 either way
///     "app" VARCHAR(255) NOT NULL,
///     "name" VARCHAR(255) NOT NULL,
///     "applied" TIMESTAMPTZ NOT NULL
/// );
/// CREATE TABLE IF NOT EXISTS "django_migrations_checksum" (
///     "app" VARCHAR(255) NOT NULL,
///     "name" VARCHAR(255) NOT NULL,
///     "checksum" VARCHAR(64) NOT NULL,         -- SHA-256 of the migration file, hex
///     PRIMARY KEY ("app", "name")
/// );
/// ```
///
/// What this project records beyond Django's columns lives in a table of its own, so Django's
/// inserts (`app`, `name`, `applied`) never fail and Django's table is never altered. The history
/// row is the truth about what is applied; a checksum row whose history row is gone (Django
/// unapplied the migration) is ignored and overwritten when the migration is applied again.
///
/// Rows are written in the same transaction as their migration's SQL, and deleted in the same
/// transaction as its down SQL. Rows of other apps (Django's `auth`, `contenttypes`, ...) are
/// read for `showmigrations` and never written.
public struct Recorder {
    public static let table = "django_migrations"
    public static let checksumTable = "django_migrations_checksum"
    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    static let createStatement = """
        CREATE TABLE IF NOT EXISTS \(SQLWriter.quote(table)) (
            "id" BIGSERIAL NOT NULL PRIMARY KEY,
            "app" VARCHAR(255) NOT NULL,
            "name" VARCHAR(255) NOT NULL,
            "applied" TIMESTAMPTZ NOT NULL
        )
        """

    static let createChecksumStatement = """
        CREATE TABLE IF NOT EXISTS \(SQLWriter.quote(checksumTable)) (
            "app" VARCHAR(255) NOT NULL,
            "name" VARCHAR(255) NOT NULL,
            "checksum" VARCHAR(64) NOT NULL,
            PRIMARY KEY ("app", "name")
        )
        """

    /// Creates the tables unless they are there, and moves the checksums of a history table made
    /// by an earlier version of this project (a `checksum NOT NULL` column in Django's table, on
    /// which Django's own inserts failed) into the checksum table.
    public func ensureTable() throws {
        try Self.createConcurrently(connection, Self.createStatement)
        try Self.createConcurrently(connection, Self.createChecksumStatement)
        try moveLegacyChecksums()
    }

    /// Whether the history table exists (read-only callers do not create it).
    public func hasTable() throws -> Bool {
        try Self.tableExists(connection, Self.table)
    }

    /// The applied migrations of `app`, in the order they were applied.
    public func applied(app: String) throws -> [AppliedMigration] {
        try appliedRows(app: app)
    }

    /// Every app's applied migrations, in the order they were applied (`showmigrations` for all apps).
    public func appliedByApp() throws -> [String: [AppliedMigration]] {
        Dictionary(grouping: try appliedRows(app: nil), by: \.app)
    }

    private func appliedRows(app: String?) throws -> [AppliedMigration] {
        guard try hasTable() else { return [] }
        let checksum: String
        let join: String
        if try Self.tableExists(connection, Self.checksumTable) {
            checksum = "c.\"checksum\""
            join = "LEFT JOIN \(SQLWriter.quote(Self.checksumTable)) c ON c.\"app\" = m.\"app\" AND c.\"name\" = m.\"name\""
        } else if try hasLegacyChecksumColumn() {
            checksum = "m.\"checksum\""
            join = ""
        } else {
            checksum = "NULL::VARCHAR"
            join = ""
        }
        let filter = app == nil ? "" : "WHERE m.\"app\" = $1"
        return try connection.execute(
            "SELECT m.\"app\", m.\"name\", \(checksum) FROM \(SQLWriter.quote(Self.table)) m \(join) \(filter) ORDER BY m.\"id\"",
            app.map { [$0] } ?? []
        ).map { row in
            AppliedMigration(app: try row.decode(String.self, at: 0), name: try row.decode(String.self, at: 1),
                             checksum: try row.decode(String?.self, at: 2))
        }
    }

    public func recordApplied(_ migration: Migration) throws {
        try connection.execute(
            "INSERT INTO \(SQLWriter.quote(Self.table)) (\"app\", \"name\", \"applied\") VALUES ($1, $2, now())",
            [migration.app, migration.name])
        try recordChecksum(migration)
    }

    /// Records the file's checksum for a migration whose history row is there: one applied by
    /// Django, adopted by this project.
    public func recordChecksum(_ migration: Migration) throws {
        try connection.execute("""
            INSERT INTO \(SQLWriter.quote(Self.checksumTable)) ("app", "name", "checksum") VALUES ($1, $2, $3)
            ON CONFLICT ("app", "name") DO UPDATE SET "checksum" = excluded."checksum"
            """, [migration.app, migration.name, migration.checksum])
    }

    public func recordUnapplied(_ migration: Migration) throws {
        try recordUnapplied(app: migration.app, name: migration.name)
    }

    public func recordUnapplied(app: String, name: String) throws {
        for table in [Self.table, Self.checksumTable] {
            try connection.execute("DELETE FROM \(SQLWriter.quote(table)) WHERE \"app\" = $1 AND \"name\" = $2", [app, name])
        }
    }

    /// A history row (and its checksum, when known) for a migration a squashed one replaces.
    public func recordApplied(_ row: AppliedMigration) throws {
        try connection.execute(
            "INSERT INTO \(SQLWriter.quote(Self.table)) (\"app\", \"name\", \"applied\") VALUES ($1, $2, now())", [row.app, row.name])
        if let checksum = row.checksum {
            try connection.execute("""
                INSERT INTO \(SQLWriter.quote(Self.checksumTable)) ("app", "name", "checksum") VALUES ($1, $2, $3)
                ON CONFLICT ("app", "name") DO UPDATE SET "checksum" = excluded."checksum"
                """, [row.app, row.name, checksum])
        }
    }

    private func hasLegacyChecksumColumn() throws -> Bool {
        try !connection.execute("""
            SELECT 1 FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'checksum'
            """, [Self.table]).isEmpty
    }

    /// Copies the legacy column's checksums, then drops the column: two steps, each idempotent,
    /// so a run killed between them is finished by the next. Two statements, not one
    /// transaction: CockroachDB refuses a schema change after a write in one transaction.
    private func moveLegacyChecksums() throws {
        guard try hasLegacyChecksumColumn() else { return }
        _ = try connection.transaction { c in
            try c.run("""
                INSERT INTO \(SQLWriter.quote(Self.checksumTable)) ("app", "name", "checksum")
                SELECT "app", "name", "checksum" FROM \(SQLWriter.quote(Self.table)) WHERE "checksum" IS NOT NULL
                ON CONFLICT ("app", "name") DO NOTHING
                """)
        }
        try connection.run("ALTER TABLE \(SQLWriter.quote(Self.table)) DROP COLUMN IF EXISTS \"checksum\"")
    }

    static func tableExists(_ connection: Connection, _ name: String) throws -> Bool {
        try !connection.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1", [name]
        ).isEmpty
    }

    /// `CREATE TABLE IF NOT EXISTS` run by two processes at once can still fail on PostgreSQL
    /// (a unique violation in its catalog): try again, and the second attempt finds the table.
    static func createConcurrently(_ connection: Connection, _ statement: String) throws {
        try retryingBlocking(RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(50), maxDelay: .milliseconds(400)), when: { error in
            guard case DatabaseError.server(let server) = error else { return false }
            return ["23505", "42P07", "40001"].contains(server.sqlState)
        }) {
            _ = try connection.transaction { try $0.run(statement) }
        }
    }
}
