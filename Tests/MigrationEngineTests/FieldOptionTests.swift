import Foundation
@testable import MigrationEngine
import Testing

/// Django's field options every kind takes: their record in the file, the SQL they make and
/// undo, and the changes the autodetector finds. No database (FieldKindIntegrationTests applies them).
@Suite struct FieldOptionTests {
    let detector = AutodetectorTests()
    static let table = "myproject_customers"
    static let rest = Array(Fixtures.bank.dropFirst())
    func customers(@FieldsBuilder _ extra: () -> [FieldState]) -> [Model] { [AutodetectorTests.customers(extra)] + Self.rest }

    @Test func optionsAreRecordedAndReadBack() throws {
        let field = CharField("status", maxLength: 1).dbColumn("state").dbComment("a or c").fillDefault(.string("a"))
            .choices([("a", "Active"), ("c", "Closed")]).state
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(field), as: UTF8.self)
        #expect(json == #"{"choices":[["a","Active"],["c","Closed"]],"db_column":"state","db_comment":"a or c","fill_default":{"string":"a"},"max_length":1,"name":"status","type":"CharField"}"#)
        #expect(try JSONDecoder().decode(FieldState.self, from: Data(json.utf8)) == field)
        let fk = ForeignKey("owner", to: "Customers", onDelete: .protect).relatedName("pets").state
        #expect(String(decoding: try encoder.encode(fk), as: UTF8.self)
                == #"{"name":"owner","on_delete":"PROTECT","related_name":"pets","to":"Customers","type":"ForeignKey"}"#)
        #expect(OnDelete.allCases.map(\.sql) == ["CASCADE", "SET NULL", "RESTRICT", "RESTRICT", "SET DEFAULT", "NO ACTION"])
    }

    @Test func dbColumnNamesTheColumnAndRenamesItWhenChanged() throws {
        let (up, down) = try detector.roundTrip(
            customers { IntegerField("age", dbIndex: true) }, customers { IntegerField("age", dbIndex: true).dbColumn("years") },
            forward: [.alterField(model: "Customers", field: IntegerField("age", dbIndex: true).dbColumn("years").state)],
            reverse: [.alterField(model: "Customers", field: IntegerField("age", dbIndex: true).state)])
        let oldIndex = Names.indexName(Self.table, ["age"]), newIndex = Names.indexName(Self.table, ["years"])
        #expect(up == [
            #"ALTER TABLE "myproject_customers" RENAME COLUMN "age" TO "years";"#,
            #"ALTER INDEX "\#(oldIndex)" RENAME TO "\#(newIndex)";"#,
        ])
        #expect(down == [
            #"ALTER TABLE "myproject_customers" RENAME COLUMN "years" TO "age";"#,
            #"ALTER INDEX "\#(newIndex)" RENAME TO "\#(oldIndex)";"#,
        ])
        // A foreign key's db_column replaces <name>_id.
        #expect(ForeignKey("owner", to: "C", onDelete: .cascade).dbColumn("owner").state.column == "owner")
    }

    @Test func dbCommentIsACommentOnTheColumn() throws {
        let added = try detector.roundTrip(
            customers { }, customers { TextField("bio", null: true).dbComment("it's free text") },
            forward: [.addField(model: "Customers", field: TextField("bio", null: true).dbComment("it's free text").state)],
            reverse: [.removeField(model: "Customers", name: "bio")])
        #expect(added.up == [
            #"ALTER TABLE "myproject_customers" ADD COLUMN "bio" TEXT NULL;"#,
            #"COMMENT ON COLUMN "myproject_customers"."bio" IS 'it''s free text';"#,
        ])
        let changed = try detector.roundTrip(
            customers { TextField("bio", null: true).dbComment("old") }, customers { TextField("bio", null: true) },
            forward: [.alterField(model: "Customers", field: TextField("bio", null: true).state)],
            reverse: [.alterField(model: "Customers", field: TextField("bio", null: true).dbComment("old").state)])
        #expect(changed.up == [#"COMMENT ON COLUMN "myproject_customers"."bio" IS NULL;"#])
        #expect(changed.down == [#"COMMENT ON COLUMN "myproject_customers"."bio" IS 'old';"#])
        let created = try Operation.createModel(try #require(Fixtures.state([Model("Note") { TextField("body").dbComment("the text") }]).model("Note")))
            .forwardSQL(from: ProjectState(appLabel: Fixtures.app))
        #expect(created.count == 2 && created[1] == #"COMMENT ON COLUMN "myproject_note"."body" IS 'the text';"#)
    }

    /// Django's `default` fills existing rows and is dropped; `db_default` (a kind's `default:`) stays.
    @Test func fillDefaultAndDbDefault() throws {
        let filled = CharField("status", maxLength: 1).fillDefault(.string("a")).state
        let fill = try detector.roundTrip(
            customers { }, customers { filled },
            forward: [.addField(model: "Customers", field: filled, oneOffDefault: .string("a"))],
            reverse: [.removeField(model: "Customers", name: "status")])
        #expect(fill.up == [
            #"ALTER TABLE "myproject_customers" ADD COLUMN "status" VARCHAR(1) NOT NULL DEFAULT 'a';"#,
            #"ALTER TABLE "myproject_customers" ALTER COLUMN "status" DROP DEFAULT;"#,
        ])
        let lasting = CharField("status", maxLength: 1).dbDefault(.string("a")).state
        #expect(lasting == CharField("status", maxLength: 1, default: "a").state)
        let kept = try detector.roundTrip(
            customers { }, customers { lasting },
            forward: [.addField(model: "Customers", field: lasting)],
            reverse: [.removeField(model: "Customers", name: "status")])
        #expect(kept.up == [#"ALTER TABLE "myproject_customers" ADD COLUMN "status" VARCHAR(1) NOT NULL DEFAULT 'a';"#])
    }

    @Test func onDeleteRulesInTheDatabase() throws {
        func orders(_ onDelete: OnDelete, null: Bool = true, default value: FieldDefault? = nil) -> [Model] {
            var customer = ForeignKey("customer", to: "Customers", onDelete: onDelete, null: null).state
            customer.defaultValue = value
            return [Fixtures.bank[0], Fixtures.bank[1], Model("Orders") {
                AutoField("id", primaryKey: true)
                DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
                customer
                ManyToManyField("product", to: "Products")
            }]
        }
        let fk = "myproject_orders_customer_id_d4969807_fk_myproject_customers_id"
        func add(_ rule: String) -> String {
            #"ALTER TABLE "myproject_orders" ADD CONSTRAINT "\#(fk)" FOREIGN KEY ("customer_id") REFERENCES "myproject_customers" ("id") ON DELETE \#(rule);"#
        }
        let drop = #"ALTER TABLE "myproject_orders" DROP CONSTRAINT "\#(fk)";"#
        let field = { (models: [Model]) in models[2].fields.first { $0.name == "customer" }! }
        for (rule, sql) in [(OnDelete.protect, "RESTRICT"), (.doNothing, "NO ACTION"), (.setDefault, "SET DEFAULT")] {
            let (up, down) = try detector.roundTrip(
                Fixtures.bank, orders(rule),
                forward: [.alterField(model: "Orders", field: field(orders(rule)))],
                reverse: [.alterField(model: "Orders", field: field(Fixtures.bank))])
            #expect(up == [drop, add(sql)])
            #expect(down == [drop, add("CASCADE")])
        }
        // RESTRICT and PROTECT are the same rule in the database: the change is recorded, no SQL.
        let same = try detector.roundTrip(
            orders(.restrict), orders(.protect),
            forward: [.alterField(model: "Orders", field: field(orders(.protect)))],
            reverse: [.alterField(model: "Orders", field: field(orders(.restrict)))])
        #expect(same.up.isEmpty && same.down.isEmpty)
        // A foreign key takes no lasting default: SET DEFAULT sets NULL, and needs null: true.
        #expect(throws: ModelValidationError.self) { try Fixtures.state(orders(.setDefault, null: false)) }
        #expect(throws: ModelValidationError.self) { try Fixtures.state(orders(.setDefault, null: false, default: .integer(1))) }
        #expect(FieldKind.foreignKey(to: "A", onDelete: .cascade).type.parseDefault("7") == .integer(7))
    }

    @Test func recordedOnlyOptionsMakeAnAlterFieldWithoutSQL() throws {
        let a = ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true)
        let models = { (field: FieldState) -> [Model] in
            [Fixtures.bank[0], Fixtures.bank[1], Model("Orders") {
                AutoField("id", primaryKey: true); DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
                field; ManyToManyField("product", to: "Products")
            }]
        }
        let named = a.relatedName("orders").state
        let (up, down) = try detector.roundTrip(
            Fixtures.bank, models(named),
            forward: [.alterField(model: "Orders", field: named)], reverse: [.alterField(model: "Orders", field: a.state)])
        #expect(up.isEmpty && down.isEmpty)
        let plain = CharField("size", maxLength: 1, null: true).state
        let chosen = CharField("size", maxLength: 1, null: true).choices([("s", "Small")]).state
        let choices = try detector.roundTrip(
            customers { plain }, customers { chosen },
            forward: [.alterField(model: "Customers", field: chosen)], reverse: [.alterField(model: "Customers", field: plain)])
        #expect(choices.up.isEmpty && choices.down.isEmpty)
    }

    @Test func primaryKeyOnKindsThatMayBeOne() throws {
        let state = try Fixtures.state([
            Model("Account") { BigIntegerField("number").primaryKey(); CharField("holder", maxLength: 100) },
            Model("Country") { CharField("code", maxLength: 2, primaryKey: true) },
            Model("Token") { UUIDField("id", primaryKey: true, defaultRandom: true); ForeignKey("account", to: "Account", onDelete: .cascade) },
        ])
        let empty = ProjectState(appLabel: Fixtures.app)
        let account = try Operation.createModel(try #require(state.model("Account"))).forwardSQL(from: empty)
        #expect(account[0].contains(#""number" BIGINT NOT NULL PRIMARY KEY"#))
        #expect(state.model("Account")?.field("id") == nil)
        let country = try Operation.createModel(try #require(state.model("Country"))).forwardSQL(from: empty)
        #expect(country[0].contains(#""code" VARCHAR(2) NOT NULL PRIMARY KEY"#))
        #expect(throws: ModelValidationError.self) { try Fixtures.state([Model("J") { JSONField("doc").primaryKey() }]) }
    }

    @Test func optionsTheValidationRefuses() {
        for model in [
            Model("A") { IntegerField("n").relatedName("x") },
            Model("B") { TextField("t").dbComment("ends */ here") },
            Model("C") { TextField("t").dbColumn("not plain") },
            Model("D") { CharField("c", maxLength: 1).fillDefault(.string("too long")) },
            Model("E") { ManyToManyField("m", to: "E").dbComment("join") },
        ] {
            #expect(throws: ModelValidationError.self, "\(model.name)") { try Fixtures.state([model]) }
        }
    }
}
