@testable import MigrationEngine
import Testing

/// Each step of the autodetector on its own: the operations it finds, from states where only
/// its sort of change is pending. No database.
@Suite struct AutodetectorStepTests {
    static func state(_ models: [Model]) throws -> ProjectState { try Fixtures.state(models) }

    static let customers = Model("Customers") { AutoField("id"); CharField("name", maxLength: 250) }
    static let products = Model("Products") { AutoField("id"); CharField("name", maxLength: 250) }

    /// A run from `from` to `to`, one step taken.
    static func run(_ from: [Model], _ to: [Model], renames: [String] = [], defaults: [String: String] = [:],
                    _ step: (inout AutodetectorRun) throws -> Void) throws -> AutodetectorRun {
        var run = AutodetectorRun(from: try state(from), to: try state(to),
                                  questioner: ScriptedQuestioner(renames: renames, defaults: defaults))
        try step(&run)
        return run
    }

    @Test func stepsRunInOrderUnderDjangosNames() {
        #expect(Autodetector.steps.map(\.name) == [
            "generate_renamed_models", "generate_altered_db_table", "generate_renamed_fields",
            "generate_removed_indexes, generate_removed_altered_unique_together", "generate_created_models",
            "generate_removed_fields", "generate_added_fields", "generate_altered_fields",
            "generate_altered_unique_together, generate_added_indexes", "generate_deleted_models",
        ])
    }

    @Test func renamedModels() throws {
        let clients = Model("Clients") { AutoField("id"); CharField("name", maxLength: 250) }
        let asked = try Self.run([Self.customers], [clients], renames: ["customers=clients"]) { try $0.generateRenamedModels() }
        #expect(asked.operations == [.renameModel(oldName: "Customers", newName: "Clients")])
        let declined = try Self.run([Self.customers], [clients]) { try $0.generateRenamedModels() }
        #expect(declined.operations.isEmpty)
        // Only the case changed: renamed without a question (the questioner answers no).
        let recased = Model("CUSTOMERS") { AutoField("id"); CharField("name", maxLength: 250) }
        let cased = try Self.run([Self.customers], [recased]) { try $0.generateRenamedModels() }
        #expect(cased.operations == [.renameModel(oldName: "Customers", newName: "CUSTOMERS")])
    }

    @Test func alteredDbTable() throws {
        let moved = Model("Customers", table: "clients") { AutoField("id"); CharField("name", maxLength: 250) }
        let run = try Self.run([Self.customers], [moved]) { try $0.generateAlteredDbTable() }
        #expect(run.operations == [.alterModelTable(name: "Customers", table: "clients")])
    }

    @Test func renamedFields() throws {
        let renamed = Model("Customers") { AutoField("id"); CharField("full_name", maxLength: 250) }
        let run = try Self.run([Self.customers], [renamed], renames: ["customers.name=full_name"]) { try $0.generateRenamedFields() }
        #expect(run.operations == [.renameField(model: "Customers", oldName: "name", newName: "full_name")])
        // A different definition is no rename, whatever the answer.
        let other = Model("Customers") { AutoField("id"); CharField("full_name", maxLength: 100) }
        #expect(try Self.run([Self.customers], [other], renames: ["customers.name=full_name"]) { try $0.generateRenamedFields() }.operations.isEmpty)
    }

    @Test func removedIndexesAndUniqueTogether() throws {
        let indexed = Model("Customers", uniqueTogether: [["name", "city"], ["name", "zip"]], indexes: [Index(fields: ["city"], name: "c_city")]) {
            AutoField("id"); CharField("name", maxLength: 250); CharField("city", maxLength: 50); CharField("zip", maxLength: 9)
        }
        let plain = Model("Customers", uniqueTogether: [["name", "zip"]]) {
            AutoField("id"); CharField("name", maxLength: 250); CharField("zip", maxLength: 9)
        }
        let run = try Self.run([indexed], [plain]) { try $0.generateRemovedIndexesAndUniqueTogether() }
        #expect(run.operations == [
            .removeIndex(model: "Customers", name: "c_city"),
            .alterUniqueTogether(model: "Customers", uniqueTogether: [["name", "zip"]]),
        ])
    }

    @Test func createdModelsComeAfterWhatTheyPointAt() throws {
        let orders = Model("Orders") { AutoField("id"); ForeignKey("customer", to: "Customers", onDelete: .cascade) }
        let run = try Self.run([], [orders, Self.customers]) { try $0.generateCreatedModels() }
        #expect(run.operations.map(\.description) == ["Create model Customers", "Create model Orders"])
        #expect(run.current == run.target)
        // A cycle: the first model waits for its field.
        let a = Model("A") { ForeignKey("b", to: "B", onDelete: .setNull, null: true) }
        let b = Model("B") { ForeignKey("a", to: "A", onDelete: .cascade, null: true) }
        let cycle = try Self.run([], [a, b]) { try $0.generateCreatedModels() }
        #expect(cycle.operations.map(\.description) == ["Create model A", "Create model B", "Add field b to a"])
    }

    @Test func removedFields() throws {
        let tags = Model("Tags") { AutoField("id") }
        let from = Model("Customers") { AutoField("id"); CharField("name", maxLength: 250); ForeignKey("tag", to: "Tags", onDelete: .cascade) }
        let to = Model("Customers") { AutoField("id"); ManyToManyField("tag", to: "Tags") }
        // A foreign key turning into a many-to-many is removed here (and added back later).
        let run = try Self.run([from, tags], [to, tags]) { try $0.generateRemovedFields() }
        #expect(run.operations == [.removeField(model: "Customers", name: "name"), .removeField(model: "Customers", name: "tag")])
    }

    @Test func addedFieldsAskForAOneOffDefault() throws {
        let to = Model("Customers") { AutoField("id"); CharField("name", maxLength: 250); IntegerField("age"); BooleanField("vip", null: true) }
        let run = try Self.run([Self.customers], [to], defaults: ["customers.age": "18"]) { try $0.generateAddedFields() }
        #expect(run.operations == [
            .addField(model: "Customers", field: IntegerField("age").state, oneOffDefault: .integer(18)),
            .addField(model: "Customers", field: BooleanField("vip", null: true).state),
        ])
        #expect(throws: QuestionerError.self) { try Self.run([Self.customers], [to]) { try $0.generateAddedFields() } }
    }

    @Test func alteredFields() throws {
        let to = Model("Customers") { AutoField("id"); CharField("name", maxLength: 300, null: true) }
        let run = try Self.run([Self.customers], [to]) { try $0.generateAlteredFields() }
        #expect(run.operations == [.alterField(model: "Customers", field: CharField("name", maxLength: 300, null: true).state)])
    }

    @Test func addedUniqueTogetherAndIndexes() throws {
        let to = Model("Customers", uniqueTogether: [["id", "name"]], indexes: [Index(fields: ["name"], name: "c_name")]) {
            AutoField("id"); CharField("name", maxLength: 250)
        }
        let run = try Self.run([Self.customers], [to]) { try $0.generateAddedUniqueTogetherAndIndexes() }
        #expect(run.operations == [
            .alterUniqueTogether(model: "Customers", uniqueTogether: [["id", "name"]]),
            .addIndex(model: "Customers", index: IndexState(name: "c_name", fields: ["name"])),
        ])
    }

    @Test func deletedModelsGoAfterWhatPointsAtThem() throws {
        let orders = Model("Orders") { AutoField("id"); ForeignKey("customer", to: "Customers", onDelete: .cascade) }
        let run = try Self.run([Self.customers, orders, Self.products], [Self.products]) { try $0.generateDeletedModels() }
        #expect(run.operations.map(\.description) == ["Delete model Orders", "Delete model Customers"])
        let a = Model("A") { ForeignKey("b", to: "B", onDelete: .setNull, null: true) }
        let b = Model("B") { ForeignKey("a", to: "A", onDelete: .cascade, null: true) }
        let cycle = try Self.run([a, b], []) { try $0.generateDeletedModels() }
        #expect(cycle.operations.map(\.description) == ["Remove field a from b", "Delete model A", "Delete model B"])
    }
}
