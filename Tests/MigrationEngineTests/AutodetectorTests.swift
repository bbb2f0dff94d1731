import Foundation
@testable import MigrationEngine
import Testing

/// The diff, for every operation and its reverse: the operations found, the state they replay
/// to, and the SQL they make. No database.
@Suite struct AutodetectorTests {
    /// Diffs `from` → `to` and back; checks the operations both ways and that replaying them
    /// reaches the other state. Returns the forward and backward SQL of the forward operations.
    @discardableResult
    func roundTrip(_ from: [Model], _ to: [Model], forward: [Operation], reverse: [Operation],
                   renames: [String] = [], ignoringNullAlterationsBack: Bool = false) throws -> (up: [String], down: [String]) {
        let a = try Fixtures.state(from), b = try Fixtures.state(to)
        let questioner = ScriptedQuestioner(renames: renames)
        let ops = try Autodetector(from: a, to: b).changes(questioner: questioner)
        #expect(ops == forward)
        var replayed = a
        for op in ops { try op.stateForwards(&replayed) }
        #expect(replayed == b)
        let backQuestioner = ScriptedQuestioner(renames: renames.map(Self.invert))
        let backOps = try Autodetector(from: b, to: a).changes(
            questioner: ignoringNullAlterationsBack ? IgnoringNullAlterations(answers: backQuestioner) : backQuestioner)
        #expect(backOps == reverse)
        var back = b
        for op in backOps { try op.stateForwards(&back) }
        #expect(back == a)
        var up: [String] = [], down: [String] = [], state = a
        for op in ops {
            up += try op.forwardSQL(from: state)
            down += try op.backwardSQL(from: state)
            try op.stateForwards(&state)
        }
        try Self.expectLayoutsAgree(ops, from: a)
        try Self.expectLayoutsAgree(backOps, from: b)
        return (up, down)
    }

    /// The SQL of each operation, from layouts of the tables it can touch only, is the SQL from
    /// layouts of every table.
    static func expectLayoutsAgree(_ ops: [Operation], from start: ProjectState) throws {
        var state = start
        for op in ops {
            let fast = try op.sql(from: state), full = try op.sqlOverFullLayouts(from: state)
            #expect(fast.forward == full.forward, "\(op.description)")
            #expect(fast.backward == full.backward, "\(op.description)")
            try op.stateForwards(&state)
        }
    }

    static func invert(_ rename: String) -> String {
        let parts = rename.split(separator: "=")
        if let dot = parts[0].firstIndex(of: ".") {
            return "\(parts[0][..<dot]).\(parts[1])=\(parts[0][parts[0].index(after: dot)...])"
        }
        return "\(parts[1])=\(parts[0])"
    }

    static func customers(@FieldsBuilder _ extra: () -> [FieldState] = { [] }) -> Model {
        Model("Customers") {
            AutoField("id")
            CharField("name", maxLength: 250)
            extra()
        }
    }

    @Test func createAndDeleteModel() throws {
        let model = try Fixtures.state([Self.customers()]).model("Customers")!
        let sql = try roundTrip([], [Self.customers()], forward: [.createModel(model)], reverse: [.deleteModel(name: "Customers")])
        #expect(sql.up == ["CREATE TABLE \"myproject_customers\" (\n    \"id\" BIGSERIAL NOT NULL PRIMARY KEY,\n    \"name\" VARCHAR(250) NOT NULL\n);"])
        #expect(sql.down == ["DROP TABLE \"myproject_customers\";"])
    }

    @Test func createModelsInDependencyOrderAndDeleteInReverse() throws {
        let state = try Fixtures.state(Fixtures.bank)
        let ops = try Autodetector(from: ProjectState(appLabel: "myproject"), to: state).changes(questioner: NonInteractiveQuestioner())
        #expect(ops.map(\.description) == ["Create model Customers", "Create model Products", "Create model Orders"])
        let back = try Autodetector(from: state, to: ProjectState(appLabel: "myproject")).changes(questioner: NonInteractiveQuestioner())
        #expect(back.map(\.description) == ["Delete model Orders", "Delete model Customers", "Delete model Products"])
    }

    @Test func foreignKeyCycleIsClosedByALaterAddField() throws {
        let models = [
            Model("A") { ForeignKey("b", to: "B", onDelete: .setNull, null: true) },
            Model("B") { ForeignKey("a", to: "A", onDelete: .cascade, null: true) },
        ]
        let ops = try Autodetector(from: ProjectState(appLabel: "myproject"), to: try Fixtures.state(models))
            .changes(questioner: NonInteractiveQuestioner())
        #expect(ops.map(\.description) == ["Create model A", "Create model B", "Add field b to a"])
        let back = try Autodetector(from: try Fixtures.state(models), to: ProjectState(appLabel: "myproject"))
            .changes(questioner: NonInteractiveQuestioner())
        #expect(back.map(\.description) == ["Remove field a from b", "Delete model A", "Delete model B"])
    }

