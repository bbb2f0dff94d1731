import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch

/// The lock that lets one `migrate` run at a time, without advisory locks (CockroachDB has none):
/// a lease row in a table of its own.
///
/// ```sql
/// CREATE TABLE IF NOT EXISTS "django_migrations_lock" (
///     "id" INTEGER NOT NULL PRIMARY KEY,   -- always 1
///     "owner" VARCHAR(255) NOT NULL,       -- host:pid:random of the holder
///     "acquired" TIMESTAMPTZ NOT NULL,
///     "expires" TIMESTAMPTZ NOT NULL,      -- the lease; renewed by a heartbeat
///     "progress" VARCHAR(255) NULL         -- unused since progress has a table of its own (kept for old databases)
/// );
/// CREATE TABLE IF NOT EXISTS "django_migrations_progress" (
///     "id" BIGINT NOT NULL PRIMARY KEY,    -- always 1
///     "progress" VARCHAR(255) NOT NULL     -- "<migration>:<up|down>:<checksum prefix>:<statements done>"
/// );
/// ```
///
/// Progress of a statement-by-statement run lives apart from the lease row, so that a statement
/// that runs long in one transaction with its progress record never conflicts with the
/// heartbeat's updates of the lease, and so that a killed run's progress outlives its lease.
///
/// - **Acquire**: a plain read for a live holder (never waits on the holder's row lock), then one
///   statement, `INSERT ... ON CONFLICT ("id") DO UPDATE ... WHERE expires < now() RETURNING
///   owner`: the row is taken when there is none or its lease ran out (a killed holder), never
///   while a live holder renews it. Otherwise say so once, wait and try again.
/// - **Heartbeat**: a thread with a connection of its own extends the lease every third of it
///   (from `clock_timestamp()`, so an update that waited for a row lock still extends it from now).
/// - **Fencing**: every migration transaction first reads the row `FOR UPDATE` and checks that
///   it still holds an unexpired lease, so a holder that lost its lease (paused past expiry and
///   taken over) cannot commit anything.
///   Statements that may run long (statement mode's data statements) check without locking the
///   row (`check`): under SERIALIZABLE a takeover that commits meanwhile is ordered after them.
/// - **Release**: the row is deleted (only by its owner).
public final class MigrationLock: @unchecked Sendable {
    public static let table = "django_migrations_lock"
    public static let progressTable = "django_migrations_progress"
    let owner: String
    let connectionString: String
    let lease: Duration
    /// Signalled to stop the heartbeat, which waits on it between beats.
    private let stopSignal = DispatchSemaphore(value: 0)
    private var heartbeatRunning = false

