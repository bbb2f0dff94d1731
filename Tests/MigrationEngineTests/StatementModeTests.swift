import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// CockroachDB's execution mode exercised on PostgreSQL: statement by statement with progress,
/// failures injected between statements, ambiguous outcomes, and a `migrate` killed with SIGKILL.
@Suite struct StatementModeTests {
    // MARK: - Helpers

    func query(_ url: String, _ sql: String) throws -> [[String?]] {
        let connection = try Connection(connectionString: url)
        defer { connection.close() }
        let result = try connection.execute(sql)
        return try result.map { row in try (0..<result.columnCount).map { try row.decode(String?.self, at: $0) } }
    }

    func run(_ url: String, _ sql: String) throws {
        let connection = try Connection(connectionString: url)
        defer { connection.close() }
        try connection.run(sql)
    }

    func history(_ url: String) throws -> [String] {
        try query(url, "SELECT name FROM django_migrations WHERE app = 'myproject' ORDER BY id").map { $0[0]! }
    }

    /// The bank's 0001 and a hand-written 0002_auto whose up part is `up`.
    func folder(up: String, down: String = "SELECT 1;") throws -> URL {
        let directory = Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: Fixtures.committedMigrations.appendingPathComponent("0001_initial.sql"),
                                         to: directory.appendingPathComponent("0001_initial.sql"))
        let name = try #require(try Fixtures.makeMigration(Fixtures.bank, in: directory, empty: true))
        try Fixtures.rewrite(directory, name, up: up, down: down)
        return directory
    }

    struct InjectedCrash: Error, CustomStringConvertible { var description: String { "injected crash" } }

    static let threeStatements = """
        CREATE TABLE "myproject_first" ("id" BIGSERIAL PRIMARY KEY);
        INSERT INTO "myproject_first" ("id") VALUES (7);
        CREATE TABLE "myproject_second" ("id" BIGSERIAL PRIMARY KEY);
        """

    // MARK: - Failure between two statements, then resume

    @Test func failureInjectedBetweenStatementsThenResume() async throws {
        let directory = try folder(up: Self.threeStatements)
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            let failed = Lines()
            #expect(throws: MigrationStateError.self) {
                try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: .statementByStatement,
                                     hook: { index, _, run in
                                         if index == 2 { throw InjectedCrash() }
                                         try run()
                                     }, output: failed.append)
            }
            #expect(failed.all.last == "  Applying myproject.0002_auto... FAILED")
            #expect(try history(url) == ["0001_initial"])
            #expect(try query(url, "SELECT id FROM myproject_first") == [["7"]])
            #expect(try Migrator.showMigrations(connectionString: url, directory: directory) ==
                    ["myproject", " [X] 0001_initial", " [~] 0002_auto (2 of 3 statements applied)"])

            let resumed = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: .statementByStatement,
                                 output: resumed.append)
            #expect(resumed.all.contains("  (resuming myproject.0002_auto after statement 2 of 3)"))
            #expect(resumed.all.last == "  Applying myproject.0002_auto... OK")
            #expect(try history(url) == ["0001_initial", "0002_auto"])
            #expect(try query(url, "SELECT id FROM myproject_first") == [["7"]], "the INSERT ran once")
            #expect(try query(url, "SELECT count(*) FROM django_migrations_lock") == [["0"]])
            #expect(try Migrator.showMigrations(connectionString: url, directory: directory) ==
                    ["myproject", " [X] 0001_initial", " [X] 0002_auto"])
        }
    }

    @Test func failureReportNamesTheStatementAndHowToGoOn() async throws {
        let directory = try folder(up: Self.threeStatements)
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try run(url, "CREATE TABLE myproject_second (id BIGINT)")
            let error = try #require(throws: MigrationStateError.self) {
                try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: .statementByStatement)
            }
            #expect(error.description.contains("failed at statement 3 of 3 (CREATE TABLE \"myproject_second\""))
            #expect(error.description.contains("already exists"))
            #expect(error.description.contains("run migrate again: it resumes at statement 3"))
        }
    }

    // MARK: - Ambiguous outcomes

    /// The commit of a schema change landed but its answer was lost: the executor sees the table
    /// and records the statement instead of running it again (which would fail: it exists).
    @Test func ambiguousCommitOfASchemaChangeIsRecognisedAndNotRunTwice() async throws {
        let directory = try folder(up: Self.threeStatements)
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            let lines = Lines()
            let runs = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: .statementByStatement,
                                 hook: { index, _, run in
                                     runs.append("\(index)")
                                     try run()
                                     if index == 0 && runs.all.filter({ $0 == "0" }).count == 1 {
                                         throw DatabaseError.outcomeUnknown("simulated: connection lost during COMMIT")
                                     }
                                 }, output: lines.append)
            #expect(lines.all.contains("  (statement 1 of 3 took effect (table \"myproject_first\" exists): recorded as done, not run again)"))
            #expect(runs.all == ["0", "1", "2"], "statement 1 ran once")
            #expect(try history(url) == ["0001_initial", "0002_auto"])
        }
    }

    /// A write whose outcome is unknown: it ran in one transaction with its progress record, so
    /// the record tells; here it did not commit, and it runs again, once.
    @Test func ambiguousWriteIsCheckedAgainstItsProgressRecord() async throws {
        let directory = try folder(up: Self.threeStatements)
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            let lines = Lines()
            let runs = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: .statementByStatement,
                                 hook: { index, _, run in
                                     runs.append("\(index)")
                                     try run()
                                     if index == 1 && runs.all.filter({ $0 == "1" }).count == 1 {
                                         throw DatabaseError.server(ServerError(sqlState: "40003", severity: "ERROR", message: "result is ambiguous"))
                                     }
                                 }, output: lines.append)
            #expect(lines.all.contains("  (statement 2 of 3 did not take effect: running it again)"))
            #expect(runs.all == ["0", "1", "1", "2"])
            #expect(try query(url, "SELECT id FROM myproject_first") == [["7"]])
            #expect(try history(url) == ["0001_initial", "0002_auto"])
        }
    }

    /// A process died after statement 2 committed but before its progress was written: the
    /// progress says 1, the schema says 2. The resume recognises it and does not run it again.
    @Test func effectPresentWithoutItsProgressRecordIsNotRunTwice() async throws {
        let directory = try folder(up: """
            CREATE TABLE "myproject_first" ("id" BIGSERIAL PRIMARY KEY);
            ALTER TABLE "myproject_customers" ADD COLUMN "nick" VARCHAR(50) NULL;
            CREATE INDEX "myproject_customers_nick" ON "myproject_customers" ("nick");
            """)
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            let migration = try MigrationLoader.load(directory: directory)[1]
            let key = Executor.progressKey(MigrationStep(migration: migration, backwards: false))
            try run(url, """
                CREATE TABLE "myproject_first" ("id" BIGSERIAL PRIMARY KEY);
                ALTER TABLE "myproject_customers" ADD COLUMN "nick" VARCHAR(50) NULL;
                INSERT INTO django_migrations_lock VALUES (1, 'killed', now() - INTERVAL '1 hour', now() - INTERVAL '1 minute', NULL);
                INSERT INTO django_migrations_progress VALUES (1, '\(key):1');
                """)
            #expect(try Migrator.showMigrations(connectionString: url, directory: directory).last == " [~] 0002_auto (1 of 3 statements applied)")
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: .statementByStatement, output: lines.append)
            #expect(lines.all.contains("  (resuming myproject.0002_auto after statement 1 of 3)"))
            #expect(lines.all.contains("  (statement 2 of 3 already took effect (column \"myproject_customers\".\"nick\" exists): recorded as done, not run again)"))
            #expect(lines.all.last == "  Applying myproject.0002_auto... OK")
            #expect(try query(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'myproject_customers_nick'") == [["1"]])
            #expect(try history(url) == ["0001_initial", "0002_auto"])
        }
    }

    @Test func effectsOfSchemaChangesAreRecognised() {
        #expect(StatementEffect(#"CREATE TABLE IF NOT EXISTS "a" ("id" BIGINT)"#) == .table("a", exists: true))
        #expect(StatementEffect(#"CREATE UNIQUE INDEX "i" ON "a" ("x")"#) == .index("i", exists: true))
        #expect(StatementEffect(#"DROP TABLE "a";"#) == .table("a", exists: false))
        #expect(StatementEffect(#"DROP INDEX "i" CASCADE"#) == .index("i", exists: false))
        #expect(StatementEffect(#"ALTER TABLE "a" ADD COLUMN "b" TEXT"#) == .column(table: "a", column: "b", exists: true))
        #expect(StatementEffect(#"ALTER TABLE "a" DROP COLUMN "b""#) == .column(table: "a", column: "b", exists: false))
        #expect(StatementEffect(#"ALTER TABLE "a" ADD CONSTRAINT "fk" FOREIGN KEY ("b") REFERENCES "c" ("id")"#) == .constraint("fk", exists: true))
        #expect(StatementEffect(#"ALTER TABLE "a" DROP CONSTRAINT "fk""#) == .constraint("fk", exists: false))
        #expect(StatementEffect(#"ALTER TABLE "a" RENAME TO "b""#) == .all([.table("b", exists: true), .table("a", exists: false)]))
        #expect(StatementEffect(#"ALTER TABLE "a" RENAME COLUMN "x" TO "y""#) ==
                .all([.column(table: "a", column: "y", exists: true), .column(table: "a", column: "x", exists: false)]))
        #expect(StatementEffect(#"ALTER TABLE "a" ALTER COLUMN "x" DROP DEFAULT"#) == nil)
        #expect(StatementEffect(#"ALTER TABLE "a" ADD COLUMN "x" TEXT, ADD COLUMN "y" TEXT"#) == nil)
        #expect(StatementEffect("INSERT INTO a VALUES (1)") == nil)
        #expect(StatementEffect.isSchemaChange("-- c\nCREATE TABLE a (id BIGINT)"))
        #expect(!StatementEffect.isSchemaChange("INSERT INTO a VALUES (1)"))
    }

    // MARK: - SIGKILL during a long migration

    /// A subprocess's stdout and stderr, read once it has exited.
    final class Output: @unchecked Sendable {
        var pipe = Pipe()
        var text: String {
            let data = (try? pipe.fileHandleForReading.readToEnd()) ?? nil
            return String(decoding: data ?? Data(), as: UTF8.self)
        }
    }

    func startManage(_ arguments: [String], url: String, output: Output) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ManageExecutable.path())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        process.environment = environment
        process.standardOutput = output.pipe
        process.standardError = output.pipe
        try process.run()
        return process
    }

    /// Polls (no timing assertion: only a generous give-up bound) until `condition` holds.
    func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(60)
        while try !condition() {
            if Date() > deadline { Issue.record("gave up waiting for \(what)"); throw InjectedCrash() }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    @Test func killedMigrateIsTakenOverAfterItsLeaseAndNothingIsAppliedTwice() async throws {
        let directory = try folder(up: """
            CREATE TABLE "myproject_log" ("n" BIGINT NOT NULL);
            INSERT INTO "myproject_log" ("n") VALUES (1);
            SELECT pg_sleep(3);
            INSERT INTO "myproject_log" ("n") VALUES (2);
            CREATE TABLE "myproject_after" ("id" BIGSERIAL PRIMARY KEY);
            """)
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let arguments = ["migrate", "--mode", "statement", "--lock-lease", "2", "--migrations-dir", directory.path]
            let firstOutput = Output()
            let first = try startManage(arguments, url: url, output: firstOutput)
            // Kill it while it sleeps in statement 3, holding the lock, 2 statements recorded.
            try waitFor("statement 2 of 0002 to be recorded") {
                let rows = try? query(url, "SELECT progress FROM django_migrations_progress WHERE id = 1")
                return rows?.first?.first??.hasSuffix(":2") == true && rows?.first?.first??.hasPrefix("0002_auto:up:") == true
            }
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(first.terminationReason == .uncaughtSignal)
            #expect(try history(url) == ["0001_initial"])
            #expect(try query(url, "SELECT n FROM myproject_log ORDER BY n") == [["1"]])
            let owner = try query(url, "SELECT owner FROM django_migrations_lock")
            #expect(owner.count == 1 && owner[0][0]?.contains(":\(first.processIdentifier):") == true, "the killed process still holds the lock row")
            #expect(try Migrator.showMigrations(connectionString: url, directory: directory).last == " [~] 0002_auto (2 of 5 statements applied)")

            let secondOutput = Output()
            let second = try startManage(arguments, url: url, output: secondOutput)
            second.waitUntilExit()
            let secondText = secondOutput.text
            #expect(second.terminationStatus == 0, "\(secondText)")
            #expect(secondText.contains("  (resuming myproject.0002_auto after statement 2 of 5)"), "\(secondText)")
            #expect(secondText.contains("  Applying myproject.0002_auto... OK"))
            #expect(try history(url) == ["0001_initial", "0002_auto"])
            #expect(try query(url, "SELECT n FROM myproject_log ORDER BY n") == [["1"], ["2"]], "each INSERT ran once")
            #expect(try query(url, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'myproject_after'") == [["1"]])
            #expect(try query(url, "SELECT count(*) FROM django_migrations_lock") == [["0"]])
            #expect(try query(url, "SELECT count(*) FROM django_migrations_progress") == [["0"]])
        }
    }

    @Test func manageCommandLineModeLeaseAndLint() async throws {
        let directory = try folder(up: "DROP TABLE \"myproject_products\" CASCADE;", down: "SELECT 1;")
        defer { Fixtures.remove(directory) }
        let lint = Output()
        let check = try startManage(["lint", "--check", "--migrations-dir", directory.path], url: "", output: lint)
        check.waitUntilExit()
        let lintText = lint.text
        #expect(check.terminationStatus == 1)
        #expect(lintText.contains("0002_auto.sql:"), "\(lintText)")
        #expect(lintText.contains("error [destructive-change] DROP TABLE \"myproject_products\" CASCADE"))
        #expect(lintText.contains("Linted 2 migration(s): 1 error(s), 0 warning(s)."))
        let plain = Output()
        let noCheck = try startManage(["lint", "0001", "--migrations-dir", directory.path], url: "", output: plain)
        noCheck.waitUntilExit()
        let plainText = plain.text
        #expect(noCheck.terminationStatus == 0)
        #expect(plainText.contains("Linted 1 migration(s): 0 error(s), 0 warning(s)."), "\(plainText)")
    }
}
