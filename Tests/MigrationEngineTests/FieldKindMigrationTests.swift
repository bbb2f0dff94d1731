import Foundation
@testable import MigrationEngine
import Testing

/// The field kinds Django has beyond the tutorial's, through makemigrations: the SQL each
/// writes (Django's, adapted to CockroachDB), its reverse, the file's round trip, and each
/// change the autodetector finds. No database (FieldKindIntegrationTests applies the SQL).
@Suite struct FieldKindMigrationTests {
    /// A model with one field of every new column kind.
    static let everything = Model("Profile") {
        UUIDField("id", primaryKey: true, defaultRandom: true)
        SmallIntegerField("rank", default: 1)
        PositiveIntegerField("stock")
        PositiveSmallIntegerField("floor", null: true)
        PositiveBigIntegerField("views", default: 0)
        FloatField("ratio", default: "0.5")
        DateField("born", defaultNow: true)
        TimeField("opens", null: true, defaultNow: true)
        DurationField("lasts", null: true)
        JSONField("data", dbIndex: true)
        BinaryField("blob", null: true)
        EmailField("email", unique: true)
        SlugField("slug")
        URLField("site", null: true)
        GenericIPAddressField("ip", null: true)
        OneToOneField("customer", to: "Customers", onDelete: .cascade)
    }

    static let models = Fixtures.bank + [everything]

