import Foundation
@testable import MigrationEngine
import Testing

/// makemigrations end to end on a folder: names, output, flags, replay, determinism. No database.
@Suite struct MakeMigrationsTests {
    static let withEmail: [Model] = [
        Model("Customers") {
            AutoField("id", primaryKey: true)
            CharField("name", maxLength: 250)
            CharField("email", maxLength: 254, null: true)
        },
        Fixtures.bank[1], Fixtures.bank[2],
    ]

    @Test func committedInitialMigrationIsWhatMakeMigrationsWrites() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let lines = Lines()
        try MakeMigrations.run(appLabel: "myproject", models: Fixtures.bank, directory: directory, output: lines.append)
        #expect(lines.all == [
            "Migrations for 'myproject':",
            "  \(directory.appendingPathComponent("0001_initial.sql").path)",
            "    - Create model Customers",
            "    - Create model Products",
            "    - Create model Orders",
        ])
        let written = try Data(contentsOf: directory.appendingPathComponent("0001_initial.sql"))
        let committed = try Data(contentsOf: Fixtures.committedMigrations.appendingPathComponent("0001_initial.sql"))
        #expect(written == committed)
    }

    @Test func sameDeclarationsGiveByteIdenticalFiles() throws {
        let first = Fixtures.temporaryDirectory(), second = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(first); Fixtures.remove(second) }
        for directory in [first, second] {
            try Fixtures.makeMigration(Fixtures.bank, in: directory)
            try Fixtures.makeMigration(Self.withEmail, in: directory)
        }
        for name in ["0001_initial.sql", "0002_customers_email.sql"] {
            #expect(try Data(contentsOf: first.appendingPathComponent(name)) == Data(contentsOf: second.appendingPathComponent(name)))
        }
    }

    @Test func nextMigrationIsNamedAfterItsOperationAndReplayEqualsTheDeclarations() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        let lines = Lines()
        try MakeMigrations.run(appLabel: "myproject", models: Self.withEmail, directory: directory, output: lines.append)
        #expect(lines.all.last == "    - Add field email to customers")
        #expect(lines.all[1].hasSuffix("0002_customers_email.sql"))
        let migrations = try MigrationLoader.load(directory: directory)
        #expect(migrations.map(\.name) == ["0001_initial", "0002_customers_email"])
        #expect(try MigrationLoader.replay(migrations, appLabel: "myproject") == Fixtures.state(Self.withEmail))
        let again = Lines()
        try MakeMigrations.run(appLabel: "myproject", models: Self.withEmail, directory: directory, output: again.append)
        #expect(again.all == ["No changes detected"])
    }

    @Test func dryRunAndCheckWriteNothing() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let dry = try MakeMigrations.run(appLabel: "myproject", models: Fixtures.bank, directory: directory,
                                         options: .init(dryRun: true), output: { _ in })
        #expect(dry.hasChanges)
        let check = try MakeMigrations.run(appLabel: "myproject", models: Fixtures.bank, directory: directory,
                                           options: .init(check: true), output: { _ in })
        #expect(check.hasChanges)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        let clean = try MakeMigrations.run(appLabel: "myproject", models: Fixtures.bank, directory: directory,
                                           options: .init(check: true), output: { _ in })
        #expect(!clean.hasChanges)
    }

    @Test func nameAndEmptyFlags() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory, name: "bank")
        let empty = try Fixtures.makeMigration(Fixtures.bank, in: directory, empty: true)
        #expect(empty == "0002_auto.sql")
        let migrations = try MigrationLoader.load(directory: directory)
        #expect(migrations.map(\.name) == ["0001_bank", "0002_auto"])
        #expect(migrations[1].operations.isEmpty)
        #expect(throws: MakeMigrationsError.self) { try Fixtures.makeMigration(Fixtures.bank, in: directory, name: "bad name") }
    }

    @Test func longNamesAreCutLikeDjango() {
        let ops: [Operation] = (1...6).map { .removeField(model: "Customers", name: "field_number_\($0)") }
        #expect(MakeMigrations.suggestedName(ops, initial: false) == "remove_customers_field_number_1_and_more")
        #expect(MakeMigrations.suggestedName(ops, initial: true) == "initial")
    }

    @Test func invalidDeclarationsAreReportedByNameBeforeAnythingIsWritten() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let bad: [Model] = [
            Model("Customers") {
                AutoField("id")
                CharField("name", maxLength: 250)
                CharField("name", maxLength: 10)
                BigAutoField("other")
            },
            Model("Orders") {
                DecimalField("subtotal", maxDigits: 4, decimalPlaces: 6)
                ForeignKey("customer", to: "Customer", onDelete: .cascade)
            },
        ]
        do {
            try Fixtures.makeMigration(bad, in: directory)
            Issue.record("invalid declarations were accepted")
        } catch let error as ModelValidationError {
            #expect(error.problems.contains("myproject.Customers.name: field declared twice"))
            #expect(error.problems.contains { $0.hasPrefix("myproject.Customers: 2 primary keys") })
            #expect(error.problems.contains("myproject.Orders.subtotal: decimal places 6 exceed max digits 4"))
            #expect(error.problems.contains("myproject.Orders.customer: foreign key to unknown model 'Customer'"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func implicitIdIsAdded() throws {
        let state = try Fixtures.state([Model("Tag") { CharField("label", maxLength: 20) }])
        #expect(state.model("tag")?.fields.first == FieldState(name: "id", kind: .bigAutoField, primaryKey: true))
    }
}
