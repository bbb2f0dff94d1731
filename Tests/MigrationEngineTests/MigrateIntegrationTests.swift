import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// `migrate` against a real PostgreSQL (BANK_TEST_DATABASE_URL), each test in a fresh database.
@Suite struct MigrateIntegrationTests {
    // MARK: - Helpers

    func query(_ url: String, _ sql: String, _ parameters: [any SQLEncodable] = []) throws -> [[String?]] {
        let connection = try Connection(connectionString: url)
        defer { connection.close() }
        let result = try connection.execute(sql, parameters)
        return try result.map { row in
            try (0..<result.columnCount).map { try row.decode(String?.self, at: $0) }
        }
    }

    func run(_ url: String, _ sql: String) throws {
        let connection = try Connection(connectionString: url)
        defer { connection.close() }
        try connection.run(sql)
    }

    /// The app's tables, sorted.
    func appTables(_ url: String) throws -> [String] {
        try query(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'myproject%' ORDER BY 1")
            .map { $0[0]! }
    }

    func history(_ url: String) throws -> [String] {
        try query(url, "SELECT name FROM django_migrations WHERE app = 'myproject' ORDER BY id").map { $0[0]! }
    }

    /// A copy of the committed Migrations folder.
    func committedCopy() throws -> URL {
        let directory = Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: Fixtures.committedMigrations.appendingPathComponent("0001_initial.sql"),
                                         to: directory.appendingPathComponent("0001_initial.sql"))
        return directory
    }

    /// A folder with the bank's 0001 and an empty 0002 whose SQL is `up` / `down`.
    func withHandWritten(up: String, down: String = "SELECT 1;") throws -> URL {
        let directory = try committedCopy()
        let name = try #require(try Fixtures.makeMigration(Fixtures.bank, in: directory, empty: true))
        try Fixtures.rewrite(directory, name, up: up, down: down)
        return directory
    }

    // MARK: - Tests

