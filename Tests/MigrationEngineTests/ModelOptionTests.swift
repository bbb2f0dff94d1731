import Foundation
@testable import MigrationEngine
import Testing

/// Django's model options beyond db_table and unique_together: indexes with a condition,
/// descending fields and included fields, UniqueConstraint and CheckConstraint
/// (AddConstraint / RemoveConstraint), RenameIndex, and db_table_comment
/// (AlterModelTableComment). No database (ModelOptionIntegrationTests applies them).
@Suite struct ModelOptionTests {
    let detector = AutodetectorTests()
    static let rest = Array(Fixtures.bank.dropFirst())

    static func customers(indexes: [Index] = [], constraints: [ConstraintState] = [], comment: String? = nil) -> [Model] {
        [Model("Customers", indexes: indexes, constraints: constraints, tableComment: comment) {
            AutoField("id"); CharField("name", maxLength: 250)
            IntegerField("age", null: true)
            BooleanField("active", default: true)
        }] + rest
    }

    @Test func indexesWithConditionOrderAndInclude() throws {
        let index = Index(fields: ["-age", "name"], name: "cust_age_idx", condition: #""active""#, include: ["id"])
        let state = try Fixtures.state(Self.customers(indexes: [index]))
        #expect(state.model("Customers")?.indexes == [IndexState(name: "cust_age_idx", fields: ["age", "name"], descending: ["age"],
                                                                  condition: #""active""#, include: ["id"])])
        let (up, down) = try detector.roundTrip(
            Self.customers(), Self.customers(indexes: [index]),
            forward: [.addIndex(model: "Customers", index: try #require(state.model("Customers")?.indexes.first))],
            reverse: [.removeIndex(model: "Customers", name: "cust_age_idx")])
        #expect(up == [#"CREATE INDEX "cust_age_idx" ON "myproject_customers" ("age" DESC, "name") INCLUDE ("id") WHERE "active";"#])
        #expect(down == [#"DROP INDEX "cust_age_idx";"#])
        // Unnamed: Django's name, the descending column hashed as "-age".
        let unnamed = try Fixtures.state(Self.customers(indexes: [Index(fields: ["-age"])])).model("Customers")?.indexes.first?.name
        #expect(unnamed == "myproject_c_age_\(Names.hash("myproject_customers", ["-age"]))_idx")
        #expect(unnamed != (try Fixtures.state(Self.customers(indexes: [Index(fields: ["age"])])).model("Customers")?.indexes.first?.name))
    }

    @Test func anIndexUnderANewNameIsRenamed() throws {
        let (up, down) = try detector.roundTrip(
            Self.customers(indexes: [Index(fields: ["name"], name: "old_idx")]), Self.customers(indexes: [Index(fields: ["name"], name: "new_idx")]),
            forward: [.renameIndex(model: "Customers", oldName: "old_idx", newName: "new_idx")],
            reverse: [.renameIndex(model: "Customers", oldName: "new_idx", newName: "old_idx")])
        #expect(up == [#"ALTER INDEX "old_idx" RENAME TO "new_idx";"#])
        #expect(down == [#"ALTER INDEX "new_idx" RENAME TO "old_idx";"#])
        #expect(Operation.renameIndex(model: "Customers", oldName: "old_idx", newName: "new_idx").description
                == "Rename index old_idx on customers to new_idx")
    }

    @Test func uniqueAndCheckConstraints() throws {
        let unique = UniqueConstraint(fields: ["name", "age"], name: "cust_name_age_uniq")
        let partial = UniqueConstraint(fields: ["name"], name: "cust_active_name_uniq", condition: #""active""#)
        let check = CheckConstraint(condition: #""age" >= 18"#, name: "cust_adult")
        let all = Self.customers(constraints: [unique, partial, check])
        let (up, down) = try detector.roundTrip(
            Self.customers(), all,
            forward: [.addConstraint(model: "Customers", constraint: partial), .addConstraint(model: "Customers", constraint: check),
                      .addConstraint(model: "Customers", constraint: unique)],
            reverse: [.removeConstraint(model: "Customers", name: "cust_active_name_uniq"), .removeConstraint(model: "Customers", name: "cust_adult"),
                      .removeConstraint(model: "Customers", name: "cust_name_age_uniq")])
        #expect(up == [
            #"CREATE UNIQUE INDEX "cust_active_name_uniq" ON "myproject_customers" ("name") WHERE "active";"#,
            #"ALTER TABLE "myproject_customers" ADD CONSTRAINT "cust_adult" CHECK ("age" >= 18);"#,
            #"CREATE UNIQUE INDEX "cust_name_age_uniq" ON "myproject_customers" ("name", "age");"#,
        ])
        #expect(down == [
            #"DROP INDEX "cust_active_name_uniq" CASCADE;"#,
            #"ALTER TABLE "myproject_customers" DROP CONSTRAINT "cust_adult";"#,
            #"DROP INDEX "cust_name_age_uniq" CASCADE;"#,
        ])
        // In a new table the CHECK is part of CREATE TABLE.
        let state = try Fixtures.state(all)
        let create = try Operation.createModel(try #require(state.model("Customers"))).forwardSQL(from: ProjectState(appLabel: Fixtures.app))
        #expect(create[0].contains(#"CONSTRAINT "cust_adult" CHECK ("age" >= 18)"#))
        #expect(Operation.addConstraint(model: "Customers", constraint: check).description == "Create constraint cust_adult on model customers")
        // A field in a constraint is renamed in it; one cannot be removed while a constraint holds it.
        var renamed = state
        try Operation.renameField(model: "Customers", oldName: "age", newName: "years").stateForwards(&renamed)
        #expect(renamed.model("Customers")?.constraints.first { $0.name == "cust_name_age_uniq" }?.fields == ["name", "years"])
        var removed = state
        #expect(throws: OperationError.self) { try Operation.removeField(model: "Customers", name: "age").stateForwards(&removed) }
    }

    @Test func tableComment() throws {
        let (up, down) = try detector.roundTrip(
            Self.customers(), Self.customers(comment: "the bank's customers"),
            forward: [.alterModelTableComment(name: "Customers", comment: "the bank's customers")],
            reverse: [.alterModelTableComment(name: "Customers", comment: nil)])
        #expect(up == [#"COMMENT ON TABLE "myproject_customers" IS 'the bank''s customers';"#])
        #expect(down == [#"COMMENT ON TABLE "myproject_customers" IS NULL;"#])
        let created = try Operation.createModel(try #require(Fixtures.state(Self.customers(comment: "c")).model("Customers")))
            .forwardSQL(from: ProjectState(appLabel: Fixtures.app))
        #expect(created[1] == #"COMMENT ON TABLE "myproject_customers" IS 'c';"#)
    }

    @Test func recordedAndReplayedThroughFiles() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let v2 = Self.customers(indexes: [Index(fields: ["-age"], condition: #""age" IS NOT NULL"#, include: ["name"])],
                                constraints: [CheckConstraint(condition: #""age" >= 0"#, name: "cust_age_ok"),
                                              UniqueConstraint(fields: ["name"], name: "cust_name_uniq", condition: #""active""#)],
                                comment: "people")
        try Fixtures.makeMigration(Self.customers(), in: directory)
        try Fixtures.makeMigration(v2, in: directory)
        let migrations = try MigrationLoader.load(directory: directory)
        #expect(try MigrationLoader.replay(migrations, appLabel: Fixtures.app) == Fixtures.state(v2))
        #expect(try Fixtures.makeMigration(v2, in: directory) == nil)
        #expect(migrations[1].operations.map(\.typeName).sorted() == ["AddConstraint", "AddConstraint", "AddIndex", "AlterModelTableComment"])
        #expect(try MigrationLinter.lintDirectory(directory).findings.filter { $0.severity == .error }.isEmpty)
        // Named constraints, and a whole model declared with them, in one file.
        let created = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(created) }
        try Fixtures.makeMigration(v2, in: created)
        #expect(try MigrationLoader.replay(try MigrationLoader.load(directory: created), appLabel: Fixtures.app) == Fixtures.state(v2))
    }

    /// An expression index through makemigrations: its record, its SQL both ways, Django's
    /// description, and a migration file that replays to the same state, leaves nothing to
    /// detect and lints without errors. The state with the index, and the file's text.
    func expectExpressionIndex(_ index: Index, up sql: String, description: String) throws -> (state: ProjectState, file: String) {
        let name = try #require(index.name)
        let state = try Fixtures.state(Self.customers(indexes: [index]))
        let recorded = try #require(state.model("Customers")?.indexes.first)
        #expect(recorded.expressions == index.expressions)
        let (up, down) = try detector.roundTrip(
            Self.customers(), Self.customers(indexes: [index]),
            forward: [.addIndex(model: "Customers", index: recorded)],
            reverse: [.removeIndex(model: "Customers", name: name)])
        #expect(up == [sql])
        #expect(down == [#"DROP INDEX "\#(name)";"#])
        #expect(Operation.addIndex(model: "Customers", index: recorded).description == description)
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Self.customers(), in: directory)
        try Fixtures.makeMigration(Self.customers(indexes: [index]), in: directory)
        let text = try String(contentsOf: try #require(try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .first { $0.lastPathComponent.hasPrefix("0002") }), encoding: .utf8)
        #expect(try MigrationLoader.replay(try MigrationLoader.load(directory: directory), appLabel: Fixtures.app) == state)
        #expect(try Fixtures.makeMigration(Self.customers(indexes: [index]), in: directory) == nil)
        #expect(try MigrationLinter.lintDirectory(directory).findings.filter { $0.severity == .error }.isEmpty)
        return (state, text)
    }

    @Test func expressionIndexesForwardBackRecordedAndValidated() throws {
        let index = Index(.lower("name"), .upper("name", descending: true), name: "cust_lower_name_idx", condition: #""active""#)
        let (state, text) = try expectExpressionIndex(
            index, up: #"CREATE INDEX "cust_lower_name_idx" ON "myproject_customers" (lower("name"), upper("name") DESC) WHERE "active";"#,
            description: "Create index cust_lower_name_idx on Lower(F(name)), Upper(F(name)) on model customers")
        #expect(state.model("Customers")?.indexes.first == IndexState(name: "cust_lower_name_idx", fields: [], condition: #""active""#,
                                                                        expressions: [.lower("name"), .upper("name", descending: true)]))
        #expect(text.contains(#""function":"lower""#) || text.contains(#""function" : "lower""#))
        // Renaming the field renames it in the expression.
        var renamed = state
        try Operation.renameField(model: "Customers", oldName: "name", newName: "full_name").stateForwards(&renamed)
        #expect(renamed.model("Customers")?.indexes.first?.expressions == [.lower("full_name"), .upper("full_name", descending: true)])
        // Unknown fields, and fields mixed with expressions, are refused.
        #expect(throws: (any Error).self) { try Fixtures.state(Self.customers(indexes: [Index(.lower("nope"), name: "cust_nope_idx")])) }
        var mixed = Index(.lower("name"), name: "cust_mixed_idx")
        mixed.fields = ["age"]
        #expect(throws: (any Error).self) { try Fixtures.state(Self.customers(indexes: [mixed])) }
    }

    /// Django's `Cast(field, output_field=...)` in an index: `(col::type)`, recorded with its
    /// type, through a file and back, renamed with its field, and refused with a type no field kind gives.
    @Test func castIndexesForwardBackRecordedAndValidated() throws {
        let index = Index(.cast("age", as: .text), .cast("name", as: .char(maxLength: 20), descending: true), .cast("age", as: .bigInteger),
                          name: "cust_cast_idx")
        #expect(index.expressions == [
            IndexExpression(.cast, "age", type: "TEXT"), IndexExpression(.cast, "name", descending: true, type: "VARCHAR(20)"),
            IndexExpression(.cast, "age", type: "BIGINT"),
        ])
        let (state, text) = try expectExpressionIndex(
            index, up: #"CREATE INDEX "cust_cast_idx" ON "myproject_customers" (("age"::TEXT), ("name"::VARCHAR(20)) DESC, ("age"::BIGINT));"#,
            description: "Create index cust_cast_idx on Cast(F(age), TEXT), Cast(F(name), VARCHAR(20)), Cast(F(age), BIGINT) on model customers")
        #expect(text.contains(#""type":"VARCHAR(20)""#) || text.contains(#""type" : "VARCHAR(20)""#))
        // Renaming the field renames it in the cast, which keeps its type.
        var renamed = state
        try Operation.renameField(model: "Customers", oldName: "name", newName: "full_name").stateForwards(&renamed)
        #expect(renamed.model("Customers")?.indexes.first?.expressions[1] == IndexExpression(.cast, "full_name", descending: true, type: "VARCHAR(20)"))
        // A type that is not a plain column type (from a hand-edited record), an auto id, a type on lower().
        for bad in [IndexExpression(.cast, "age", type: "TEXT); DROP TABLE x; --"), .cast("age", as: .autoField),
                    IndexExpression(.cast, "age"), IndexExpression(.lower, "name", type: "TEXT")] {
            #expect(throws: (any Error).self, "\(bad)") { try Fixtures.state(Self.customers(indexes: [Index(bad, name: "cust_bad_idx")])) }
        }
    }

    static let legacy = Model("Legacy", table: "legacy_accounts", managed: false) { AutoField("id"); TextField("owner") }
    static let withLegacy = Fixtures.bank + [legacy, Model("Link") { AutoField("id"); ForeignKey("account", to: "Legacy", onDelete: .cascade) }]

    @Test func anUnmanagedModelIsKnownButGetsNoSQL() throws {
        let state = try Fixtures.state(Self.withLegacy)
        let before = try Fixtures.state(Fixtures.bank)
        let create = Operation.createModel(try #require(state.model("Legacy")))
        #expect(try create.forwardSQL(from: before).isEmpty && create.backwardSQL(from: before).isEmpty)
        var afterLegacy = before
        try create.stateForwards(&afterLegacy)
        let link = try Operation.createModel(try #require(state.model("Link"))).forwardSQL(from: afterLegacy)
        #expect(link[0].contains(#"REFERENCES "legacy_accounts" ("id") ON DELETE CASCADE"#))
        // Turning managed on or off is recorded, with no SQL.
        let managed = Fixtures.bank + [Model("Legacy", table: "legacy_accounts") { AutoField("id"); TextField("owner") },
                                       Self.withLegacy[4]]
        let (up, down) = try detector.roundTrip(
            Self.withLegacy, managed,
            forward: [.alterModelOptions(name: "Legacy", managed: true)], reverse: [.alterModelOptions(name: "Legacy", managed: false)])
        #expect(up.isEmpty && down.isEmpty)
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Self.withLegacy, in: directory)
        let text = try String(contentsOf: directory.appendingPathComponent("0001_initial.sql"), encoding: .utf8)
        #expect(text.contains(#""managed":false"#) && !text.contains(#"CREATE TABLE "legacy_accounts""#))
        #expect(try MigrationLoader.replay(try MigrationLoader.load(directory: directory), appLabel: Fixtures.app) == state)
    }

    @Test func declarationsRefused() {
        for models in [
            Self.customers(constraints: [UniqueConstraint(fields: ["missing"], name: "u")]),
            Self.customers(constraints: [CheckConstraint(condition: "", name: "c")]),
            Self.customers(constraints: [CheckConstraint(condition: "true", name: "c"), UniqueConstraint(fields: ["name"], name: "c")]),
            Self.customers(indexes: [Index(fields: ["name"], include: ["nope"])]),
            Self.customers(comment: "*/"),
        ] {
            #expect(throws: ModelValidationError.self) { try Fixtures.state(models) }
        }
    }
}

/// `ManyToManyField(through:)`: the user's model is the join table, and the field makes none.
@Suite struct ManyToManyThroughTests {
    static let models: [Model] = [
        Fixtures.bank[0], Fixtures.bank[1],
        Model("Orders") {
            AutoField("id", primaryKey: true); DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
            ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true)
            ManyToManyField("product", to: "Products", through: "OrderLine")
        },
        Model("OrderLine", uniqueTogether: [["order", "product"]]) {
            AutoField("id")
            ForeignKey("order", to: "Orders", onDelete: .cascade)
            ForeignKey("product", to: "Products", onDelete: .protect)
            PositiveIntegerField("quantity", default: 1)
        },
    ]

    @Test func theThroughModelIsTheJoinTable() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Self.models, in: directory)
        let text = try String(contentsOf: directory.appendingPathComponent("0001_initial.sql"), encoding: .utf8)
        #expect(text.contains(#""through":"OrderLine""#))
        #expect(!text.contains(#"CREATE TABLE "myproject_orders_product""#))
        #expect(text.contains(#"CREATE TABLE "myproject_orderline""#))
        let migrations = try MigrationLoader.load(directory: directory)
        #expect(try MigrationLoader.replay(migrations, appLabel: Fixtures.app) == Fixtures.state(Self.models))
        #expect(try Fixtures.makeMigration(Self.models, in: directory) == nil)
        // Renaming the through model follows in the field.
        var state = try Fixtures.state(Self.models)
        try Operation.renameModel(oldName: "OrderLine", newName: "Line").stateForwards(&state)
        #expect((state.model("Orders")?.field("product")?.kind.type as? ManyToManyField.Kind)?.through == "Line")
        #expect(ModelValidation.validate(appLabel: Fixtures.app, models: state.sortedModels).isEmpty)
    }

    @Test func aThroughModelNeedsBothForeignKeys() {
        var models = Self.models
        models[3] = Model("OrderLine") { AutoField("id"); ForeignKey("order", to: "Orders", onDelete: .cascade) }
        #expect(throws: ModelValidationError.self) { try Fixtures.state(models) }
        models[2] = Model("Orders") { AutoField("id"); ManyToManyField("product", to: "Products", through: "Missing") }
        #expect(throws: ModelValidationError.self) { try Fixtures.state(models) }
    }
}