    @Test func createTableWritesEachKindAsDjangoDoesOnPostgreSQL() throws {
        let state = try Fixtures.state(Self.models)
        let before = try Fixtures.state(Fixtures.bank)
        let operation = Operation.createModel(try #require(state.model("Profile")))
        #expect(try operation.forwardSQL(from: before) == [
            """
            CREATE TABLE "myproject_profile" (
                "id" UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
                "rank" SMALLINT NOT NULL DEFAULT 1,
                "stock" INTEGER NOT NULL CONSTRAINT "myproject_profile_stock_\(Names.hash("myproject_profile", ["stock"]))_check" CHECK ("stock" >= 0),
                "floor" SMALLINT NULL CONSTRAINT "myproject_profile_floor_\(Names.hash("myproject_profile", ["floor"]))_check" CHECK ("floor" >= 0),
                "views" BIGINT NOT NULL DEFAULT 0 CONSTRAINT "myproject_profile_views_\(Names.hash("myproject_profile", ["views"]))_check" CHECK ("views" >= 0),
                "ratio" DOUBLE PRECISION NOT NULL DEFAULT 0.5,
                "born" DATE NOT NULL DEFAULT CURRENT_DATE,
                "opens" TIME NULL DEFAULT LOCALTIME,
                "lasts" INTERVAL NULL,
                "data" JSONB NOT NULL,
                "blob" BYTEA NULL,
                "email" VARCHAR(254) NOT NULL,
                "slug" VARCHAR(50) NOT NULL,
                "site" VARCHAR(200) NULL,
                "ip" INET NULL,
                "customer_id" BIGINT NOT NULL,
                CONSTRAINT "\(Names.indexName("myproject_profile", ["customer_id"], suffix: "_fk_myproject_customers_id"))" FOREIGN KEY ("customer_id") REFERENCES "myproject_customers" ("id") ON DELETE CASCADE
            );
            """,
            #"CREATE INDEX "\#(Names.indexName("myproject_profile", ["data"]))" ON "myproject_profile" USING GIN ("data");"#,
            #"CREATE UNIQUE INDEX "\#(Names.indexName("myproject_profile", ["email"], suffix: "_uniq"))" ON "myproject_profile" ("email");"#,
            #"CREATE INDEX "\#(Names.indexName("myproject_profile", ["slug"]))" ON "myproject_profile" ("slug");"#,
            #"CREATE UNIQUE INDEX "\#(Names.indexName("myproject_profile", ["customer_id"], suffix: "_uniq"))" ON "myproject_profile" ("customer_id");"#,
        ])
        #expect(try operation.backwardSQL(from: before) == [#"DROP TABLE "myproject_profile";"#])
    }

    @Test func fileRoundTripReplaysToTheDeclarations() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        let name = try #require(try Fixtures.makeMigration(Self.models, in: directory))
        #expect(name == "0002_profile.sql")
        let migrations = try MigrationLoader.load(directory: directory)
        #expect(try MigrationLoader.replay(migrations, appLabel: Fixtures.app) == Fixtures.state(Self.models))
        #expect(try Fixtures.makeMigration(Self.models, in: directory) == nil)
        // The written file passes the linter: nothing in it is unsafe on CockroachDB.
        let findings = try MigrationLinter.lintDirectory(directory).findings.filter { $0.severity == .error }
        #expect(findings.isEmpty, "\(findings)")
    }

    @Test func aSmallAutoIdIsFlaggedByTheLinterAndReferredToByABigint() throws {
        let models = Fixtures.bank + [Model("Tiny") { SmallAutoField("id"); ForeignKey("owner", to: "Tiny", onDelete: .cascade, null: true) }]
        let state = try Fixtures.state(models)
        let sql = try Operation.createModel(try #require(state.model("Tiny"))).forwardSQL(from: try Fixtures.state(Fixtures.bank))
        #expect(sql[0].contains(#""id" SMALLSERIAL NOT NULL PRIMARY KEY"#))
        #expect(sql[0].contains(#""owner_id" BIGINT NULL"#))
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(models, in: directory)
        #expect(try MigrationLinter.lintDirectory(directory).findings.map(\.rule.id) == ["int32-id"])
    }

    /// Each kind added to a table with rows, changed, and removed; each change both ways.
    @Test func addAlterAndRemoveOfEachKind() throws {
        let detector = AutodetectorTests()
        func customers(@FieldsBuilder _ extra: () -> [FieldState]) -> Model { AutodetectorTests.customers(extra) }
        let table = "myproject_customers"
        func check(_ column: String) -> String { Names.indexName(table, [column], suffix: "_check") }

        // Added and removed: nullable or with a default, nothing is asked.
        let added: [FieldState] = [
            SmallIntegerField("rank", default: 1).state, PositiveIntegerField("stock", null: true).state,
            FloatField("ratio", null: true).state, DateField("born", defaultNow: true).state, TimeField("opens", null: true).state,
            DurationField("lasts", null: true).state, UUIDField("token", defaultRandom: true).state, JSONField("data", null: true).state,
            BinaryField("blob", null: true).state, EmailField("email", null: true).state, SlugField("slug", default: "x").state,
            URLField("site", null: true).state, GenericIPAddressField("ip", null: true).state,
        ]
        for field in added {
            let (up, down) = try detector.roundTrip([customers { }] + Array(Fixtures.bank.dropFirst()),
                                                    [customers { field }] + Array(Fixtures.bank.dropFirst()),
                                                    forward: [.addField(model: "Customers", field: field)],
                                                    reverse: [.removeField(model: "Customers", name: field.name)])
            #expect(up.first?.hasPrefix("ALTER TABLE \"\(table)\" ADD COLUMN \"\(field.column)\" \(field.kind.type.columnType!.sql)") == true, "\(up)")
            #expect(down.last == "ALTER TABLE \"\(table)\" DROP COLUMN \"\(field.column)\";")
            // A SlugField is indexed, as Django's: the index is created with it and dropped first.
            let index = Names.indexName(table, [field.column])
            #expect(up.contains("CREATE INDEX \"\(index)\" ON \"\(table)\" (\"\(field.column)\");") == (field.name == "slug"))
            #expect(down.count == (field.name == "slug" ? 2 : 1))
        }

        // Renamed (the questioner says so): the column is renamed, never dropped and added.
        for field in added {
            let renamed = field.renamed(field.name + "_new")
            let (up, down) = try detector.roundTrip([customers { field }] + Array(Fixtures.bank.dropFirst()),
                                                    [customers { renamed }] + Array(Fixtures.bank.dropFirst()),
                                                    forward: [.renameField(model: "Customers", oldName: field.name, newName: renamed.name)],
                                                    reverse: [.renameField(model: "Customers", oldName: renamed.name, newName: field.name)],
                                                    renames: ["customers.\(field.name)=\(renamed.name)"])
            #expect(up.first == "ALTER TABLE \"\(table)\" RENAME COLUMN \"\(field.name)\" TO \"\(renamed.name)\";", "\(field.kind)")
            #expect(down.first == "ALTER TABLE \"\(table)\" RENAME COLUMN \"\(renamed.name)\" TO \"\(field.name)\";", "\(field.kind)")
            #expect(!(up + down).contains { $0.contains("DROP COLUMN") || $0.contains("ADD COLUMN") })
        }

        // Altered (a comment given): an AlterField, and only the comment changes.
        for field in added {
            var commented = field
            commented.dbComment = "about \(field.name)"
            let (up, down) = try detector.roundTrip([customers { field }] + Array(Fixtures.bank.dropFirst()),
                                                    [customers { commented }] + Array(Fixtures.bank.dropFirst()),
                                                    forward: [.alterField(model: "Customers", field: commented)],
                                                    reverse: [.alterField(model: "Customers", field: field)])
            #expect(up == ["COMMENT ON COLUMN \"\(table)\".\"\(field.column)\" IS 'about \(field.name)';"], "\(field.kind)")
            #expect(down == ["COMMENT ON COLUMN \"\(table)\".\"\(field.column)\" IS NULL;"], "\(field.kind)")
        }

        // IntegerField -> PositiveIntegerField: the same column type, a CHECK added; and back.
        let (up, down) = try detector.roundTrip(
            [customers { IntegerField("stock", default: 0) }] + Array(Fixtures.bank.dropFirst()),
            [customers { PositiveIntegerField("stock", default: 0) }] + Array(Fixtures.bank.dropFirst()),
            forward: [.alterField(model: "Customers", field: PositiveIntegerField("stock", default: 0).state)],
            reverse: [.alterField(model: "Customers", field: IntegerField("stock", default: 0).state)])
        #expect(up == [#"ALTER TABLE "myproject_customers" ADD CONSTRAINT "\#(check("stock"))" CHECK ("stock" >= 0);"#])
        #expect(down == [#"ALTER TABLE "myproject_customers" DROP CONSTRAINT "\#(check("stock"))";"#])

        // SmallIntegerField -> PositiveBigIntegerField: widened in place, the CHECK added after.
        let widened = try detector.roundTrip(
            [customers { SmallIntegerField("views", null: true) }] + Array(Fixtures.bank.dropFirst()),
            [customers { PositiveBigIntegerField("views", null: true) }] + Array(Fixtures.bank.dropFirst()),
            forward: [.alterField(model: "Customers", field: PositiveBigIntegerField("views", null: true).state)],
            reverse: [.alterField(model: "Customers", field: SmallIntegerField("views", null: true).state)])
        #expect(widened.up == [
            #"ALTER TABLE "myproject_customers" ALTER COLUMN "views" TYPE BIGINT;"#,
            #"ALTER TABLE "myproject_customers" ADD CONSTRAINT "\#(check("views"))" CHECK ("views" >= 0);"#,
        ])
        // Back: BIGINT to SMALLINT is Django's conversion, the CHECK dropped first.
        #expect(widened.down == [
            #"ALTER TABLE "myproject_customers" DROP CONSTRAINT "\#(check("views"))";"#,
            #"ALTER TABLE "myproject_customers" ALTER COLUMN "views" TYPE SMALLINT USING "views"::SMALLINT;"#,
        ])

        // A renamed positive field: its CHECK renamed with it.
        let renamed = try detector.roundTrip(
            [customers { PositiveIntegerField("stock") }] + Array(Fixtures.bank.dropFirst()),
            [customers { PositiveIntegerField("quantity") }] + Array(Fixtures.bank.dropFirst()),
            forward: [.renameField(model: "Customers", oldName: "stock", newName: "quantity")],
            reverse: [.renameField(model: "Customers", oldName: "quantity", newName: "stock")],
            renames: ["customers.stock=quantity"])
        #expect(renamed.up == [
            #"ALTER TABLE "myproject_customers" RENAME COLUMN "stock" TO "quantity";"#,
            #"ALTER TABLE "myproject_customers" RENAME CONSTRAINT "\#(check("stock"))" TO "\#(check("quantity"))";"#,
        ])

        // CharField -> EmailField of the same length: no SQL. CharField(250) -> EmailField(254): widened.
        let email = try detector.roundTrip(
            [customers { CharField("email", maxLength: 254, null: true) }] + Array(Fixtures.bank.dropFirst()),
            [customers { EmailField("email", null: true) }] + Array(Fixtures.bank.dropFirst()),
            forward: [.alterField(model: "Customers", field: EmailField("email", null: true).state)],
            reverse: [.alterField(model: "Customers", field: CharField("email", maxLength: 254, null: true).state)])
        #expect(email.up.isEmpty && email.down.isEmpty)

        // ForeignKey -> OneToOneField: the plain index becomes a unique one.
        let orders = Fixtures.bank[2]
        let ordersOneToOne = Model("Orders") {
            AutoField("id", primaryKey: true)
            DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
            OneToOneField("customer", to: "Customers", onDelete: .cascade, null: true)
            ManyToManyField("product", to: "Products")
        }
        let oneToOne = try detector.roundTrip(
            Fixtures.bank, [Fixtures.bank[0], Fixtures.bank[1], ordersOneToOne],
            forward: [.alterField(model: "Orders", field: OneToOneField("customer", to: "Customers", onDelete: .cascade, null: true).state)],
            reverse: [.alterField(model: "Orders", field: try #require(orders.fields.first { $0.name == "customer" }))])
        #expect(oneToOne.up == [
            #"DROP INDEX "myproject_orders_customer_id_d4969807";"#,
            #"CREATE UNIQUE INDEX "\#(Names.indexName("myproject_orders", ["customer_id"], suffix: "_uniq"))" ON "myproject_orders" ("customer_id");"#,
        ])
        #expect(oneToOne.down == [
            #"DROP INDEX "\#(Names.indexName("myproject_orders", ["customer_id"], suffix: "_uniq"))" CASCADE;"#,
            #"CREATE INDEX "myproject_orders_customer_id_d4969807" ON "myproject_orders" ("customer_id");"#,
        ])
    }

    /// A change of kind is Django's conversion, `ALTER COLUMN ... TYPE t USING col::t`, and its
    /// reverse converts back; a default, a CHECK and an index are moved out of its way.
    @Test func changesOfKindAreDjangosConversion() throws {
        let detector = AutodetectorTests()
        let table = "myproject_customers"
        func change(_ from: some FieldDeclaration, _ to: some FieldDeclaration) throws -> (up: [String], down: [String]) {
            try detector.roundTrip(
                [AutodetectorTests.customers { from }] + Array(Fixtures.bank.dropFirst()),
                [AutodetectorTests.customers { to }] + Array(Fixtures.bank.dropFirst()),
                forward: [.alterField(model: "Customers", field: to.state)], reverse: [.alterField(model: "Customers", field: from.state)])
        }
        func convert(_ column: String, _ type: String) -> String {
            #"ALTER TABLE "\#(table)" ALTER COLUMN "\#(column)" TYPE \#(type) USING "\#(column)"::\#(type);"#
        }

        let code = try change(IntegerField("code", null: true), CharField("code", maxLength: 20, null: true))
        #expect(code.up == [convert("code", "VARCHAR(20)")])
        #expect(code.down == [convert("code", "INTEGER")])

        let number = try change(CharField("number", maxLength: 20), IntegerField("number"))
        #expect(number.up == [convert("number", "INTEGER")])
        #expect(number.down == [convert("number", "VARCHAR(20)")])

        let born = try change(DateField("born", null: true), DateTimeField("born", null: true))
        #expect(born.up == [convert("born", "TIMESTAMPTZ")])
        #expect(born.down == [convert("born", "DATE")])

        let data = try change(TextField("data"), JSONField("data"))
        #expect(data.up == [convert("data", "JSONB")])
        #expect(data.down == [convert("data", "TEXT")])

        // A lasting default is dropped before the conversion and set after (PostgreSQL would
        // convert it by an assignment cast only).
        let ratio = try change(FloatField("ratio", default: "0.5"), DecimalField("ratio", maxDigits: 10, decimalPlaces: 2, default: "0.5"))
        #expect(ratio.up == [
            #"ALTER TABLE "\#(table)" ALTER COLUMN "ratio" DROP DEFAULT;"#,
            convert("ratio", "DECIMAL(10, 2)"),
            #"ALTER TABLE "\#(table)" ALTER COLUMN "ratio" SET DEFAULT 0.5;"#,
        ])
        #expect(ratio.down == [
            #"ALTER TABLE "\#(table)" ALTER COLUMN "ratio" DROP DEFAULT;"#,
            convert("ratio", "DOUBLE PRECISION"),
            #"ALTER TABLE "\#(table)" ALTER COLUMN "ratio" SET DEFAULT 0.5;"#,
        ])

        // A positive integer's CHECK is dropped before the conversion, and added after the way back.
        let check = Names.indexName(table, ["stock"], suffix: "_check")
        let stock = try change(PositiveIntegerField("stock"), CharField("stock", maxLength: 10))
        #expect(stock.up == [#"ALTER TABLE "\#(table)" DROP CONSTRAINT "\#(check)";"#, convert("stock", "VARCHAR(10)")])
        #expect(stock.down == [convert("stock", "INTEGER"), #"ALTER TABLE "\#(table)" ADD CONSTRAINT "\#(check)" CHECK ("stock" >= 0);"#])

        // The column's index is dropped before and created after: CockroachDB refuses a
        // conversion on an indexed column.
        let index = Names.indexName(table, ["rank"], suffix: "")
        let rank = try change(CharField("rank", maxLength: 5, dbIndex: true), SmallIntegerField("rank", dbIndex: true))
        #expect(rank.up == [
            #"DROP INDEX "\#(index)";"#, convert("rank", "SMALLINT"), #"CREATE INDEX "\#(index)" ON "\#(table)" ("rank");"#,
        ])
        #expect(rank.down == [
            #"DROP INDEX "\#(index)";"#, convert("rank", "VARCHAR(5)"), #"CREATE INDEX "\#(index)" ON "\#(table)" ("rank");"#,
        ])

        // Another width of the same family leaves the USING out, as Django does.
        let digits = try change(DecimalField("amount", maxDigits: 10, decimalPlaces: 2), DecimalField("amount", maxDigits: 12, decimalPlaces: 2))
        #expect(digits.up == [#"ALTER TABLE "\#(table)" ALTER COLUMN "amount" TYPE DECIMAL(12, 2);"#])
        #expect(digits.down == [#"ALTER TABLE "\#(table)" ALTER COLUMN "amount" TYPE DECIMAL(10, 2);"#])
    }

    @Test func defaultsOfTheNewKinds() {
        #expect(FieldKind.date.type.defaultSQL(.now) == "CURRENT_DATE")
        #expect(FieldKind.time.type.defaultSQL(.now) == "LOCALTIME")
        #expect(FieldKind.uuid.type.defaultSQL(.randomUUID) == "gen_random_uuid()")
        #expect(FieldKind.uuid.type.parseDefault("UUID") == .randomUUID)
        #expect(FieldKind.float.type.parseDefault("1.25") == .decimal("1.25"))
        #expect(FieldKind.float.type.parseDefault("1e5") == nil)
        #expect(FieldKind.positiveInteger.type.parseDefault("-1") == nil)
        #expect(FieldKind.positiveInteger.type.defaultProblem(.integer(-1)) == "default -1 is outside 0...2147483647")
        #expect(FieldKind.smallInteger.type.parseDefault("40000") == nil)
        #expect(FieldKind.json.type.parseDefault("{}") == nil)
        #expect(FieldKind.email().type.parseDefault("a@b.c") == .string("a@b.c"))
        #expect(ColumnType.smallInt.widensInPlace(to: .integer) && ColumnType.smallInt.widensInPlace(to: .bigInt))
        #expect(!ColumnType.integer.widensInPlace(to: .smallInt))
    }

    @Test func declarationsTheKindsRefuse() {
        #expect(throws: ModelValidationError.self) {
            try Fixtures.state([Model("J") { JSONField("data", dbIndex: false).state.with { $0.unique = true } }])
        }
        #expect(throws: ModelValidationError.self) {
            try Fixtures.state([Model("O") { OneToOneField("other", to: "Missing", onDelete: .cascade) }])
        }
        #expect(throws: ModelValidationError.self) {
            try Fixtures.state([Model("E") { EmailField("email", maxLength: 0) }])
        }
    }
}

extension FieldState {
    /// A copy changed by `body`.
    func with(_ body: (inout FieldState) -> Void) -> FieldState {
        var copy = self
        body(&copy)
        return copy
    }
}
