import Foundation
@testable import MigrationEngine
import Testing

/// `squashmigrations` and `optimizemigration` on folders. No database (SquashIntegrationTests
/// applies squashed migrations to PostgreSQL).
@Suite struct SquashMigrationsTests {
    static let withEmail = MergeMigrationTests.bank(email: true)
    static let withSku = MergeMigrationTests.bank(email: true, sku: true)
    static let withoutEmail = MergeMigrationTests.bank(sku: true)

    /// 0001_initial, 0002 add customers.email, 0003 add products.sku, 0004 remove customers.email.
    static func fourMigrations() throws -> URL {
        let directory = Fixtures.temporaryDirectory()
        for models in [Fixtures.bank, withEmail, withSku, withoutEmail] { try Fixtures.makeMigration(models, in: directory) }
        return directory
    }

    static let squashedName = "0001_squashed_0004_remove_customers_email"

    @Test func squashReplacesTheRangeWithOptimisedOperations() throws {
        let directory = try Self.fourMigrations()
        defer { Fixtures.remove(directory) }
        let originals = try MigrationLoader.load(directory: directory).map(\.name)
        #expect(originals == ["0001_initial", "0002_customers_email", "0003_products_sku", "0004_remove_customers_email"])
        let lines = Lines()
        let file = try SquashMigrations.squash(directory: directory, app: "myproject", end: "0004", output: lines.append)
        #expect(file == Self.squashedName + ".sql")
        #expect(lines.all == [
            "Will squash the following migrations:",
            " - 0001_initial", " - 0002_customers_email", " - 0003_products_sku", " - 0004_remove_customers_email",
            "Optimizing...",
            "  Optimized from 6 operations to 3 operations.",
            "Created new squashed migration \(directory.appendingPathComponent(Self.squashedName + ".sql").path)",
            "  You should commit this migration but leave the old ones in place;",
            "  the new migration will be used for new installs. Once you are sure",
            "  all instances of the codebase have applied the migrations you squashed,",
            "  you can delete them.",
        ])
        let loaded = try MigrationLoader.loadGraph(directory: directory)
        let squash = try #require(loaded.byKey[MigrationKey(app: "myproject", name: Self.squashedName)])
        #expect(squash.replaces.map(\.name) == originals)
        #expect(squash.operations.map(\.description) == ["Create model Customers", "Create model Products", "Create model Orders"])
        #expect(squash.upSQL.contains(#""sku" VARCHAR(32) NULL"#) && !squash.upSQL.contains("email"))
        // With nothing applied the squash stands for the originals; the state is theirs.
        #expect(loaded.ordered.map(\.name) == [Self.squashedName])
        #expect(try loaded.state() == Fixtures.state(Self.withoutEmail))
        // With some applied, the originals come back; with all, the squash counts as applied.
        let some = try loaded.withHistory([MigrationKey(app: "myproject", name: "0001_initial")])
        #expect(some.ordered.map(\.name) == originals)
        let all = Set(originals.map { MigrationKey(app: "myproject", name: $0) })
        #expect(try loaded.withHistory(all).ordered.map(\.name) == [Self.squashedName])
        #expect(loaded.effectivelyApplied(all).contains(squash.key))
        let replaced = #expect(throws: MigrationStateError.self) { try Migrator.sql(directory: directory, migration: "0002") }
        #expect(replaced?.description.hasPrefix("Migration '0002' of app 'myproject' is replaced by the squashed migration \(Self.squashedName)") == true)
        // The next migration follows the squash, and makemigrations sees no changes.
        #expect(try Fixtures.makeMigration(Self.withoutEmail, in: directory) == nil)
        let next = try #require(try Fixtures.makeMigration(MergeMigrationTests.bank(nameLength: 300, sku: true), in: directory))
        #expect(next == "0005_alter_customers_name.sql")
        // The originals deleted: the squash alone, and 0005 (which named the squash) still loads.
        for name in originals { try FileManager.default.removeItem(at: directory.appendingPathComponent(name + ".sql")) }
        #expect(try MigrationLoader.load(directory: directory).map(\.name) == [Self.squashedName, "0005_alter_customers_name"])
    }

    @Test func squashRefusesHandWrittenSQLAndSquashes() throws {
        let directory = try Self.fourMigrations()
        defer { Fixtures.remove(directory) }
        try SquashMigrations.squash(directory: directory, app: "myproject", end: "0002", output: { _ in })
        let again = #expect(throws: MakeMigrationsError.self) {
            try SquashMigrations.squash(directory: directory, app: "myproject", end: "0001_squashed", squashedName: "other", output: { _ in })
        }
        #expect(again?.description.hasPrefix("You cannot squash squashed migrations!") == true, "\(String(describing: again))")
        let raw = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(raw) }
        try Fixtures.makeMigration(Fixtures.bank, in: raw)
        let name = try #require(try Fixtures.makeMigration(Fixtures.bank, in: raw, empty: true))
        try Fixtures.rewrite(raw, name, up: "UPDATE \"myproject_customers\" SET \"name\" = 'x';", down: "SELECT 1;")
        let refused = #expect(throws: MakeMigrationsError.self) {
            try SquashMigrations.squash(directory: raw, app: "myproject", end: "0002", output: { _ in })
        }
        #expect(refused?.description.contains("hand-written SQL") == true)
    }

    @Test func optimizemigrationRewritesOneFile() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        // A hand-assembled 0002 that adds a field and removes it again.
        let state = try Fixtures.state(Fixtures.bank)
        let email = CharField("email", maxLength: 254, null: true).state
        let text = try MigrationFile.render(app: "myproject", name: "0002_noise", dependencies: [MigrationKey("myproject.0001_initial")!],
                                            operations: [.addField(model: "Customers", field: email), .removeField(model: "Customers", name: "email")],
                                            state: state)
        try Data(text.utf8).write(to: directory.appendingPathComponent("0002_noise.sql"))
        let lines = Lines()
        #expect(try SquashMigrations.optimizeMigration(directory: directory, app: "myproject", name: "0002", check: true, output: lines.append))
        #expect(try String(contentsOf: directory.appendingPathComponent("0002_noise.sql"), encoding: .utf8) == text, "--check wrote")
        try SquashMigrations.optimizeMigration(directory: directory, app: "myproject", name: "0002", output: lines.append)
        #expect(lines.all == ["Optimizing from 2 operations to 0 operations.", "Optimizing from 2 operations to 0 operations.",
                              "Optimized migration \(directory.appendingPathComponent("0002_noise.sql").path)"])
        let migration = try #require(try MigrationLoader.load(directory: directory).last)
        #expect(migration.operations.isEmpty && migration.dependencies == [MigrationKey("myproject.0001_initial")!])
        let again = Lines()
        #expect(try !SquashMigrations.optimizeMigration(directory: directory, app: "myproject", name: "0002", output: again.append))
        #expect(again.all == ["No optimizations possible."])
    }
}
