import Database

/// What a data migration written `inBatches` works with: `backfill` for a big table, in
/// key-ordered batches each committed on its own with the progress record, and `transaction`
/// for anything else.
///
/// The progress record (`django_migrations_progress`, the row statement mode uses) says how many
/// of the migration's backfills are done and the last key of the one under way:
/// `<migration>:<up|down>:<checksum prefix>:batch:<backfills done>[:<last key>]`. It is written in
/// each batch's transaction, so after a crash the next `migrate` runs the closure again, skips the
/// backfills done, resumes the one under way after its last key, and never redoes a batch.
public final class DataMigrationContext {
    let connection: Connection
    let lock: MigrationLock
    let migration: Migration
    let progressKey: String
    let output: (String) -> Void
    /// From the record a previous run left: the backfills done, and the last key of the next one.
    let resumed: (done: Int, after: String?)?
    /// The backfills this run has reached, in the closure's order.
    private var backfillsSeen = 0

    init(connection: Connection, lock: MigrationLock, migration: Migration, progressKey: String, output: @escaping (String) -> Void) throws {
        self.connection = connection
        self.lock = lock
        self.migration = migration
        self.progressKey = progressKey
        self.output = output
        resumed = try lock.progress(connection).flatMap { Self.backfillProgress($0, key: progressKey) }
    }

    /// Updates `table` in batches of `batchSize` rows in the order of `key` (a unique, ordered
    /// column: the primary key), each batch in a transaction of its own under the retry wrapper
    /// (rerun on 40001) with its progress record:
    ///
    /// ```sql
    /// SELECT CAST("id" AS TEXT) FROM "t" WHERE "id" > $last AND (<where>) ORDER BY "id" LIMIT <batchSize>;
    /// UPDATE "t" SET <set> WHERE "id" > $last AND "id" <= $batchLast AND (<where>);
    /// ```
    ///
    /// `set` and `where` are SQL, as in an UPDATE statement. Returns the rows updated by this run.
    @discardableResult
    public func backfill(table: String, key: String = "id", batchSize: Int = 1000, set assignments: String,
                         where condition: String = "TRUE") throws -> Int {
        precondition(batchSize > 0, "a backfill's batchSize must be positive")
        let index = backfillsSeen
        backfillsSeen += 1
        var after: String?
        if let resumed {
            if index < resumed.done {
                output("  (backfill \(index + 1) of \(migration.key) (\(table)) was finished by an earlier run: not run again)")
                return 0
            }
            if index == resumed.done, let last = resumed.after {
                output("  (resuming backfill \(index + 1) of \(migration.key) (\(table)) after \(key) \(last))")
                after = last
            }
        }
        let quotedTable = SQLWriter.quote(table), quotedKey = SQLWriter.quote(key)
        var updated = 0
        while true {
            let lower = after == nil ? "" : "\(quotedKey) > $1 AND "
            let parameters = after.map { [$0] } ?? []
            let keys = try connection.transaction { c -> [String] in
                try lock.check(c)
                let keys = try c.execute("""
                    SELECT CAST(\(quotedKey) AS TEXT) AS "backfill_key" FROM \(quotedTable)
                    WHERE \(lower)(\(condition)) ORDER BY \(quotedKey) LIMIT \(batchSize)
                    """, parameters).map { try $0.decode(String.self, at: 0) }
                if let last = keys.last {
                    try c.execute("""
                        UPDATE \(quotedTable) SET \(assignments)
                        WHERE \(lower)\(quotedKey) <= $\(parameters.count + 1) AND (\(condition))
                        """, parameters + [last])
                }
                // A short batch is the last: the backfill is recorded as done with it.
                try lock.setProgress(c, try record(done: keys.count < batchSize ? index + 1 : index,
                                                   after: keys.count < batchSize ? nil : keys.last))
                return keys
            }.value
            updated += keys.count
            guard keys.count == batchSize else { return updated }
            after = keys.last
        }
    }

    /// Runs `body` in one transaction under the retry wrapper. Unlike a backfill's batches it
    /// is not recorded: after a crash it runs again, so it must be safe to repeat.
    @discardableResult
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try connection.transaction { c in
            try lock.check(c)
            return try body(c)
        }.value
    }

    private func record(done: Int, after: String?) throws -> String {
        let record = "\(progressKey):batch:\(done)" + (after.map { ":" + $0 } ?? "")
        // The record's column is VARCHAR(255) (statement mode's): refuse before anything changes in the batch.
        guard record.count <= 255 else {
            throw MigrationStateError(description: "Migration \(migration.key): a backfill's key value is too long to record as its progress (\(record.count) characters, 255 at most): backfill by a shorter key.")
        }
        return record
    }

    /// The backfills a progress record says are done, and the last key of the one under way,
    /// when the record belongs to `key`.
    static func backfillProgress(_ progress: String, key: String) -> (done: Int, after: String?)? {
        guard progress.hasPrefix(key + ":batch:") else { return nil }
        let rest = progress.dropFirst(key.count + 7)
        let colon = rest.firstIndex(of: ":")
        guard let done = Int(rest[..<(colon ?? rest.endIndex)]) else { return nil }
        return (done, colon.map { String(rest[rest.index(after: $0)...]) })
    }
}
