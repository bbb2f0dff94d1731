import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// The field kinds beyond the tutorial's on a real PostgreSQL: each version of the models
/// migrated forward gives the columns, constraints and indexes `information_schema` and
/// `pg_indexes` should show, with no drift; each migrated back gives the schema exactly as it
/// was.
@Suite struct FieldKindIntegrationTests {
    static let rest = Array(Fixtures.bank.dropFirst())

    static let v2: [Model] = [
        Model("Customers") {
            AutoField("id"); CharField("name", maxLength: 250)
            PositiveSmallIntegerField("age", null: true)
            IntegerField("stock", default: 0)
            SmallIntegerField("visits", null: true)
            EmailField("email", null: true)
        },
    ] + rest + [FieldKindMigrationTests.everything]

    static let v3: [Model] = [
        Model("Customers") {
            AutoField("id"); CharField("name", maxLength: 250)
            PositiveSmallIntegerField("years", null: true)
            PositiveIntegerField("stock", default: 0)
            PositiveBigIntegerField("visits", null: true)
            EmailField("email", null: true, unique: true)
        },
        Fixtures.bank[1],
        Model("Orders") {
            AutoField("id", primaryKey: true)
            DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
            OneToOneField("customer", to: "Customers", onDelete: .cascade, null: true)
            ManyToManyField("product", to: "Products")
        },
        Model("Profile") {
            UUIDField("id", primaryKey: true, defaultRandom: true)
            SmallIntegerField("rank", default: 1)
            PositiveIntegerField("stock")
            JSONField("data", dbIndex: true)
            SlugField("slug", dbIndex: false)
            DurationField("grace", null: true)
            GenericIPAddressField("ip", null: true)
            OneToOneField("customer", to: "Customers", onDelete: .cascade)
        },
    ]

    static let v4: [Model] = [
        Model("Customers") {
            AutoField("id"); CharField("name", maxLength: 250)
            PositiveSmallIntegerField("years", null: true)
            IntegerField("stock", default: 0)
            SmallIntegerField("visits", null: true)
        },
    ] + rest

    /// Columns (by name: a rebuilt column moves to the end), constraints with their checks, and
    /// index definitions of the app's tables.
    func snapshot(_ url: String) throws -> [String] {
        let columns = try TestDatabase.query(url, """
            SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '-'),
                   coalesce(character_maximum_length::TEXT, '-')
            FROM information_schema.columns WHERE table_schema = current_schema() AND table_name LIKE 'myproject%'
            ORDER BY 1, 2
            """)
        let constraints = try TestDatabase.query(url, """
            SELECT tc.table_name, tc.constraint_name, tc.constraint_type, coalesce(cc.check_clause, '-')
            FROM information_schema.table_constraints tc
            LEFT JOIN information_schema.check_constraints cc
              ON cc.constraint_schema = tc.constraint_schema AND cc.constraint_name = tc.constraint_name
            WHERE tc.table_schema = current_schema() AND tc.table_name LIKE 'myproject%' AND tc.constraint_name NOT LIKE '%_not_null'
            ORDER BY 1, 2
            """)
        let indexes = try TestDatabase.query(url, """
            SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 'myproject%' ORDER BY indexname
            """)
        return (columns + constraints + indexes).map { $0.map { $0 ?? "NULL" }.joined(separator: " ") }
    }