    /// The field that closes a cycle comes late, and so do the index and the unique-together set
    /// over it; when the models go, the field goes after them.
    @Test func foreignKeyCycleWithAnIndexAndAUniqueSetOverItsClosingField() throws {
        let models = [
            Model("A", uniqueTogether: [["b", "n"]], indexes: [Index(fields: ["b"], name: "a_b_idx")]) {
                ForeignKey("b", to: "B", onDelete: .setNull, null: true)
                IntegerField("n", null: true)
            },
            Model("B", uniqueTogether: [["a", "m"]]) { ForeignKey("a", to: "A", onDelete: .cascade, null: true); IntegerField("m", null: true) },
        ]
        let empty = ProjectState(appLabel: "myproject"), full = try Fixtures.state(models)
        let ops = try Autodetector(from: empty, to: full).changes(questioner: NonInteractiveQuestioner())
        #expect(ops.map(\.description) == [
            "Create model A", "Create model B", "Add field b to a",
            "Alter unique_together for a (1 constraint(s))", "Create index a_b_idx on field(s) b of model a",
        ])
        try Self.expectLayoutsAgree(ops, from: empty)
        let back = try Autodetector(from: full, to: empty).changes(questioner: NonInteractiveQuestioner())
        #expect(back.map(\.description) == [
            "Alter unique_together for b (0 constraint(s))", "Remove field a from b", "Delete model A", "Delete model B",
        ])
        try Self.expectLayoutsAgree(back, from: full)
    }

    @Test func foreignKeyCycleOfThreeIsOpenedBeforeTheModelsGo() throws {
        let models = [
            Model("A") { AutoField("id", primaryKey: true); ForeignKey("b", to: "B", onDelete: .cascade, null: true) },
            Model("B") { AutoField("id", primaryKey: true); ForeignKey("c", to: "C", onDelete: .cascade, null: true) },
            Model("C") { AutoField("id", primaryKey: true); ForeignKey("a", to: "A", onDelete: .cascade, null: true) },
            Model("Keep") { AutoField("id", primaryKey: true) },
        ]
        let from = try Fixtures.state(models), to = try Fixtures.state([models[3]])
        let back = try Autodetector(from: from, to: to).changes(questioner: NonInteractiveQuestioner())
        #expect(back.map(\.description) == ["Remove field a from c", "Delete model A", "Delete model B", "Delete model C"])
        try Self.expectLayoutsAgree(back, from: from)
    }

    /// The benchmark's shape (`benchtool.py gen-models`): a chain of models, each pointing at the
    /// one before, the first at a model that stays; deleted from the end of the chain.
    @Test func chainOfModelsIsDeletedFromItsEnd() throws {
        let keep = Self.customers()
        let chain = (0..<30).map { i in
            Model(String(format: "Bench%03d", i)) {
                AutoField("id", primaryKey: true)
                CharField("name", maxLength: 250)
                ForeignKey("parent", to: i == 0 ? "Customers" : String(format: "Bench%03d", i - 1), onDelete: .cascade, null: true)
            }
        }
        let from = try Fixtures.state([keep] + chain.reversed()), to = try Fixtures.state([keep])
        let ops = try Autodetector(from: from, to: to).changes(questioner: NonInteractiveQuestioner())
        #expect(ops.map(\.description) == (0..<30).reversed().map { String(format: "Delete model Bench%03d", $0) })
        try Self.expectLayoutsAgree(ops, from: from)
        let created = try Autodetector(from: to, to: from).changes(questioner: NonInteractiveQuestioner())
        #expect(created.map(\.description) == (0..<30).map { String(format: "Create model Bench%03d", $0) })
        try Self.expectLayoutsAgree(created, from: to)
    }

    @Test func addAndRemoveField() throws {
        let email = CharField("email", maxLength: 254, null: true).state
        let sql = try roundTrip([Self.customers()], [Self.customers { CharField("email", maxLength: 254, null: true) }],
                                forward: [.addField(model: "Customers", field: email)],
                                reverse: [.removeField(model: "Customers", name: "email")])
        #expect(sql.up == ["ALTER TABLE \"myproject_customers\" ADD COLUMN \"email\" VARCHAR(254) NULL;"])
        #expect(sql.down == ["ALTER TABLE \"myproject_customers\" DROP COLUMN \"email\";"])
    }

    @Test func addForeignKeyFieldAddsConstraintAndIndex() throws {
        let from = [Self.customers(), Model("Orders") { AutoField("id") }]
        let to = [Self.customers(), Model("Orders") { AutoField("id"); ForeignKey("customer", to: "Customers", onDelete: .restrict, null: true) }]
        let field = ForeignKey("customer", to: "Customers", onDelete: .restrict, null: true).state
        let sql = try roundTrip(from, to, forward: [.addField(model: "Orders", field: field)],
                                reverse: [.removeField(model: "Orders", name: "customer")])
        #expect(sql.up.count == 3)
        #expect(sql.up[0] == "ALTER TABLE \"myproject_orders\" ADD COLUMN \"customer_id\" BIGINT NULL;")
        #expect(sql.up[1].contains("FOREIGN KEY (\"customer_id\") REFERENCES \"myproject_customers\" (\"id\") ON DELETE RESTRICT"))
        #expect(sql.up[2].hasPrefix("CREATE INDEX \"myproject_orders_customer_id_"))
        #expect(sql.down.first?.contains("DROP CONSTRAINT") == true)
        #expect(sql.down.last == "ALTER TABLE \"myproject_orders\" DROP COLUMN \"customer_id\";")
    }

    @Test func notNullFieldWithoutDefaultNeedsAOneOffValue() throws {
        let from = try Fixtures.state([Self.customers()])
        let to = try Fixtures.state([Self.customers { IntegerField("age") }])
        #expect(throws: QuestionerError.self) {
            try Autodetector(from: from, to: to).changes(questioner: NonInteractiveQuestioner())
        }
        let ops = try Autodetector(from: from, to: to).changes(questioner: ScriptedQuestioner(defaults: ["customers.age": "18"]))
        #expect(ops == [.addField(model: "Customers", field: IntegerField("age").state, oneOffDefault: .integer(18))])
        let sql = try ops[0].forwardSQL(from: from)
        #expect(sql == [
            "ALTER TABLE \"myproject_customers\" ADD COLUMN \"age\" INTEGER NOT NULL DEFAULT 18;",
            "ALTER TABLE \"myproject_customers\" ALTER COLUMN \"age\" DROP DEFAULT;",
        ])
    }

    @Test func alterFieldLengthNullAndDefault() throws {
        let wider = CharField("name", maxLength: 300, null: true, default: "anon")
        let sql = try roundTrip(
            [Self.customers()],
            [Model("Customers") { AutoField("id"); wider }],
            forward: [.alterField(model: "Customers", field: wider.state)],
            reverse: [.alterField(model: "Customers", field: CharField("name", maxLength: 250).state)],
            // Back, the field turns NOT NULL: answered "Ignore for now", the NULLs left to the user.
            ignoringNullAlterationsBack: true)
        #expect(sql.up == [
            "ALTER TABLE \"myproject_customers\" ALTER COLUMN \"name\" TYPE VARCHAR(300);",
            "ALTER TABLE \"myproject_customers\" ALTER COLUMN \"name\" SET DEFAULT 'anon';",
            "ALTER TABLE \"myproject_customers\" ALTER COLUMN \"name\" DROP NOT NULL;",
        ])
        // Narrowing within the family is Django's plain ALTER TYPE (no USING), then the default and NOT NULL.
        #expect(sql.down == [
            "ALTER TABLE \"myproject_customers\" ALTER COLUMN \"name\" TYPE VARCHAR(250);",
            "ALTER TABLE \"myproject_customers\" ALTER COLUMN \"name\" DROP DEFAULT;",
            "ALTER TABLE \"myproject_customers\" ALTER COLUMN \"name\" SET NOT NULL;",
        ])
    }

    @Test func alterForeignKeyOnDeleteReplacesTheConstraint() throws {
        let from = [Self.customers(), Model("Orders") { AutoField("id"); ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true) }]
        let to = [Self.customers(), Model("Orders") { AutoField("id"); ForeignKey("customer", to: "Customers", onDelete: .setNull, null: true) }]
        let sql = try roundTrip(from, to,
                                forward: [.alterField(model: "Orders", field: ForeignKey("customer", to: "Customers", onDelete: .setNull, null: true).state)],
                                reverse: [.alterField(model: "Orders", field: ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true).state)])
        #expect(sql.up.count == 2)
        #expect(sql.up[0].contains("DROP CONSTRAINT"))
        #expect(sql.up[1].hasSuffix("ON DELETE SET NULL;"))
    }

    @Test func uniqueFieldAddsAUniqueIndex() throws {
        let sql = try roundTrip([Self.customers()], [Model("Customers") { AutoField("id"); CharField("name", maxLength: 250, unique: true) }],
                                forward: [.alterField(model: "Customers", field: CharField("name", maxLength: 250, unique: true).state)],
                                reverse: [.alterField(model: "Customers", field: CharField("name", maxLength: 250).state)])
        #expect(sql.up.count == 1 && sql.up[0].hasPrefix("CREATE UNIQUE INDEX \"myproject_customers_name_") && sql.up[0].contains("_uniq\""))
        #expect(sql.down.count == 1 && sql.down[0].hasSuffix("_uniq\" CASCADE;"))
    }

    @Test func renameFieldWhenConfirmed() throws {
        let sql = try roundTrip([Self.customers()], [Model("Customers") { AutoField("id"); CharField("full_name", maxLength: 250) }],
                                forward: [.renameField(model: "Customers", oldName: "name", newName: "full_name")],
                                reverse: [.renameField(model: "Customers", oldName: "full_name", newName: "name")],
                                renames: ["customers.name=full_name"])
        #expect(sql.up == ["ALTER TABLE \"myproject_customers\" RENAME COLUMN \"name\" TO \"full_name\";"])
        #expect(sql.down == ["ALTER TABLE \"myproject_customers\" RENAME COLUMN \"full_name\" TO \"name\";"])
    }

    @Test func renamedIndexedFieldRenamesItsIndexAndConstraint() throws {
        let from = [Self.customers(), Model("Orders") { AutoField("id"); ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true) }]
        let to = [Self.customers(), Model("Orders") { AutoField("id"); ForeignKey("client", to: "Customers", onDelete: .cascade, null: true) }]
        let sql = try roundTrip(from, to,
                                forward: [.renameField(model: "Orders", oldName: "customer", newName: "client")],
                                reverse: [.renameField(model: "Orders", oldName: "client", newName: "customer")],
                                renames: ["orders.customer=client"])
        #expect(sql.up.count == 3)
        #expect(sql.up.contains("ALTER TABLE \"myproject_orders\" RENAME COLUMN \"customer_id\" TO \"client_id\";"))
        #expect(sql.up.contains { $0.hasPrefix("ALTER TABLE \"myproject_orders\" RENAME CONSTRAINT") })
        #expect(sql.up.contains { $0.hasPrefix("ALTER INDEX \"myproject_orders_customer_id_") })
        #expect(!sql.up.contains { $0.contains("DROP") })
    }

    @Test func renameModelWhenConfirmed() throws {
        let sql = try roundTrip(Fixtures.bank, [
            Model("Clients") { AutoField("id", primaryKey: true); CharField("name", maxLength: 250) },
            Fixtures.bank[1],
            Model("Orders") {
                AutoField("id", primaryKey: true)
                DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
                ForeignKey("customer", to: "Clients", onDelete: .cascade, null: true)
                ManyToManyField("product", to: "Products")
            },
        ], forward: [.renameModel(oldName: "Customers", newName: "Clients")],
           reverse: [.renameModel(oldName: "Clients", newName: "Customers")],
           renames: ["customers=clients"])
        #expect(sql.up.first == "ALTER TABLE \"myproject_customers\" RENAME TO \"myproject_clients\";")
        #expect(sql.up.contains { $0.contains("RENAME CONSTRAINT \"myproject_orders_customer_id_") })
        #expect(!sql.up.contains { $0.contains("DROP") || $0.contains("CREATE") })
    }

    @Test func renameModelWithManyToManyRenamesTheJoinTableAndColumn() throws {
        let to: [Model] = [
            Fixtures.bank[0], Fixtures.bank[1],
            Model("Purchases") {
                AutoField("id", primaryKey: true)
                DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
                ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true)
                ManyToManyField("product", to: "Products")
            },
        ]
        let sql = try roundTrip(Fixtures.bank, to, forward: [.renameModel(oldName: "Orders", newName: "Purchases")],
                                reverse: [.renameModel(oldName: "Purchases", newName: "Orders")], renames: ["orders=purchases"])
        #expect(sql.up.contains("ALTER TABLE \"myproject_orders_product\" RENAME TO \"myproject_purchases_product\";"))
        #expect(sql.up.contains("ALTER TABLE \"myproject_purchases_product\" RENAME COLUMN \"orders_id\" TO \"purchases_id\";"))
    }

    @Test func declinedRenameIsRemoveAndAdd() throws {
        let from = try Fixtures.state([Self.customers()])
        let to = try Fixtures.state([Model("Customers") { AutoField("id"); CharField("full_name", maxLength: 250, null: true) }])
        let ops = try Autodetector(from: from, to: to).changes(questioner: NonInteractiveQuestioner())
        #expect(ops.map(\.description) == ["Remove field name from customers", "Add field full_name to customers"])
    }

    @Test func addAndRemoveManyToMany() throws {
        let from = [Self.customers(), Model("Products") { AutoField("id") }]
        let to = [Self.customers { ManyToManyField("favourites", to: "Products") }, Model("Products") { AutoField("id") }]
        let sql = try roundTrip(from, to, forward: [.addField(model: "Customers", field: ManyToManyField("favourites", to: "Products").state)],
                                reverse: [.removeField(model: "Customers", name: "favourites")])
        #expect(sql.up.first?.hasPrefix("CREATE TABLE \"myproject_customers_favourites\" (") == true)
        #expect(sql.up.first?.contains("\"customers_id\" BIGINT NOT NULL") == true)
        #expect(sql.up.first?.contains("UNIQUE (\"customers_id\", \"products_id\")") == true)
        #expect(sql.down == ["DROP TABLE \"myproject_customers_favourites\";"])
    }

    @Test func addAndRemoveIndex() throws {
        let index = IndexState(name: "customers_name_idx", fields: ["name"])
        let sql = try roundTrip([Self.customers()],
                                [Model("Customers", indexes: [Index(fields: ["name"], name: "customers_name_idx")]) { AutoField("id"); CharField("name", maxLength: 250) }],
                                forward: [.addIndex(model: "Customers", index: index)],
                                reverse: [.removeIndex(model: "Customers", name: "customers_name_idx")])
        #expect(sql.up == ["CREATE INDEX \"customers_name_idx\" ON \"myproject_customers\" (\"name\");"])
        #expect(sql.down == ["DROP INDEX \"customers_name_idx\";"])
    }

    @Test func alterUniqueTogether() throws {
        let fields: () -> [FieldState] = { [AutoField("id").state, CharField("name", maxLength: 250).state, CharField("city", maxLength: 50).state] }
        let sql = try roundTrip([Model("Customers", fields: fields)],
                                [Model("Customers", uniqueTogether: [["name", "city"]], fields: fields)],
                                forward: [.alterUniqueTogether(model: "Customers", uniqueTogether: [["name", "city"]])],
                                reverse: [.alterUniqueTogether(model: "Customers", uniqueTogether: [])])
        #expect(sql.up.count == 1 && sql.up[0].hasPrefix("CREATE UNIQUE INDEX \"myproject_customers_name_city_") && sql.up[0].hasSuffix("ON \"myproject_customers\" (\"name\", \"city\");"))
        #expect(sql.down.count == 1 && sql.down[0].hasPrefix("DROP INDEX") && sql.down[0].hasSuffix("CASCADE;"))
    }

    @Test func removingAFieldInAUniqueTogetherSetDropsTheSetFirst() throws {
        let from = try Fixtures.state([Model("Customers", uniqueTogether: [["name", "city"]]) {
            AutoField("id"); CharField("name", maxLength: 250); CharField("city", maxLength: 50)
        }])
        let to = try Fixtures.state([Self.customers()])
        let ops = try Autodetector(from: from, to: to).changes(questioner: NonInteractiveQuestioner())
        #expect(ops.map(\.description) == ["Alter unique_together for customers (0 constraint(s))", "Remove field city from customers"])
    }

    @Test func alterModelTable() throws {
        let sql = try roundTrip([Self.customers()], [Model("Customers", table: "clients") { AutoField("id"); CharField("name", maxLength: 250) }],
                                forward: [.alterModelTable(name: "Customers", table: "clients")],
                                reverse: [.alterModelTable(name: "Customers", table: nil)])
        #expect(sql.up == ["ALTER TABLE \"myproject_customers\" RENAME TO \"clients\";"])
    }

    @Test func sameDeclarationsHaveNoChanges() throws {
        let state = try Fixtures.state(Fixtures.bank)
        #expect(try Autodetector(from: state, to: state).changes(questioner: NonInteractiveQuestioner()).isEmpty)
    }

    @Test func fieldDeclaredInTheMiddleStillEqualsReplayedState() throws {
        let a = try Fixtures.state([Self.customers()])
        let b = try Fixtures.state([Model("Customers") { AutoField("id"); BooleanField("vip", default: false); CharField("name", maxLength: 250) }])
        let ops = try Autodetector(from: a, to: b).changes(questioner: NonInteractiveQuestioner())
        #expect(ops == [.addField(model: "Customers", field: BooleanField("vip", default: false).state)])
        #expect(try Autodetector(from: b, to: a).changes(questioner: NonInteractiveQuestioner()) == [.removeField(model: "Customers", name: "vip")])
    }
}
