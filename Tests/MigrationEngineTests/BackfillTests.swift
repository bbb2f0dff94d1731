import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// Batched backfills (`DataMigrationContext.backfill`): key-ordered batches, each committed with
/// its progress record, resumed after a failure without redoing a batch, 40001 retried.
@Suite struct BackfillTests {
    /// `touched` counts the updates a row got: a batch run twice shows as a 2.
    static let book = Model("Book") {
        AutoField("id", primaryKey: true)
        CharField("title", maxLength: 200)
        CharField("title_lower", maxLength: 200, null: true)
        IntegerField("touched")
        IntegerField("divisor")
        IntegerField("share", null: true)
    }

    /// 25 books, ids 1...25.
    static func seed(_ url: String) throws {
        try TestDatabase.run(url, """
            INSERT INTO myproject_book (title, touched, divisor)
            SELECT 'Book ' || CAST(n AS TEXT), 0, 1 FROM generate_series(1, 25) AS n
            """)
    }

    /// A fresh database with 0001 (the table) applied and 25 books, and the folder whose 0002
    /// runs the data migration `name`.
    static func withSeededBooks(running name: String, _ body: (String, URL) throws -> Void) async throws {
        let directory = try DataMigrationTests.folder(running: name, models: [book])
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            try seed(url)
            try body(url, directory)
        }
    }

    static func column(_ url: String, _ name: String) throws -> [String?] {
        try TestDatabase.query(url, "SELECT \(name) FROM myproject_book ORDER BY id").map { $0[0] }
    }

    @Test func updatesEveryRowInBatchesAndReversesInBatches() async throws {
        let name = "lower_titles_batched"
        DataMigration.register([DataMigration(name, inBatches: { context in
            let rows = try context.backfill(table: "myproject_book", batchSize: 10,
                                            set: "title_lower = lower(title), touched = touched + 1", where: "title_lower IS NULL")
            precondition(rows == 25)
        }, reverse: { context in
            try context.backfill(table: "myproject_book", batchSize: 10, set: "title_lower = NULL")
        })])
        try await Self.withSeededBooks(running: name) { url, directory in
            try Migrator.migrate(connectionString: url, directory: directory)
            #expect(try Self.column(url, "title_lower") == (1...25).map { "book \($0)" })
            #expect(try Self.column(url, "touched") == Array(repeating: "1", count: 25))
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial", "0002_\(name)"])
            #expect(try TestDatabase.query(url, "SELECT count(*) FROM django_migrations_progress") == [["0"]], "progress cleared")
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            #expect(try Self.column(url, "title_lower") == Array(repeating: nil, count: 25))
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial"])
        }
    }

    /// A batch fails (division by zero in row 17, the second backfill's second batch): the
    /// batches before it stay committed and recorded; once the row is fixed, migrate skips the
    /// first backfill, resumes the second after key 10, and every row was touched exactly twice.
    @Test func aFailedRunResumesAfterTheLastRecordedKey() async throws {
        let name = "backfill_shares_resumable"
        DataMigration.register([DataMigration(name, inBatches: { context in
            try context.backfill(table: "myproject_book", batchSize: 10, set: "title_lower = lower(title), touched = touched + 1")
            try context.backfill(table: "myproject_book", batchSize: 10, set: "share = 100 / divisor, touched = touched + 1")
        })])
        try await Self.withSeededBooks(running: name) { url, directory in
            try TestDatabase.run(url, "UPDATE myproject_book SET divisor = 0 WHERE id = 17")
            let failed = Lines()
            #expect(throws: DatabaseError.self) {
                try Migrator.migrate(connectionString: url, directory: directory, output: failed.append)
            }
            #expect(failed.all.last == "  Applying myproject.0002_\(name)... FAILED")
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial"])
            #expect(try Self.column(url, "touched") == Array(repeating: "2", count: 10) + Array(repeating: "1", count: 15))
            let shown = try Migrator.showMigrations(connectionString: url, directory: directory)
            #expect(shown.contains(" [~] 0002_\(name) (1 backfill(s) done, the next one done up to key 10)"))

            try TestDatabase.run(url, "UPDATE myproject_book SET divisor = 4 WHERE id = 17")
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, output: lines.append)
            #expect(lines.all.contains("  (backfill 1 of myproject.0002_\(name) (myproject_book) was finished by an earlier run: not run again)"))
            #expect(lines.all.contains("  (resuming backfill 2 of myproject.0002_\(name) (myproject_book) after id 10)"))
            #expect(try Self.column(url, "touched") == Array(repeating: "2", count: 25), "no batch redone")
            #expect(try Self.column(url, "share") == (1...25).map { $0 == 17 ? "25" : "100" })
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial", "0002_\(name)"])
            #expect(try TestDatabase.query(url, "SELECT count(*) FROM django_migrations_progress") == [["0"]])
        }
    }

    /// The server refuses a batch once with 40001 (a trigger, counting its calls with a sequence,
    /// which no rollback undoes): the retry wrapper reruns that batch, and each row is updated once.
    @Test func aBatchRefusedWith40001IsRetried() async throws {
        let name = "backfill_retried"
        DataMigration.register([DataMigration(name, inBatches: { context in
            try context.backfill(table: "myproject_book", batchSize: 10, set: "touched = touched + 1")
        })])
        try await Self.withSeededBooks(running: name) { url, directory in
            try TestDatabase.run(url, """
                CREATE SEQUENCE book_15_updates;
                CREATE FUNCTION refuse_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.id = 15 AND nextval('book_15_updates') = 1 THEN
                        RAISE EXCEPTION 'restart transaction' USING ERRCODE = '40001';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER refuse_once BEFORE UPDATE ON myproject_book FOR EACH ROW EXECUTE FUNCTION refuse_once();
                """)
            try Migrator.migrate(connectionString: url, directory: directory)
            #expect(try TestDatabase.query(url, "SELECT last_value FROM book_15_updates") == [["2"]], "the batch ran twice")
            #expect(try Self.column(url, "touched") == Array(repeating: "1", count: 25))
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial", "0002_\(name)"])
        }
    }

    @Test func progressRecordsAreReadBackOnlyForTheirMigration() {
        let key = "0002_x:up:0123456789abcdef"
        #expect(DataMigrationContext.backfillProgress("\(key):batch:1:10", key: key)! == (1, "10"))
        #expect(DataMigrationContext.backfillProgress("\(key):batch:2", key: key)! == (2, nil))
        #expect(DataMigrationContext.backfillProgress("\(key):batch:0:a:b", key: key)! == (0, "a:b"))
        #expect(DataMigrationContext.backfillProgress("\(key):3", key: key) == nil, "a statement-mode record")
        #expect(DataMigrationContext.backfillProgress("0002_x:down:0123456789abcdef:batch:1", key: key) == nil)
    }
}
