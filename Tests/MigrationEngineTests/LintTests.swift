import Foundation
@testable import MigrationEngine
import Testing

/// Every lint rule, positive and negative, on small migration files (no database).
@Suite struct LintTests {
    /// A migration file whose up part is `up` (and down part `down`), with extra header lines.
    func file(_ up: String, down: String = "SELECT 1;", header: [String] = []) -> String {
        (["-- app: myproject"] + header + ["", "-- migrate:up", up, "", "-- migrate:down", "/*", down, "*/"]).joined(separator: "\n") + "\n"
    }

    /// The committed 0001, as the earlier migration of the file under test.
    var initial: String {
        get throws { try String(contentsOf: Fixtures.committedMigrations.appendingPathComponent("0001_initial.sql"), encoding: .utf8) }
    }

    func findings(_ up: String, down: String = "SELECT 1;", header: [String] = [], afterInitial: Bool = true) throws -> [LintFinding] {
        MigrationLinter.lint(file(up, down: down, header: header), file: "Migrations/0002_x.sql", earlier: afterInitial ? [try initial] : [])
    }

    func rules(_ up: String, down: String = "SELECT 1;", header: [String] = [], afterInitial: Bool = true) throws -> [String] {
        try findings(up, down: down, header: header, afterInitial: afterInitial).map(\.rule.id)
    }

    // MARK: - The bank's own migrations

    @Test func committedMigrationsLintClean() throws {
        let result = try MigrationLinter.lintDirectory(Fixtures.committedMigrations)
        #expect(result.files == ["0001_initial.sql"])
        #expect(result.findings.isEmpty, "\(result.findings)")
    }

    @Test func generatedMigrationsLintCleanExceptWhatIsMeantToBeFlagged() throws {
        // The bank's models plus a plain field: makemigrations' SQL is clean.
        var models = Fixtures.bank
        models[0] = Model("Customers") {
            AutoField("id", primaryKey: true)
            CharField("name", maxLength: 250)
            CharField("email", maxLength: 100, null: true)
        }
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try FileManager.default.copyItem(at: Fixtures.committedMigrations.appendingPathComponent("0001_initial.sql"),
                                         to: directory.appendingPathComponent("0001_initial.sql"))
        let lines = Lines()
        _ = try MakeMigrations.run(appLabel: Fixtures.app, models: models, directory: directory, output: lines.append)
        #expect(try MigrationLinter.lintDirectory(directory).findings.isEmpty)
        #expect(!lines.text.contains("Lint"))
        // Removing the field again is destructive: makemigrations prints the finding.
        let removal = Lines()
        _ = try MakeMigrations.run(appLabel: Fixtures.app, models: Fixtures.bank, directory: directory, output: removal.append)
        #expect(removal.text.contains("error [destructive-change] ALTER TABLE \"myproject_customers\" DROP COLUMN \"email\""))
        let result = try MigrationLinter.lintDirectory(directory, only: ["0003"])
        #expect(result.files == ["0003_remove_customers_email.sql"])
        #expect(result.findings.map(\.rule.id) == ["destructive-change"])
        #expect(throws: MigrationStateError.self) { try MigrationLinter.lintDirectory(directory, only: ["0009"]) }
        #expect(throws: MigrationStateError.self) { try MigrationLinter.lintDirectory(directory, only: ["000"]) }
    }

    // MARK: - Each rule