    public init(connectionString: String, lease: Duration = .seconds(60)) {
        self.connectionString = connectionString
        self.lease = lease
        let host = ProcessInfo.processInfo.hostName
        owner = "\(host.prefix(100)):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }

    static let createStatement = """
        CREATE TABLE IF NOT EXISTS \(SQLWriter.quote(table)) (
            "id" INTEGER NOT NULL PRIMARY KEY,
            "owner" VARCHAR(255) NOT NULL,
            "acquired" TIMESTAMPTZ NOT NULL,
            "expires" TIMESTAMPTZ NOT NULL,
            "progress" VARCHAR(255) NULL
        )
        """

    var leaseText: String { "\(Int(lease.seconds.rounded(.up))) seconds" }

    static let createProgressStatement = """
        CREATE TABLE IF NOT EXISTS \(SQLWriter.quote(progressTable)) (
            "id" BIGINT NOT NULL PRIMARY KEY,
            "progress" VARCHAR(255) NOT NULL
        )
        """

    func ensureTable(_ connection: Connection) throws {
        try Recorder.createConcurrently(connection, Self.createStatement)
        try Recorder.createConcurrently(connection, Self.createProgressStatement)
    }

    /// Takes the lock, waiting for a live holder to release it (up to `timeout`); says once
    /// through `output` that it waits, and for whom.
    ///
    /// A live holder is seen with a plain read first: the holder's migration transactions keep
    /// the row locked (`confirm`), and the taking `INSERT ... ON CONFLICT DO UPDATE` would wait
    /// for that row lock silently, for as long as the migration runs, instead of saying it waits.
    func acquire(_ connection: Connection, timeout: Duration, poll: Duration = .milliseconds(200), output: (String) -> Void) throws {
        let deadline = ContinuousClock.now + timeout
        var said = false
        while true {
            let holder = try liveHolder(connection)
            if holder == nil, try take(connection) { break }
            if !said {
                output("  Waiting for the migration lock, held by \(holder ?? "another process")...")
                said = true
            }
            if ContinuousClock.now >= deadline {
                throw MigrationStateError(description: "The migration lock is still held after \(Int(timeout.seconds)) s; another migrate is running (or delete the row in \(Self.table) if its holder is gone).")
            }
            sleepThread(poll * Double.random(in: 0.5..<1.5))
        }
        startHeartbeat()
    }

    /// The owner of an unexpired lease, read without locking (never waits for the holder).
    private func liveHolder(_ connection: Connection) throws -> String? {
        try connection.execute("SELECT \"owner\" FROM \(SQLWriter.quote(Self.table)) WHERE \"id\" = 1 AND \"expires\" > now()")
            .first.map { try $0.decode(String.self, at: 0) }
    }

    /// Takes the row when there is none or its lease ran out; false when another took it first.
    private func take(_ connection: Connection) throws -> Bool {
        try connection.transaction { c in
            try c.execute("""
                INSERT INTO \(SQLWriter.quote(Self.table)) ("id", "owner", "acquired", "expires")
                VALUES (1, $1, now(), now() + CAST($2 AS INTERVAL))
                ON CONFLICT ("id") DO UPDATE SET "owner" = excluded."owner", "acquired" = excluded."acquired",
                    "expires" = excluded."expires"
                WHERE \(SQLWriter.quote(Self.table))."expires" < now()
                RETURNING "owner"
                """, [owner, leaseText]).count == 1
        }.value
    }

    /// Inside a migration transaction: locks the row and checks the lease is still ours.
    func confirm(_ connection: Connection) throws {
        let rows = try connection.execute(
            "SELECT \"owner\", \"expires\" > now() FROM \(SQLWriter.quote(Self.table)) WHERE \"id\" = 1 FOR UPDATE")
        guard let row = rows.first, try row.decode(String.self, at: 0) == owner, try row.decode(Bool.self, at: 1) else {
            throw MigrationStateError(description: "Lost the migration lock (its lease expired and another process took it); nothing more was applied.")
        }
    }

    /// Like `confirm`, without locking the row: for transactions that may run long.
    func check(_ connection: Connection) throws {
        let rows = try connection.execute(
            "SELECT \"owner\", \"expires\" > now() FROM \(SQLWriter.quote(Self.table)) WHERE \"id\" = 1")
        guard let row = rows.first, try row.decode(String.self, at: 0) == owner, try row.decode(Bool.self, at: 1) else {
            throw MigrationStateError(description: "Lost the migration lock (its lease expired and another process took it); nothing more was applied.")
        }
    }

    /// Statement-by-statement runs record how far a migration got, to resume after a failure or
    /// a crash: the record outlives the lease, and the next holder resumes from it.
    func progress(_ connection: Connection) throws -> String? {
        try Self.recordedProgress(connection)
    }

    /// The progress record, whoever holds the lock (`showmigrations`); nil without one.
    static func recordedProgress(_ connection: Connection) throws -> String? {
        guard try Recorder.tableExists(connection, progressTable) else { return nil }
        return try connection.execute("SELECT \"progress\" FROM \(SQLWriter.quote(progressTable)) WHERE \"id\" = 1")
            .first.map { try $0.decode(String.self, at: 0) }
    }

    func setProgress(_ connection: Connection, _ progress: String?) throws {
        if let progress {
            try connection.execute("""
                INSERT INTO \(SQLWriter.quote(Self.progressTable)) ("id", "progress") VALUES (1, $1)
                ON CONFLICT ("id") DO UPDATE SET "progress" = excluded."progress"
                """, [progress])
        } else {
            try connection.execute("DELETE FROM \(SQLWriter.quote(Self.progressTable)) WHERE \"id\" = 1")
        }
    }

    /// Stops the heartbeat and deletes the row (a progress record, if a statement-by-statement
    /// run stopped midway, stays in its own table for the next `migrate`).
    func release(_ connection: Connection) {
        stopHeartbeat()
        _ = try? connection.transaction { c in
            try c.execute("DELETE FROM \(SQLWriter.quote(Self.table)) WHERE \"id\" = 1 AND \"owner\" = $1", [owner])
        }
    }

    /// Renews the lease every third of it, with a connection of its own, on a queue of its own
    /// (libpq blocks; `migrate` is a command-line process, so a dispatch thread is ours to block),
    /// until `stopHeartbeat`.
    private func startHeartbeat() {
        heartbeatRunning = true
        let beat = lease / 3
        DispatchQueue(label: "migration-lock-heartbeat").async { [self] in
            var connection: Connection?
            while stopSignal.wait(timeout: .now() + .nanoseconds(Int(beat / .nanoseconds(1)))) == .timedOut {
                do {
                    if connection == nil { connection = try Connection(connectionString: connectionString) }
                    _ = try connection!.transaction { c in
                        try c.execute("""
                            UPDATE \(SQLWriter.quote(Self.table)) SET "expires" = clock_timestamp() + CAST($2 AS INTERVAL)
                            WHERE "id" = 1 AND "owner" = $1
                            """, [owner, leaseText])
                    }
                } catch {
                    connection = nil  // try again with a new connection next beat
                }
            }
            connection?.close()
        }
    }

    private func stopHeartbeat() {
        guard heartbeatRunning else { return }
        heartbeatRunning = false
        stopSignal.signal()
    }
}

/// The database and the files disagree, or the lock could not be had: nothing was changed.
public struct MigrationStateError: Error, CustomStringConvertible {
    public var description: String
}