    @Test func eachKindForwardAndBackOnPostgreSQL() async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        try Fixtures.makeMigration(Self.v2, in: directory)
        try Fixtures.makeMigration(Self.v3, in: directory, questioner: ScriptedQuestioner(renames: ["customers.age=years"]))
        try Fixtures.makeMigration(Self.v4, in: directory)
        let migrations = try MigrationLoader.load(directory: directory)
        #expect(migrations.count == 4)
        #expect(try MigrationLoader.replay(migrations, appLabel: Fixtures.app) == Fixtures.state(Self.v4))

        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            var snapshots: [[String]] = []
            for migration in migrations {
                try Migrator.migrate(connectionString: url, directory: directory, to: .named(migration.name))
                #expect(try Migrator.drift(connectionString: url, directory: directory) == [], "after \(migration.name)")
                snapshots.append(try snapshot(url))
                if migration.name.hasPrefix("0001") {
                    try TestDatabase.run(url, "INSERT INTO myproject_customers (name) VALUES ('Carl')")
                }
                if migration.name.hasPrefix("0002") { try expectVersion2(url) }
                if migration.name.hasPrefix("0003") { try expectVersion3(url) }
            }
            for index in stride(from: migrations.count - 2, through: 0, by: -1) {
                try Migrator.migrate(connectionString: url, directory: directory, to: .named(String(migrations[index].name.prefix(4))))
                #expect(try Migrator.drift(connectionString: url, directory: directory) == [], "back at \(migrations[index].name)")
                #expect(try snapshot(url) == snapshots[index], "back at \(migrations[index].name)")
            }
            #expect(try TestDatabase.query(url, "SELECT name FROM myproject_customers") == [["Carl"]])
        }
    }

    /// The new table's columns as information_schema shows them, its indexes, and its CHECKs at work.
    func expectVersion2(_ url: String) throws {
        let columns = try TestDatabase.query(url, """
            SELECT column_name, data_type, is_nullable, coalesce(column_default, '-')
            FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'myproject_profile'
            ORDER BY ordinal_position
            """).map { $0.map { $0 ?? "NULL" }.joined(separator: " ") }
        #expect(columns == [
            "id uuid NO gen_random_uuid()",
            "rank smallint NO 1",
            "stock integer NO -",
            "floor smallint YES -",
            "views bigint NO 0",
            "ratio double precision NO 0.5",
            "born date NO CURRENT_DATE",
            "opens time without time zone YES LOCALTIME",
            "lasts interval YES -",
            "data jsonb NO -",
            "blob bytea YES -",
            "email character varying NO -",
            "slug character varying NO -",
            "site character varying YES -",
            "ip inet YES -",
            "customer_id bigint NO -",
        ])
        let indexes = try TestDatabase.query(url, "SELECT indexdef FROM pg_indexes WHERE tablename = 'myproject_profile' ORDER BY indexname")
            .map { $0[0] ?? "" }
        #expect(indexes.contains { $0.contains("USING gin (data)") })
        #expect(indexes.contains { $0.hasPrefix("CREATE UNIQUE INDEX") && $0.contains("(email)") })
        #expect(indexes.contains { $0.hasPrefix("CREATE UNIQUE INDEX") && $0.contains("(customer_id)") })
        #expect(indexes.contains { $0.hasPrefix("CREATE INDEX") && $0.contains("btree (slug)") })
        let checks = try TestDatabase.query(url, """
            SELECT cc.check_clause FROM information_schema.check_constraints cc
            JOIN information_schema.table_constraints tc ON tc.constraint_name = cc.constraint_name AND tc.constraint_schema = cc.constraint_schema
            WHERE tc.table_name = 'myproject_profile' ORDER BY 1
            """).map { $0[0] ?? "" }.filter { !$0.hasSuffix("IS NOT NULL") }
        #expect(checks == ["((floor >= 0))", "((stock >= 0))", "((views >= 0))"])
        try TestDatabase.run(url, """
            INSERT INTO myproject_profile (stock, data, email, slug, customer_id, lasts, ip)
            SELECT 3, '{"a": 1}', 'carl@example.com', 'carl', id, INTERVAL '2 days', '10.0.0.1' FROM myproject_customers
            """)
        #expect(try TestDatabase.query(url, "SELECT rank::TEXT, ratio::TEXT, born = CURRENT_DATE, data->>'a' FROM myproject_profile")
                == [["1", "0.5", "t", "1"]])
        #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "UPDATE myproject_profile SET stock = -1") }
        #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "UPDATE myproject_customers SET age = -1") }
    }

    func expectVersion3(_ url: String) throws {
        // IntegerField to PositiveIntegerField: the CHECK now holds; the renamed column kept its CHECK.
        #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "UPDATE myproject_customers SET stock = -1") }
        #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "UPDATE myproject_customers SET years = -1") }
        #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "UPDATE myproject_customers SET visits = -1") }
        #expect(try TestDatabase.query(url, """
            SELECT data_type FROM information_schema.columns WHERE table_name = 'myproject_customers' AND column_name = 'visits'
            """) == [["bigint"]])
        // A second profile of the same customer breaks the one-to-one's unique index.
        #expect(throws: DatabaseError.self) {
            try TestDatabase.run(url, "INSERT INTO myproject_profile (stock, data, slug, customer_id) SELECT 1, '{}', 's', id FROM myproject_customers")
        }
    }

    /// Changes of kind on a table with rows: Django's `USING col::t` converts the values forward,
    /// the reverse converts them back, and the drift check agrees at each step.
    @Test func changesOfKindConvertTheRowsForwardAndBack() async throws {
        let before: [Model] = [
            Model("Customers") {
                AutoField("id"); CharField("name", maxLength: 250)
                IntegerField("code", null: true)
                CharField("number", maxLength: 20, null: true)
                DateField("born", null: true)
                TextField("data", null: true)
                FloatField("ratio", default: "0.5")
                PositiveIntegerField("stock", default: 0)
                CharField("rank", maxLength: 5, null: true, dbIndex: true)
            },
        ] + Self.rest
        let after: [Model] = [
            Model("Customers") {
                AutoField("id"); CharField("name", maxLength: 250)
                CharField("code", maxLength: 20, null: true)
                IntegerField("number", null: true)
                DateTimeField("born", null: true)
                JSONField("data", null: true)
                DecimalField("ratio", maxDigits: 10, decimalPlaces: 2, default: "0.5")
                CharField("stock", maxLength: 10, default: "0")
                SmallIntegerField("rank", null: true, dbIndex: true)
            },
        ] + Self.rest
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        try Fixtures.makeMigration(before, in: directory)
        let converting = try #require(try Fixtures.makeMigration(after, in: directory))
        let text = try String(contentsOf: directory.appendingPathComponent(converting), encoding: .utf8)
        #expect(text.contains(#"ALTER TABLE "myproject_customers" ALTER COLUMN "code" TYPE VARCHAR(20) USING "code"::VARCHAR(20);"#))

        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0002"))
            let original = try snapshot(url)
            try TestDatabase.run(url, """
                INSERT INTO myproject_customers (name, code, number, born, data, ratio, stock, rank)
                VALUES ('Carl', 42, '17', DATE '2024-05-06', '{"a": 1}', 0.25, 3, '7')
                """)
            let values = """
                SELECT code::TEXT, number::TEXT, born::DATE::TEXT, data::TEXT, ratio::TEXT, stock::TEXT, rank::TEXT,
                       pg_typeof(code)::TEXT, pg_typeof(number)::TEXT, pg_typeof(born)::TEXT, pg_typeof(data)::TEXT,
                       pg_typeof(ratio)::TEXT, pg_typeof(stock)::TEXT, pg_typeof(rank)::TEXT
                FROM myproject_customers
                """

            try Migrator.migrate(connectionString: url, directory: directory)
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            #expect(try TestDatabase.query(url, values) == [[
                "42", "17", "2024-05-06", #"{"a": 1}"#, "0.25", "3", "7",
                "character varying", "integer", "timestamp with time zone", "jsonb", "numeric", "character varying", "smallint",
            ]])
            // The new defaults and index are in place, the positive integer's CHECK gone.
            try TestDatabase.run(url, "INSERT INTO myproject_customers (name) VALUES ('Dora')")
            #expect(try TestDatabase.query(url, "SELECT ratio::TEXT, stock FROM myproject_customers WHERE name = 'Dora'") == [["0.50", "0"]])
            try TestDatabase.run(url, "DELETE FROM myproject_customers WHERE name = 'Dora'")
            #expect(try TestDatabase.query(url, "SELECT count(*) FROM pg_indexes WHERE tablename = 'myproject_customers' AND indexdef LIKE '%(rank)'")
                    == [["1"]])

            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0002"))
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            #expect(try snapshot(url) == original)
            #expect(try TestDatabase.query(url, values) == [[
                "42", "17", "2024-05-06", #"{"a": 1}"#, "0.25", "3", "7",
                "integer", "character varying", "date", "text", "double precision", "integer", "character varying",
            ]])
            #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "UPDATE myproject_customers SET stock = -1") }
        }
    }

    @Test func theDriftCheckFindsAMissingCheck() async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        try Fixtures.makeMigration(Self.v2, in: directory)
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory)
            let name = Names.indexName("myproject_profile", ["stock"], suffix: "_check")
            try TestDatabase.run(url, "ALTER TABLE myproject_profile DROP CONSTRAINT \(name)")
            #expect(try Migrator.drift(connectionString: url, directory: directory)
                    == [#"myproject_profile.stock: no CHECK ("stock" >= 0) (\#(name))"#])
        }
    }

    /// The field options on PostgreSQL: db_column, db_comment, Django's default (fills, then
    /// dropped), primary keys of other kinds, and each on_delete rule doing what the README says.
    @Test func fieldOptionsForwardAndBackOnPostgreSQL() async throws {
        let v2: [Model] = [
            Model("Customers") {
                AutoField("id"); CharField("name", maxLength: 250)
                CharField("status", maxLength: 1).fillDefault(.string("a")).choices([("a", "Active"), ("c", "Closed")])
                IntegerField("age", null: true, dbIndex: true).dbColumn("years").dbComment("in years")
            },
        ] + Self.rest + [
            Model("Account") {
                BigIntegerField("number").primaryKey()
                ForeignKey("holder", to: "Customers", onDelete: .protect).relatedName("accounts")
                ForeignKey("referrer", to: "Customers", onDelete: .doNothing, null: true)
                ForeignKey("branch", to: "Customers", onDelete: .setDefault, null: true)
            },
        ]
        let v3: [Model] = [
            Model("Customers") {
                AutoField("id"); CharField("name", maxLength: 250)
                CharField("status", maxLength: 1).fillDefault(.string("a"))
                IntegerField("age", null: true, dbIndex: true).dbColumn("age_years").dbComment("age, in years")
            },
        ] + Self.rest + [
            Model("Account") {
                BigIntegerField("number").primaryKey()
                ForeignKey("holder", to: "Customers", onDelete: .cascade)
                ForeignKey("referrer", to: "Customers", onDelete: .doNothing, null: true)
                ForeignKey("branch", to: "Customers", onDelete: .setDefault, null: true)
            },
        ]
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        try Fixtures.makeMigration(v2, in: directory)
        try Fixtures.makeMigration(v3, in: directory)
        let migrations = try MigrationLoader.load(directory: directory)
        #expect(try MigrationLoader.replay(migrations, appLabel: Fixtures.app) == Fixtures.state(v3))
        let comment = """
            SELECT column_name, coalesce(col_description('myproject_customers'::regclass, ordinal_position::INT), '-')
            FROM information_schema.columns WHERE table_name = 'myproject_customers' AND column_name LIKE '%year%'
            """
        let rules = """
            SELECT kcu.column_name, rc.delete_rule FROM information_schema.referential_constraints rc
            JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name
            WHERE kcu.table_name = 'myproject_account' ORDER BY 1
            """
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            try TestDatabase.run(url, "INSERT INTO myproject_customers (name) VALUES ('Carl'), ('Dora')")
            let before = try snapshot(url)
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0002"))
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            let v2Snapshot = try snapshot(url)
            // Django's default filled the existing rows and is gone from the table.
            #expect(try TestDatabase.query(url, "SELECT DISTINCT status FROM myproject_customers") == [["a"]])
            #expect(try TestDatabase.query(url, """
                SELECT column_default FROM information_schema.columns WHERE table_name = 'myproject_customers' AND column_name = 'status'
                """) == [[nil]])
            #expect(try TestDatabase.query(url, comment) == [["years", "in years"]])
            #expect(try TestDatabase.query(url, rules) == [["branch_id", "SET DEFAULT"], ["holder_id", "RESTRICT"], ["referrer_id", "NO ACTION"]])
            #expect(try TestDatabase.query(url, """
                SELECT data_type FROM information_schema.columns WHERE table_name = 'myproject_account' AND column_name = 'number'
                """) == [["bigint"]])
            try TestDatabase.run(url, """
                INSERT INTO myproject_account (number, holder_id, referrer_id, branch_id)
                SELECT 1, min(id), max(id), max(id) FROM myproject_customers
                """)
            // PROTECT: the holder cannot go. DO_NOTHING: nor can the referrer, the database still checks.
            #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "DELETE FROM myproject_customers WHERE name = 'Carl'") }
            try TestDatabase.run(url, "UPDATE myproject_account SET referrer_id = NULL")
            // SET DEFAULT: the branch goes, the account's branch becomes its default (NULL).
            try TestDatabase.run(url, "DELETE FROM myproject_customers WHERE name = 'Dora'")
            #expect(try TestDatabase.query(url, "SELECT branch_id FROM myproject_account") == [[nil]])

            try Migrator.migrate(connectionString: url, directory: directory)
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            #expect(try TestDatabase.query(url, comment) == [["age_years", "age, in years"]])
            #expect(try TestDatabase.query(url, rules) == [["branch_id", "SET DEFAULT"], ["holder_id", "CASCADE"], ["referrer_id", "NO ACTION"]])
            try TestDatabase.run(url, "DELETE FROM myproject_account")

            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0002"))
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            #expect(try snapshot(url) == v2Snapshot)
            #expect(try TestDatabase.query(url, comment) == [["years", "in years"]])
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            #expect(try snapshot(url) == before)
        }
    }
}