    @Test func schemaChangesInTransaction() throws {
        #expect(try rules("""
            BEGIN;
            CREATE TABLE "myproject_a" ("id" BIGSERIAL PRIMARY KEY);
            CREATE TABLE "myproject_b" ("id" BIGSERIAL PRIMARY KEY);
            COMMIT;
            """).sorted() == ["explicit-transaction", "schema-changes-in-transaction"])
        #expect(try rules(#"ALTER TABLE "myproject_customers" ADD COLUMN "a" TEXT, ADD COLUMN "b" TEXT;"#) == ["schema-changes-in-transaction"])
        #expect(try rules("DO $$ BEGIN CREATE TABLE a (id BIGINT); DROP TABLE b; END $$;") == ["schema-changes-in-transaction"])
        // Negative: several schema changes as separate statements are what statement mode wants.
        #expect(try rules("""
            CREATE TABLE "myproject_a" ("id" BIGSERIAL PRIMARY KEY);
            CREATE TABLE "myproject_b" ("id" BIGSERIAL PRIMARY KEY);
            ALTER TABLE "myproject_customers" ADD COLUMN "a" TEXT;
            """).isEmpty)
        #expect(try rules("DO $$ BEGIN CREATE TABLE a (id BIGINT); END $$;").isEmpty)
    }

    @Test func explicitTransaction() throws {
        #expect(try rules("BEGIN;\nSELECT 1;\nCOMMIT;") == ["explicit-transaction"])
        #expect(try rules("START TRANSACTION;\nSELECT 1;") == ["explicit-transaction"])
        #expect(try rules("SELECT 1;\nCOMMIT;") == ["explicit-transaction"])
        #expect(try rules("SELECT 1;\nCOMMIT;", down: "COMMIT;") == ["explicit-transaction", "explicit-transaction"])
        #expect(try rules("SELECT 'BEGIN; COMMIT;';\n-- COMMIT;").isEmpty)
    }

    @Test func windowsLineEndingsGiveTheSameFindingsOnTheSameLines() throws {
        let up = """
            INSERT INTO "myproject_customers" ("name") VALUES ('x');
            ALTER TABLE "myproject_customers" ADD COLUMN "nick" TEXT;
            """
        let unix = file(up)
        let windows = unix.replacingOccurrences(of: "\n", with: "\r\n")
        let earlier = [try initial]
        let expected = MigrationLinter.lint(unix, file: "Migrations/0002_x.sql", earlier: earlier)
        let found = MigrationLinter.lint(windows, file: "Migrations/0002_x.sql", earlier: earlier)
        #expect(expected.map(\.rule.id) == ["ddl-after-write"])
        #expect(found.map(\.description) == expected.map(\.description))
    }

    @Test func ddlAfterWrite() throws {
        let found = try findings("""
            INSERT INTO "myproject_customers" ("name") VALUES ('x');
            ALTER TABLE "myproject_customers" ADD COLUMN "nick" TEXT;
            """)
        #expect(found.map(\.rule.id) == ["ddl-after-write"])
        #expect(found.first?.line == 5)
        #expect(found.first?.message.contains("line 4") == true)
        // Negative: the write after the schema change, or only writes.
        #expect(try rules("""
            ALTER TABLE "myproject_customers" ADD COLUMN "nick" TEXT;
            UPDATE "myproject_customers" SET "nick" = "name";
            """).isEmpty)
        #expect(try rules("SELECT 1;\nCREATE INDEX \"i\" ON \"myproject_products\" (\"name\");").isEmpty)
    }

    @Test func alterColumnTypeOnIndexedColumnOrPrimaryKey() throws {
        // customer_id has an index and a foreign key in 0001; id is the primary key.
        #expect(try rules(#"ALTER TABLE "myproject_orders" ALTER COLUMN "customer_id" TYPE NUMERIC(20, 0);"#) == ["alter-indexed-column-type"])
        #expect(try rules(#"ALTER TABLE "myproject_products" ALTER COLUMN "id" SET DATA TYPE NUMERIC(20, 0);"#) == ["alter-indexed-column-type"])
        // Negative: a plain column widens with a warning only.
        #expect(try rules(#"ALTER TABLE "myproject_products" ALTER COLUMN "name" TYPE VARCHAR(300);"#) == ["alter-column-type"])
        #expect(try findings(#"ALTER TABLE "myproject_products" ALTER COLUMN "name" TYPE VARCHAR(300);"#).first?.severity == .warning)
        #expect(try rules(#"ALTER TABLE "myproject_products" ALTER COLUMN "name" SET NOT NULL;"#).isEmpty)
    }

    @Test func conversionsCockroachDBCannotDoOnlineAreErrors() throws {
        // Django's conversion of a plain column to another kind: an error, with the hand-written way as the fix.
        // (VARCHAR to INTEGER can also fail on the values: destructive-change says so beside it.)
        let conversion = try findings(#"ALTER TABLE "myproject_products" ALTER COLUMN "name" TYPE INTEGER USING "name"::INTEGER;"#)
            .filter { $0.rule == .alterColumnType }
        #expect(conversion.count == 1 && conversion.first?.severity == .error)
        #expect(conversion.first?.message.contains("enable_experimental_alter_column_type_general") == true)
        #expect(conversion.first?.description.contains("makemigrations --empty") == true)
        let date = try findings("""
            ALTER TABLE "myproject_customers" ADD COLUMN "born" DATE NULL;
            ALTER TABLE "myproject_customers" ALTER COLUMN "born" TYPE TIMESTAMPTZ USING "born"::TIMESTAMPTZ;
            """)
        #expect(date.map(\.severity) == [.error])
        // On an indexed column: the indexed rule's error, whose fix says to write it by hand.
        let indexed = try findings(#"ALTER TABLE "myproject_orders" ALTER COLUMN "customer_id" TYPE TEXT USING "customer_id"::TEXT;"#)
        #expect(indexed.map(\.rule.id) == ["alter-indexed-column-type"] && indexed.first?.description.contains("makemigrations --empty") == true)
        // Widenings stay warnings: a longer VARCHAR, VARCHAR to TEXT, a wider integer.
        for sql in [
            #"ALTER TABLE "myproject_products" ALTER COLUMN "name" TYPE TEXT;"#,
            """
            ALTER TABLE "myproject_customers" ADD COLUMN "n" SMALLINT NULL;
            ALTER TABLE "myproject_customers" ALTER COLUMN "n" TYPE BIGINT;
            """,
        ] {
            #expect(try findings(sql).map(\.severity) == [.warning], "\(sql)")
        }
    }

    @Test func primaryKeyChange() throws {
        #expect(try rules(#"ALTER TABLE "myproject_products" DROP CONSTRAINT "myproject_products_pkey";"#) == ["primary-key-change"])
        #expect(try rules(#"ALTER TABLE "myproject_products" ADD CONSTRAINT "pk2" PRIMARY KEY ("name");"#) == ["primary-key-change"])
        #expect(try rules(#"ALTER TABLE "myproject_products" ALTER PRIMARY KEY USING COLUMNS ("name");"#) == ["primary-key-change"])
        #expect(try rules(#"ALTER TABLE "myproject_products" ADD CONSTRAINT "u" UNIQUE ("name");"#).isEmpty)
        #expect(try rules(#"ALTER TABLE "myproject_orders" DROP CONSTRAINT "myproject_orders_customer_id_d4969807_fk_myproject_customers_id";"#).isEmpty)
    }

    @Test func int32Ids() throws {
        #expect(try rules(#"CREATE TABLE "a" ("id" SERIAL PRIMARY KEY);"#) == ["int32-id"])
        #expect(try rules(#"CREATE TABLE "a" ("id" INTEGER NOT NULL PRIMARY KEY);"#) == ["int32-id"])
        #expect(try rules(#"CREATE TABLE "a" ("code" INT4 NOT NULL, PRIMARY KEY ("code"));"#) == ["int32-id"])
        #expect(try rules(#"CREATE TABLE "a" ("id" BIGSERIAL PRIMARY KEY, "owner_id" INTEGER);"#) == ["int32-id"])
        #expect(try rules(#"CREATE TABLE "a" ("id" BIGSERIAL PRIMARY KEY, "owner" INT REFERENCES "b" ("id"));"#) == ["int32-id"])
        #expect(try rules(#"ALTER TABLE "myproject_customers" ADD COLUMN "parent_id" INTEGER NULL;"#) == ["int32-id"])
        // Negative: 64-bit ids, and a plain INTEGER quantity.
        #expect(try rules(#"CREATE TABLE "a" ("id" BIGSERIAL PRIMARY KEY, "owner_id" BIGINT, "quantity" INTEGER NOT NULL);"#).isEmpty)
        #expect(try rules(#"ALTER TABLE "myproject_customers" ADD COLUMN "age" INTEGER NULL;"#).isEmpty)
    }

    @Test func enumValueAddedAndUsed() throws {
        let found = try findings("""
            ALTER TYPE "mood" ADD VALUE 'happy';
            UPDATE "people" SET "mood" = 'happy';
            """)
        #expect(found.map(\.rule.id) == ["enum-value-used"])
        #expect(found.first?.statement.hasPrefix("UPDATE \"people\"") == true)
        #expect(try rules("ALTER TYPE \"mood\" ADD VALUE 'happy';\nUPDATE \"people\" SET \"mood\" = 'sad';").isEmpty)
        #expect(try rules("ALTER TYPE \"mood\" ADD VALUE IF NOT EXISTS 'happy';").isEmpty)
    }

    @Test func deferrable() throws {
        #expect(try rules(#"ALTER TABLE "myproject_orders" ADD CONSTRAINT "fk" FOREIGN KEY ("customer_id") REFERENCES "myproject_customers" ("id") DEFERRABLE INITIALLY DEFERRED;"#) == ["deferrable"])
        #expect(try rules("SET CONSTRAINTS ALL DEFERRED;") == ["deferrable"])
        #expect(try rules("SELECT 1;", down: "SET CONSTRAINTS ALL DEFERRED;") == ["deferrable"])
        #expect(try rules(#"ALTER TABLE "myproject_orders" ADD CONSTRAINT "fk" FOREIGN KEY ("customer_id") REFERENCES "myproject_customers" ("id") NOT DEFERRABLE;"#).isEmpty)
        #expect(try rules("SELECT 'deferrable';").isEmpty)
    }

    @Test func advisoryLocks() throws {
        #expect(try rules("SELECT pg_advisory_lock(42);") == ["advisory-lock"])
        #expect(try rules("SELECT PG_TRY_ADVISORY_XACT_LOCK(1);") == ["advisory-lock"])
        #expect(try rules("DO $$ BEGIN PERFORM pg_advisory_xact_lock(1); END $$;") == ["advisory-lock"])
        #expect(try rules("SELECT 1 FROM \"django_migrations_lock\" FOR UPDATE;").isEmpty)
        #expect(try rules("-- pg_advisory_lock is not used here\nSELECT 1;").isEmpty)
    }

    @Test func concurrentIndex() throws {
        #expect(try rules(#"CREATE INDEX CONCURRENTLY "i" ON "myproject_products" ("name");"#) == ["concurrent-index"])
        #expect(try rules(#"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "i" ON "myproject_products" ("name");"#) == ["concurrent-index"])
        #expect(try rules("SELECT 1;", down: #"DROP INDEX CONCURRENTLY "i";"#) == ["concurrent-index"])
        #expect(try rules(#"CREATE INDEX "i" ON "myproject_products" ("name");"#).isEmpty)
    }

    @Test func destructiveChanges() throws {
        #expect(try rules(#"DROP TABLE "myproject_products";"#) == ["destructive-change"])
        #expect(try rules(#"DROP TABLE IF EXISTS "a", "b" CASCADE;"#) == ["destructive-change"])
        #expect(try rules(#"ALTER TABLE "myproject_customers" DROP COLUMN "name";"#) == ["destructive-change"])
        #expect(try rules(#"TRUNCATE "myproject_orders";"#) == ["destructive-change"])
        // Narrowed types (besides the alter-column-type rules).
        #expect(try rules(#"ALTER TABLE "myproject_customers" ALTER COLUMN "name" TYPE VARCHAR(100);"#).sorted() == ["alter-column-type", "destructive-change"])
        #expect(try rules(#"ALTER TABLE "myproject_products" ALTER COLUMN "price" TYPE DECIMAL(10, 2);"#).sorted() == ["alter-column-type", "destructive-change"])
        #expect(try rules("""
            ALTER TABLE "myproject_customers" ADD COLUMN "n" BIGINT NULL;
            ALTER TABLE "myproject_customers" ALTER COLUMN "n" TYPE INTEGER;
            """).sorted() == ["alter-column-type", "destructive-change"])
        // Negative: widening, dropping an index or a default, and the down part's DROP TABLE.
        #expect(try rules(#"ALTER TABLE "myproject_customers" ALTER COLUMN "name" TYPE VARCHAR(300);"#) == ["alter-column-type"])
        #expect(try rules(#"DROP INDEX "myproject_orders_customer_id_d4969807";"#).isEmpty)
        #expect(try rules(#"ALTER TABLE "myproject_customers" ALTER COLUMN "name" DROP DEFAULT;"#).isEmpty)
        #expect(try rules(#"CREATE TABLE "myproject_x" ("id" BIGSERIAL PRIMARY KEY);"#, down: #"DROP TABLE "myproject_x";"#).isEmpty)
    }

    // MARK: - Silencing, directives, reporting

    @Test func silencingForOneStatementOrTheWholeFile() throws {
        let drops = """
            -- lint: allow destructive-change
            DROP TABLE "myproject_products";
            DROP TABLE "myproject_customers";
            """
        let found = try findings(drops)
        #expect(found.map(\.rule.id) == ["destructive-change"])
        #expect(found.first?.line == 6, "only the second DROP is reported")
        #expect(try rules(drops, header: ["-- lint: allow destructive-change"]).isEmpty)
        #expect(try rules(#"DROP TABLE "myproject_products"; -- lint: allow destructive-change"#).isEmpty)
        #expect(try rules("""
            CREATE TABLE "a" (
                -- lint: allow int32-id
                "id" SERIAL PRIMARY KEY
            );
            """).isEmpty)
        #expect(try rules("-- lint: allow destructive-change, int32-id\nCREATE TABLE \"a\" (\"id\" SERIAL PRIMARY KEY);").isEmpty)
        // A directive naming another rule silences nothing.
        #expect(try rules("-- lint: allow deferrable\nDROP TABLE \"myproject_products\";") == ["destructive-change"])
    }

    @Test func unknownDirectivesAreReported() throws {
        #expect(try rules("-- lint: allow destructive\nSELECT 1;") == ["lint-directive"])
        #expect(try rules("-- lint: ignore everything\nSELECT 1;") == ["lint-directive"])
        #expect(try rules("SELECT 1;", header: ["-- lint: allow nothing-real"]) == ["lint-directive"])
        #expect(try findings("-- lint: allow destructive\nSELECT 1;").first?.severity == .warning)
    }

    @Test func findingsNameFileLineStatementRuleAndFix() throws {
        let found = try findings("SELECT 1;\n\nDROP TABLE \"myproject_products\";")
        let finding = try #require(found.first)
        #expect(finding.file == "Migrations/0002_x.sql")
        #expect(finding.line == 6)
        #expect(finding.statement == "DROP TABLE \"myproject_products\"")
        #expect(finding.description == """
            Migrations/0002_x.sql:6: error [destructive-change] DROP TABLE "myproject_products": drops table "myproject_products" and all its data
                fix: \(LintRule.destructiveChange.fix)
            """)
    }

    @Test func unreadableFileIsAFinding() {
        let found = MigrationLinter.lint("SELECT 1;\n", file: "0002_x.sql")
        #expect(found.map(\.rule.id) == ["unreadable-file"])
    }

    @Test func everyRuleHasAnIdSeverityAndFix() {
        #expect(Set(LintRule.all.map(\.id)).count == LintRule.all.count)
        for rule in LintRule.all { #expect(!rule.fix.isEmpty && !rule.summary.isEmpty) }
    }
    // MARK: - Several apps

    /// loans is declared first, but its 0001 depends on catalog's 0001, which indexes
    /// catalog_book.isbn: read in the graph's order, loans' type change of that column is found
    /// (read folder by folder in name order, catalog_book was not known yet).
    @Test func filesAreReadInTheGraphsOrderAcrossApps() throws {
        let root = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(root) }
        let catalog = root.appendingPathComponent("catalog"), loans = root.appendingPathComponent("loans")
        try FileManager.default.createDirectory(at: catalog, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: loans, withIntermediateDirectories: true)
        try Data("""
            -- app: catalog
            -- migrate:up
            CREATE TABLE "catalog_book" ("id" BIGSERIAL NOT NULL PRIMARY KEY, "isbn" VARCHAR(20) NOT NULL);
            CREATE INDEX "catalog_book_isbn" ON "catalog_book" ("isbn");
            -- migrate:down
            /*
            DROP TABLE "catalog_book";
            */
            """.utf8).write(to: catalog.appendingPathComponent("0001_initial.sql"))
        try Data("""
            -- app: loans
            -- migration: 0001_initial
            -- dependency: catalog.0001_initial
            -- migrate:up
            ALTER TABLE "catalog_book" ALTER COLUMN "isbn" TYPE VARCHAR(40);
            -- migrate:down
            /*
            ALTER TABLE "catalog_book" ALTER COLUMN "isbn" TYPE VARCHAR(20);
            */
            """.utf8).write(to: loans.appendingPathComponent("0001_initial.sql"))
        let result = try MigrationLinter.lintProject([loans, catalog])
        #expect(result.files == ["0001_initial.sql", "0001_initial.sql"])
        #expect(result.findings.map(\.rule.id) == ["alter-indexed-column-type"])
        #expect(result.findings.first?.file.hasSuffix("loans/0001_initial.sql") == true)
        // Named files are the first app's, still read after catalog's.
        #expect(try MigrationLinter.lintProject([loans, catalog], only: ["0001"]).findings.map(\.rule.id) == ["alter-indexed-column-type"])
    }

    /// A squashed migration and the originals it replaces: each original is read against the
    /// schema before the squash (not after it, as name order would: 0001_squashed sorts after
    /// 0001_initial), and what comes after against the squash's.
    @Test func theOriginalsOfASquashAreReadAgainstTheSchemaBeforeIt() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func write(_ name: String, _ header: String, _ up: String) throws {
            try Data("-- app: myproject\n\(header)-- migrate:up\n\(up)\n-- migrate:down\n/*\nSELECT 1;\n*/\n".utf8)
                .write(to: directory.appendingPathComponent(name))
        }
        try write("0001_initial.sql", "", #"CREATE TABLE "myproject_t" ("id" BIGSERIAL NOT NULL PRIMARY KEY, "code" VARCHAR(10) NOT NULL);"#)
        try write("0002_code_index.sql", "", #"CREATE INDEX "myproject_t_code" ON "myproject_t" ("code");"#)
        try write("0001_squashed_0002_code_index.sql",
                  "-- migration: 0001_squashed_0002_code_index\n-- replaces: myproject.0001_initial\n-- replaces: myproject.0002_code_index\n",
                  #"CREATE TABLE "myproject_t" ("id" BIGSERIAL NOT NULL PRIMARY KEY, "code" VARCHAR(10) NOT NULL); CREATE INDEX "myproject_t_code" ON "myproject_t" ("code");"#)
        try write("0003_code_type.sql", "", #"ALTER TABLE "myproject_t" ALTER COLUMN "code" TYPE VARCHAR(20);"#)
        let result = try MigrationLinter.lintProject([directory])
        #expect(result.files == ["0001_initial.sql", "0002_code_index.sql", "0001_squashed_0002_code_index.sql", "0003_code_type.sql"])
        #expect(result.findings.map(\.rule.id) == ["alter-indexed-column-type"])
    }
}
