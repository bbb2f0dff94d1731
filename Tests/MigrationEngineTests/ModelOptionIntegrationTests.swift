import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// ModelOptionTests' options on a real PostgreSQL: forward, the indexes and constraints
/// `pg_indexes` and `information_schema` show, no drift, enforced; back, the schema exactly as it was.
@Suite struct ModelOptionIntegrationTests {
    @Test func modelOptionsForwardAndBack() async throws {
        let v2 = ModelOptionTests.customers(
            indexes: [Index(fields: ["-age", "name"], name: "cust_age_idx", condition: #""active""#, include: ["id"])],
            constraints: [CheckConstraint(condition: #""age" >= 18"#, name: "cust_adult"),
                          UniqueConstraint(fields: ["name"], name: "cust_active_name_uniq", condition: #""active""#)],
            comment: "people")
        let v3 = ModelOptionTests.customers(
            indexes: [Index(fields: ["-age", "name"], name: "cust_age_desc_idx", condition: #""active""#, include: ["id"])],
            constraints: [UniqueConstraint(fields: ["name", "age"], name: "cust_name_age_uniq")])
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(ModelOptionTests.customers(), in: directory)
        try Fixtures.makeMigration(v2, in: directory)
        try Fixtures.makeMigration(v3, in: directory)
        let migrations = try MigrationLoader.load(directory: directory)
        #expect(migrations[2].operations.contains(.renameIndex(model: "Customers", oldName: "cust_age_idx", newName: "cust_age_desc_idx")))
        let integration = FieldKindIntegrationTests()
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            var snapshots: [[String]] = []
            for migration in migrations {
                try Migrator.migrate(connectionString: url, directory: directory, to: .named(migration.name))
                #expect(try Migrator.drift(connectionString: url, directory: directory) == [], "after \(migration.name)")
                snapshots.append(try integration.snapshot(url))
                if migration.name.hasPrefix("0002") {
                    let indexes = try TestDatabase.query(url, "SELECT indexdef FROM pg_indexes WHERE tablename = 'myproject_customers' ORDER BY indexname")
                        .map { $0[0] ?? "" }
                    #expect(indexes.contains { $0.contains("cust_active_name_uniq") && $0.hasPrefix("CREATE UNIQUE INDEX") && $0.hasSuffix("WHERE active") })
                    #expect(indexes.contains { $0.contains("cust_age_idx") && $0.contains("(age DESC, name) INCLUDE (id) WHERE active") })
                    #expect(try TestDatabase.query(url, "SELECT obj_description('myproject_customers'::regclass)") == [["people"]])
                    #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "INSERT INTO myproject_customers (name, age) VALUES ('Kid', 9)") }
                    try TestDatabase.run(url, "INSERT INTO myproject_customers (name, age) VALUES ('Ada', 30)")
                    #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "INSERT INTO myproject_customers (name, age) VALUES ('Ada', 31)") }
                    // Not active: outside the partial unique constraint.
                    try TestDatabase.run(url, "INSERT INTO myproject_customers (name, age, active) VALUES ('Ada', 32, FALSE)")
                    try TestDatabase.run(url, "DELETE FROM myproject_customers")
                }
            }
            #expect(try TestDatabase.query(url, "SELECT count(*)::TEXT FROM pg_indexes WHERE indexname = 'cust_age_desc_idx'") == [["1"]])
            for index in stride(from: migrations.count - 2, through: 0, by: -1) {
                try Migrator.migrate(connectionString: url, directory: directory, to: .named(String(migrations[index].name.prefix(4))))
                #expect(try Migrator.drift(connectionString: url, directory: directory) == [], "back at \(migrations[index].name)")
                #expect(try integration.snapshot(url) == snapshots[index], "back at \(migrations[index].name)")
            }
        }
    }

    /// Each feature as the migrations built it reads as no drift; each changed by hand is named.
    @Test func driftNamesEachHandMadeChange() async throws {
        var models = ModelOptionTests.customers(
            indexes: [Index(fields: ["-age", "name"], name: "cust_age_idx", condition: #""age" > 0"#, include: ["id"])],
            constraints: [CheckConstraint(condition: #""age" >= 18"#, name: "cust_adult"),
                          UniqueConstraint(fields: ["name"], name: "cust_active_name_uniq", condition: #""active""#)],
            comment: "people")
        models[0].fields[1].dbComment = "full name"
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(models, in: directory)
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory)
            let kinds = { try Migrator.schemaDifferences(connectionString: url, directory: directory).map(\.kind) }
            #expect(try kinds() == [])
            let table = "myproject_customers"
            let steps: [(String, [SchemaDifference.Kind])] = [
                ("ALTER TABLE \(table) DROP CONSTRAINT cust_adult", [.tableCheckMissing]),
                ("ALTER TABLE \(table) ADD CONSTRAINT cust_adult CHECK (age >= 18)", []),
                ("ALTER TABLE \(table) ADD CONSTRAINT by_hand CHECK (age < 200)", [.checkNotInMigrations]),
                ("ALTER TABLE \(table) DROP CONSTRAINT by_hand", []),
                ("DROP INDEX cust_age_idx", [.indexMissing]),
                ("CREATE INDEX cust_age_idx ON \(table) (age DESC, name) INCLUDE (id) WHERE age > 1", [.indexCondition]),
                ("DROP INDEX cust_age_idx", [.indexMissing]),
                ("CREATE INDEX cust_age_idx ON \(table) (age DESC, name) WHERE age > 0", [.indexInclude]),
                ("DROP INDEX cust_age_idx", [.indexMissing]),
                ("CREATE INDEX cust_age_idx ON \(table) (age, name) INCLUDE (id) WHERE age > 0", [.indexOrder]),
                ("DROP INDEX cust_age_idx", [.indexMissing]),
                ("CREATE INDEX cust_age_idx ON \(table) (age DESC, name) INCLUDE (id) WHERE (age > 0)", []),
                ("DROP INDEX cust_active_name_uniq", [.indexMissing]),
                ("CREATE UNIQUE INDEX cust_active_name_uniq ON \(table) (name)", [.indexCondition]),
                ("DROP INDEX cust_active_name_uniq", [.indexMissing]),
                ("CREATE INDEX cust_active_name_uniq ON \(table) (name) WHERE active", [.indexNotUnique]),
                ("DROP INDEX cust_active_name_uniq", [.indexMissing]),
                ("CREATE UNIQUE INDEX cust_active_name_uniq ON \(table) (name) WHERE active", []),
                ("COMMENT ON TABLE \(table) IS 'folk'", [.tableComment]),
                ("COMMENT ON TABLE \(table) IS NULL", [.tableComment]),
                ("COMMENT ON TABLE \(table) IS 'people'", []),
                ("COMMENT ON COLUMN \(table).name IS 'given name'", [.columnComment]),
                ("COMMENT ON COLUMN \(table).age IS 'years'", [.columnComment, .columnComment]),
                ("COMMENT ON COLUMN \(table).name IS 'full name'", [.columnComment]),
                ("COMMENT ON COLUMN \(table).age IS NULL", []),
            ]
            for (statement, expected) in steps {
                try TestDatabase.run(url, statement)
                #expect(try kinds() == expected, "after \(statement)")
            }
            // The fixes `manage sqlalign` would run put the comments and the CHECK back.
            try TestDatabase.run(url, "ALTER TABLE \(table) DROP CONSTRAINT cust_adult")
            try TestDatabase.run(url, "COMMENT ON TABLE \(table) IS 'folk'")
            try TestDatabase.run(url, "COMMENT ON COLUMN \(table).name IS NULL")
            let differences = try Migrator.schemaDifferences(connectionString: url, directory: directory)
            #expect(differences.map(\.kind) == [.tableCheckMissing, .tableComment, .columnComment])
            for fix in differences.compactMap(\.fix) { try TestDatabase.run(url, fix) }
            #expect(try kinds() == [])
        }
    }

    /// An expression index applied on PostgreSQL, shown in `pg_indexes` as `shown`, read back as
    /// no drift; dropped by hand (missing), then made again by each of `remade` in turn, giving
    /// its differences; undone at the end.
    func expectExpressionIndex(_ index: Index, shown: String, remade: [(String, [SchemaDifference.Kind])]) async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let name = try #require(index.name)
        try Fixtures.makeMigration(ModelOptionTests.customers(), in: directory)
        try Fixtures.makeMigration(ModelOptionTests.customers(indexes: [index]), in: directory)
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory)
            let kinds = { try Migrator.schemaDifferences(connectionString: url, directory: directory).map(\.kind) }
            #expect(try kinds() == [])
            #expect(try TestDatabase.query(url, "SELECT indexdef FROM pg_indexes WHERE indexname = '\(name)'").first?.first??.contains(shown) == true)
            try TestDatabase.run(url, "INSERT INTO myproject_customers (name, age) VALUES ('Ada', 30)")
            for (statement, expected) in remade {
                try TestDatabase.run(url, "DROP INDEX \(name)")
                #expect(try kinds() == [.indexMissing])
                try TestDatabase.run(url, statement)
                #expect(try kinds() == expected, "after \(statement)")
            }
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            #expect(try TestDatabase.query(url, "SELECT count(*)::TEXT FROM pg_indexes WHERE indexname = '\(name)'") == [["0"]])
            #expect(try kinds() == [])
        }
    }

    /// An expression index applied and undone on PostgreSQL, read back as no drift; dropped or
    /// changed by hand, named.
    @Test func expressionIndexForwardBackAndDrift() async throws {
        let table = "myproject_customers"
        try await expectExpressionIndex(
            Index(.lower("name"), .upper("name", descending: true), name: "cust_lower_name_idx", condition: #""active""#),
            shown: "(lower((name)::text), upper((name)::text) DESC) WHERE active",
            remade: [
                ("CREATE INDEX cust_lower_name_idx ON \(table) (lower(name), upper(name)) WHERE active", [.indexOrder]),
                ("CREATE INDEX cust_lower_name_idx ON \(table) (upper(name), upper(name) DESC) WHERE active", [.indexMissing]),
                ("CREATE INDEX cust_lower_name_idx ON \(table) (lower(name), upper(name) DESC) WHERE active", []),
            ])
    }

    /// Casts in an index (Django's `Cast`) applied and undone on PostgreSQL, read back from
    /// `pg_indexes` as no drift; a cast to another type, a plain column, or another order is drift.
    @Test func castIndexForwardBackAndDrift() async throws {
        let table = "myproject_customers"
        try await expectExpressionIndex(
            Index(.cast("age", as: .text), .cast("name", as: .char(maxLength: 20), descending: true), name: "cust_cast_idx"),
            shown: "(((age)::text), ((name)::character varying(20)) DESC)",
            remade: [
                ("CREATE INDEX cust_cast_idx ON \(table) ((age::bigint), (name::varchar(20)) DESC)", [.indexMissing]),
                ("CREATE INDEX cust_cast_idx ON \(table) (age, name DESC)", [.indexMissing]),
                ("CREATE INDEX cust_cast_idx ON \(table) ((age::text), (name::varchar(20)))", [.indexOrder]),
                ("CREATE INDEX cust_cast_idx ON \(table) ((age::text), (name::varchar(20)) DESC)", []),
            ])
    }

    @Test func anUnmanagedTableIsLeftAlone() async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(ModelOptionTests.withLegacy, in: directory)
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try TestDatabase.run(url, "CREATE TABLE legacy_accounts (id BIGSERIAL PRIMARY KEY, owner TEXT NOT NULL, extra INT)")
            try Migrator.migrate(connectionString: url, directory: directory)
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            try TestDatabase.run(url, "INSERT INTO legacy_accounts (owner) VALUES ('x'); INSERT INTO myproject_link (account_id) SELECT id FROM legacy_accounts")
            try Migrator.migrate(connectionString: url, directory: directory, to: .zero)
            // Its rows and its column the models do not know are still there.
            #expect(try TestDatabase.query(url, "SELECT owner FROM legacy_accounts") == [["x"]])
            #expect(try TestDatabase.query(url, "SELECT count(*)::TEXT FROM information_schema.tables WHERE table_name = 'myproject_link'") == [["0"]])
        }
    }

    @Test func manyToManyThroughForwardAndBack() async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Array(ManyToManyThroughTests.models.prefix(2)), in: directory)
        try Fixtures.makeMigration(ManyToManyThroughTests.models, in: directory)
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory)
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            #expect(try TestDatabase.query(url, """
                SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'myproject%' ORDER BY 1
                """).map { $0[0] ?? "" } == ["myproject_customers", "myproject_orderline", "myproject_orders", "myproject_products"])
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
        }
    }
}