    @Test func migrateAllCreatesExactlyTheDeclaredSchema() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let directory = Fixtures.committedMigrations
            #expect(try Migrator.unappliedMigrations(connectionString: url, directory: directory) == ["0001_initial"])
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, output: lines.append)
            #expect(lines.all == [
                "Operations to perform:", "  Apply all migrations: myproject",
                "Running migrations:", "  Applying myproject.0001_initial... OK",
            ])
            #expect(try appTables(url) == ["myproject_customers", "myproject_orders", "myproject_orders_product", "myproject_products"])
            let columns = try query(url, """
                SELECT table_name, column_name, data_type, is_nullable, character_maximum_length::TEXT, numeric_precision::TEXT, numeric_scale::TEXT
                FROM information_schema.columns WHERE table_schema = current_schema() AND table_name LIKE 'myproject%'
                ORDER BY table_name, ordinal_position
                """).map { $0.map { $0 ?? "-" }.joined(separator: " ") }
            #expect(columns == [
                "myproject_customers id bigint NO - 64 0",
                "myproject_customers name character varying NO 250 - -",
                "myproject_orders id bigint NO - 64 0",
                "myproject_orders subtotal numeric NO - 18 2",
                "myproject_orders customer_id bigint YES - 64 0",
                "myproject_orders_product id bigint NO - 64 0",
                "myproject_orders_product orders_id bigint NO - 64 0",
                "myproject_orders_product products_id bigint NO - 64 0",
                "myproject_products id bigint NO - 64 0",
                "myproject_products name character varying NO 250 - -",
                "myproject_products price numeric NO - 18 2",
            ])
            let constraints = try query(url, """
                SELECT tc.table_name, tc.constraint_type, kcu.column_name, COALESCE(rc.delete_rule, '-')
                FROM information_schema.table_constraints tc
                JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
                LEFT JOIN information_schema.referential_constraints rc ON rc.constraint_name = tc.constraint_name
                WHERE tc.table_schema = current_schema() AND tc.table_name LIKE 'myproject%'
                ORDER BY 1, 2, 3
                """).map { $0.map { $0 ?? "-" }.joined(separator: " ") }
            #expect(constraints == [
                "myproject_customers PRIMARY KEY id -",
                "myproject_orders FOREIGN KEY customer_id CASCADE",
                "myproject_orders PRIMARY KEY id -",
                "myproject_orders_product FOREIGN KEY orders_id CASCADE",
                "myproject_orders_product FOREIGN KEY products_id CASCADE",
                "myproject_orders_product PRIMARY KEY id -",
                "myproject_orders_product UNIQUE orders_id -",
                "myproject_orders_product UNIQUE products_id -",
                "myproject_products PRIMARY KEY id -",
            ])
            let indexed = try query(url, "SELECT tablename || '.' || indexdef FROM pg_indexes WHERE tablename LIKE 'myproject%' AND indexname NOT LIKE '%pkey' AND indexdef NOT LIKE '%UNIQUE%' ORDER BY 1")
                .map { $0[0]!.components(separatedBy: " USING btree ").last! }
            #expect(indexed == ["(customer_id)", "(orders_id)", "(products_id)"])
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            #expect(try Migrator.unappliedMigrations(connectionString: url, directory: directory) == [])
            #expect(try Migrator.showMigrations(connectionString: url, directory: directory) == ["myproject", " [X] 0001_initial"])
            let again = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, output: again.append)
            #expect(again.all.last == "  No migrations to apply.")
        }
    }

    @Test func migrateZeroLeavesNoTable() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: Fixtures.committedMigrations)
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: Fixtures.committedMigrations, to: .zero, output: lines.append)
            #expect(lines.all == ["Operations to perform:", "  Unapply all migrations: myproject", "Running migrations:",
                                  "  Unapplying myproject.0001_initial... OK"])
            #expect(try appTables(url).isEmpty)
            #expect(try history(url).isEmpty)
            #expect(try query(url, "SELECT count(*) FROM django_migrations_lock") == [["0"]])
        }
    }

    /// Six versions of the models, through every kind of operation; forward one at a time and
    /// back one at a time, the live schema matching the applied migrations at each step, and data kept.
    @Test func forwardAndBackwardThroughEveryOperation() async throws {
        let v2: [Model] = [
            Model("Customers") {
                AutoField("id"); CharField("name", maxLength: 250)
                CharField("email", maxLength: 254, null: true)
                BooleanField("vip", default: false)
            },
            Model("Products", indexes: [Index(fields: ["name"], name: "products_name_idx")]) {
                AutoField("id"); CharField("name", maxLength: 250); DecimalField("price", maxDigits: 18, decimalPlaces: 2)
                CharField("sku", maxLength: 20, default: "none")
            },
            Fixtures.bank[2],
        ]
        let v3: [Model] = [
            Model("Customers") {
                AutoField("id"); CharField("full_name", maxLength: 250)
                CharField("email", maxLength: 300, null: true, unique: true)
                BooleanField("vip", default: false)
                DateTimeField("joined", defaultNow: true)
            },
            Model("Products", indexes: [Index(fields: ["name"], name: "products_name_idx")]) {
                AutoField("id"); CharField("name", maxLength: 250); DecimalField("price", maxDigits: 12, decimalPlaces: 3)
                CharField("sku", maxLength: 20, default: "none")
            },
            Model("Orders") {
                AutoField("id"); DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
                ForeignKey("customer", to: "Customers", onDelete: .setNull, null: true)
                ManyToManyField("product", to: "Products")
                IntegerField("quantity", default: 1)
            },
        ]
        let v4: [Model] = [
            v3[0],
            Model("Products", uniqueTogether: [["name", "sku"]]) {
                AutoField("id"); CharField("name", maxLength: 250); DecimalField("price", maxDigits: 12, decimalPlaces: 3)
                CharField("sku", maxLength: 20, default: "none")
                TextField("notes", null: true)
                BigIntegerField("stock", default: 0)
            },
            Model("Purchases", table: "myproject_purchase") {
                AutoField("id"); DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
                ForeignKey("customer", to: "Customers", onDelete: .setNull, null: true)
                ManyToManyField("product", to: "Products")
                IntegerField("quantity", default: 1)
            },
        ]
        let v5: [Model] = [
            v3[0],
            Model("Purchases", table: "myproject_purchase") {
                AutoField("id"); DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
                ForeignKey("customer", to: "Customers", onDelete: .setNull, null: true)
                IntegerField("quantity", default: 1)
            },
            Model("Tag") { CharField("label", maxLength: 30, unique: true); ForeignKey("owner", to: "Customers", onDelete: .restrict, null: true) },
        ]
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        try Fixtures.makeMigration(v2, in: directory)
        try Fixtures.makeMigration(v3, in: directory, questioner: ScriptedQuestioner(renames: ["customers.name=full_name"]))
        try Fixtures.makeMigration(v4, in: directory, questioner: ScriptedQuestioner(renames: ["Orders=Purchases"]))
        try Fixtures.makeMigration(v5, in: directory)
        let migrations = try MigrationLoader.load(directory: directory)
        #expect(migrations.count == 5)
        #expect(try MigrationLoader.replay(migrations, appLabel: "myproject") == Fixtures.state(v5))

        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            for (index, migration) in migrations.enumerated() {
                try Migrator.migrate(connectionString: url, directory: directory, to: .named(migration.name))
                #expect(try history(url).count == index + 1)
                #expect(try Migrator.drift(connectionString: url, directory: directory) == [], "after \(migration.name)")
                if index == 0 {
                    try run(url, "INSERT INTO myproject_customers (name) VALUES ('Carl'); INSERT INTO myproject_products (name, price) VALUES ('Widget', 12.50)")
                }
                if index == 2 {
                    // DECIMAL(18,2) to (12,3) is add, copy, drop, rename: the value is kept.
                    let price = try query(url, "SELECT price::TEXT, sku FROM myproject_products")
                    #expect(price == [["12.500", "none"]])
                }
            }
            #expect(try query(url, "SELECT full_name, vip::TEXT FROM myproject_customers") == [["Carl", "false"]])
            #expect(try appTables(url) == ["myproject_customers", "myproject_purchase", "myproject_tag"])
            for index in stride(from: migrations.count - 2, through: 0, by: -1) {
                let lines = Lines()
                try Migrator.migrate(connectionString: url, directory: directory, to: .named(String(migrations[index].name.prefix(4))), output: lines.append)
                #expect(lines.all.last == "  Unapplying myproject.\(migrations[index + 1].name)... OK")
                #expect(try history(url) == migrations[...index].map(\.name))
                #expect(try Migrator.drift(connectionString: url, directory: directory) == [], "back at \(migrations[index].name)")
            }
            #expect(try query(url, "SELECT name FROM myproject_customers") == [["Carl"]])
            try Migrator.migrate(connectionString: url, directory: directory, to: .zero)
            #expect(try appTables(url).isEmpty)
        }
    }

    @Test func editedAppliedFileIsRefusedAndNothingChanges() async throws {
        let directory = try withHandWritten(up: "CREATE TABLE \"myproject_extra\" (\"id\" BIGSERIAL PRIMARY KEY);",
                                            down: "DROP TABLE \"myproject_extra\";")
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            let file = directory.appendingPathComponent("0001_initial.sql")
            let edited = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\n-- migrate:up\n", with: "\n-- migrate:up\n-- reviewed\n")
            try Data(edited.utf8).write(to: file)
            do {
                try Migrator.migrate(connectionString: url, directory: directory)
                Issue.record("an edited applied migration was accepted")
            } catch let error as MigrationStateError {
                #expect(error.description.hasPrefix("Migration myproject.0001_initial is applied, but its file"))
                #expect(error.description.contains("was edited since"))
            }
            #expect(try history(url) == ["0001_initial"])
            #expect(!(try appTables(url).contains("myproject_extra")))
            #expect(try Migrator.showMigrations(connectionString: url, directory: directory)[1] == " [X] 0001_initial (file edited since applied)")
        }
    }

    @Test func deletedAppliedFileIsRefused() async throws {
        let directory = try withHandWritten(up: "SELECT 1;")
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory)
            try FileManager.default.removeItem(at: directory.appendingPathComponent("0002_auto.sql"))
            #expect(throws: MigrationStateError.self) { try Migrator.migrate(connectionString: url, directory: directory, to: .zero) }
            #expect(try history(url) == ["0001_initial", "0002_auto"])
            #expect(try appTables(url).count == 4)
        }
    }

    @Test func unparseableFileChangesNothing() async throws {
        let directory = try committedCopy()
        defer { Fixtures.remove(directory) }
        try Data("-- app: myproject\nnot sql at all\n".utf8).write(to: directory.appendingPathComponent("0002_broken.sql"))
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            #expect(throws: MigrationFileError.self) { try Migrator.migrate(connectionString: url, directory: directory) }
            #expect(try query(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()") == [["0"]])
        }
    }

    @Test func failureMidwayLeavesSchemaAndHistoryAsBefore() async throws {
        let directory = try withHandWritten(up: """
            CREATE TABLE "myproject_extra" ("id" BIGSERIAL PRIMARY KEY);
            INSERT INTO "myproject_customers" ("name") VALUES ('partial');
            SELECT 1 / 0;
            """)
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let lines = Lines()
            #expect(throws: DatabaseError.self) { try Migrator.migrate(connectionString: url, directory: directory, output: lines.append) }
            #expect(lines.all.suffix(2) == ["  Applying myproject.0001_initial... OK", "  Applying myproject.0002_auto... FAILED"])
            #expect(try history(url) == ["0001_initial"])
            #expect(try appTables(url) == ["myproject_customers", "myproject_orders", "myproject_orders_product", "myproject_products"])
            #expect(try query(url, "SELECT count(*) FROM myproject_customers") == [["0"]])
            #expect(try query(url, "SELECT count(*) FROM django_migrations_lock") == [["0"]], "the lock is released")
        }
    }

    /// CockroachDB's strategy, exercised on PostgreSQL: statement by statement, and a rerun
    /// resumes after the last statement that succeeded.
    @Test func statementByStatementResumesAfterAFailure() async throws {
        let directory = try withHandWritten(up: """
            CREATE TABLE "myproject_first" ("id" BIGSERIAL PRIMARY KEY);
            CREATE TABLE "myproject_second" ("id" BIGINT REFERENCES "myproject_blocker" ("id"));
            """, down: "DROP TABLE \"myproject_second\"; DROP TABLE \"myproject_first\";")
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            #expect(throws: MigrationStateError.self) {
                try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: .statementByStatement)
            }
            #expect(try history(url) == ["0001_initial"])
            #expect(try appTables(url).contains("myproject_first"))
            try run(url, "CREATE TABLE myproject_blocker (id BIGINT PRIMARY KEY)")
            // The failed run kept its progress in the lock row (lease ended): the next run resumes.
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: .statementByStatement, output: lines.append)
            #expect(lines.all.contains("  (resuming myproject.0002_auto after statement 1 of 2)"))
            #expect(try history(url) == ["0001_initial", "0002_auto"])
            #expect(try query(url, "SELECT count(*) FROM django_migrations_lock") == [["0"]])
            try Migrator.migrate(connectionString: url, directory: directory, to: .zero, strategy: .statementByStatement)
            #expect(try appTables(url) == ["myproject_blocker"])
        }
    }

    /// Two migrates at once: one applies, the other says it waits for the lock, then finds
    /// nothing to do. The holder's migration blocks on a table the test keeps locked until the
    /// other has said it waits, so no timing decides the outcome on a loaded machine.
    @Test func concurrentMigratesOneAppliesTheOtherWaits() async throws {
        let directory = try withHandWritten(up: "SELECT count(*) FROM \"test_gate\";", down: "SELECT 1;")
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try run(url, "CREATE TABLE test_gate (id BIGINT PRIMARY KEY)")
            let gate = try Connection(connectionString: url)
            defer { gate.close() }
            try TestDatabase.beginLockHolder(gate)
            try gate.run("LOCK TABLE test_gate IN ACCESS EXCLUSIVE MODE")
            let first = Lines(), second = Lines()
            let errors = Lines()
            let done = DispatchGroup()
            for (waitForHolder, lines) in [(false, first), (true, second)] {
                done.enter()
                Thread.detachNewThread {
                    // The second starts once a migrate holds the lock, so that it has to wait.
                    if waitForHolder { waitUntilTheMigrationLockIsHeld(url) }
                    do { try Migrator.migrate(connectionString: url, directory: directory, output: lines.append) }
                    catch { errors.append(String(describing: error)) }
                    done.leave()
                }
            }
            let saysItWaits = { [first, second] in
                (first.all + second.all).contains { $0.hasPrefix("  Waiting for the migration lock, held by ") }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while !saysItWaits() && errors.all.isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            // Said while the holder's migration was still running (it keeps the lock row locked).
            let saidWhileHeld = saysItWaits()
            try gate.run("COMMIT")
            #expect(saidWhileHeld, "first: \(first.all) second: \(second.all)")
            await withCheckedContinuation { continuation in done.notify(queue: .global()) { continuation.resume() } }
            #expect(errors.all.isEmpty)
            let applied = [first.all, second.all].filter { $0.contains("  Applying myproject.0002_auto... OK") }
            let waited = [first.all, second.all].filter { !$0.contains("  Applying myproject.0002_auto... OK") }
            #expect(applied.count == 1, "first: \(first.all) second: \(second.all)")
            #expect(waited.count == 1)
            #expect(waited.first?.contains { $0.hasPrefix("  Waiting for the migration lock, held by ") } == true,
                    "first: \(first.all) second: \(second.all)")
            #expect(waited.first?.last == "  No migrations to apply.")
            #expect(try history(url) == ["0001_initial", "0002_auto"])
        }
    }

    /// Polls (up to 60 s) until django_migrations_lock has a live holder.
    private func waitUntilTheMigrationLockIsHeld(_ url: String) {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let held = try? query(url, "SELECT 1 FROM django_migrations_lock WHERE expires > now()")
            if held?.isEmpty == false { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    @Test func staleLockIsTakenOverAndALiveOneIsWaitedFor() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let directory = Fixtures.committedMigrations
            try Migrator.migrate(connectionString: url, directory: directory, to: .zero)
            try run(url, "INSERT INTO django_migrations_lock VALUES (1, 'ghost', now() - INTERVAL '2 hours', now() - INTERVAL '1 hour', NULL)")
            try Migrator.migrate(connectionString: url, directory: directory)
            #expect(try history(url) == ["0001_initial"])
            try run(url, "INSERT INTO django_migrations_lock VALUES (1, 'alive', now(), now() + INTERVAL '1 hour', NULL)")
            let lines = Lines()
            #expect(throws: MigrationStateError.self) {
                try Migrator.migrate(connectionString: url, directory: directory, to: .zero, lockTimeout: .seconds(1), output: lines.append)
            }
            #expect(lines.all.contains("  Waiting for the migration lock, held by alive..."))
            #expect(try history(url) == ["0001_initial"])
        }
    }

    @Test func fakeAndPlanChangeNoSchema() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let directory = Fixtures.committedMigrations
            let plan = Lines()
            try Migrator.plan(connectionString: url, directory: directory, to: .latest, output: plan.append)
            #expect(plan.all == ["Planned operations:", "myproject.0001_initial", "    Create model Customers",
                                 "    Create model Products", "    Create model Orders"])
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, to: .latest, fake: true, output: lines.append)
            #expect(lines.all.last == "  Applying myproject.0001_initial... FAKED")
            #expect(try history(url) == ["0001_initial"])
            #expect(try appTables(url).isEmpty)
            #expect(try Migrator.drift(connectionString: url, directory: directory).contains("myproject_customers: table missing"))
        }
    }

    @Test func driftIsReported() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let directory = Fixtures.committedMigrations
            try Migrator.migrate(connectionString: url, directory: directory)
            try run(url, """
                ALTER TABLE myproject_customers ADD COLUMN nickname TEXT;
                ALTER TABLE myproject_products ALTER COLUMN name TYPE TEXT;
                ALTER TABLE myproject_orders ALTER COLUMN subtotal DROP NOT NULL;
                CREATE TABLE myproject_stray (id INT)
                """)
            let drift = try Migrator.drift(connectionString: url, directory: directory)
            #expect(drift == [
                "myproject_customers.nickname: column not in the migrations",
                "myproject_orders.subtotal: NULL, expected NOT NULL",
                "myproject_products.name: type text, expected character varying(250)",
                "myproject_stray: table not in the migrations",
            ])
        }
    }

    @Test func targetsByPrefixAndUnknownTargets() async throws {
        let directory = try withHandWritten(up: "CREATE TABLE \"myproject_extra\" (\"id\" BIGSERIAL PRIMARY KEY);",
                                            down: "DROP TABLE \"myproject_extra\";")
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0002"))
            #expect(try appTables(url).contains("myproject_extra"))
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001_initial"), output: lines.append)
            #expect(lines.all == ["Operations to perform:", "  Target specific migration: 0001_initial, from myproject",
                                  "Running migrations:", "  Unapplying myproject.0002_auto... OK"])
            #expect(!(try appTables(url).contains("myproject_extra")))
            #expect(throws: MigrationStateError.self) { try Migrator.migrate(connectionString: url, directory: directory, to: .named("0009")) }
            #expect(throws: MigrationStateError.self) { try Migrator.migrate(connectionString: url, directory: directory, to: .named("000")) }
        }
    }
}
