import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// Data migrations written in Swift: named in a file's `-- run:` line, run by migrate in order
/// in a transaction of their own with the history row, their reverse run going back, and going
/// back refused as irreversible, changing nothing, when there is none.
@Suite struct DataMigrationTests {
    static let book = Model("Book") {
        AutoField("id", primaryKey: true)
        CharField("title", maxLength: 200)
        CharField("slug", maxLength: 200, null: true)
    }

    /// 0001_initial (the table) and 0002_<name>, which runs the data migration `name`.
    static func folder(running name: String, models: [Model] = [book]) throws -> URL {
        let directory = Fixtures.temporaryDirectory()
        try Fixtures.makeMigration(models, in: directory)
        let file = try #require(try Fixtures.makeMigration(models, in: directory, name: name, empty: true))
        let url = directory.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "-- migration: 0002_\(name)\n", with: "-- migration: 0002_\(name)\n-- run: \(name)\n").utf8).write(to: url)
        return directory
    }

    static func slugs(_ url: String) throws -> [String?] {
        try TestDatabase.query(url, "SELECT slug FROM myproject_book ORDER BY id").map { $0[0] }
    }

    static func fill(_ c: Connection) throws { try c.run("UPDATE myproject_book SET slug = lower(title)") }

    @Test func aFileRunningADataMigrationHoldsNoSQL() throws {
        let text = """
            -- app: myproject
            -- run: fill
            -- migrate:up
            UPDATE myproject_book SET slug = title;
            -- migrate:down
            /*
            */
            """
        #expect(throws: MigrationFileError.self) { try MigrationFile.parse(text, fileName: "0002_fill.sql") }
        #expect(try MigrationFile.parse(text.replacingOccurrences(of: "UPDATE myproject_book SET slug = title;", with: ""),
                                        fileName: "0002_fill.sql").dataMigration == "fill")
    }

    @Test func runsInOrderAndItsReverseGoingBack() async throws {
        let name = "fill_slugs_reversible"
        DataMigration.register([DataMigration(name, forward: Self.fill, reverse: { c in try c.run("UPDATE myproject_book SET slug = NULL") })])
        let directory = try Self.folder(running: name)
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            try TestDatabase.run(url, "INSERT INTO myproject_book (title) VALUES ('Dune'), ('Emma')")
            let lines = Lines()
            try Migrator.plan(connectionString: url, directory: directory, to: .latest, output: lines.append)
            #expect(lines.all == ["Planned operations:", "myproject.0002_\(name)", "    Raw Swift operation (\(name))"])
            try Migrator.migrate(connectionString: url, directory: directory)
            #expect(try Self.slugs(url) == ["dune", "emma"])
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial", "0002_\(name)"])
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            #expect(try Self.slugs(url) == [nil, nil])
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial"])
        }
    }

    @Test func goingBackWithoutAReverseIsRefusedAsIrreversible() async throws {
        let name = "fill_slugs_one_way"
        DataMigration.register([DataMigration(name, forward: Self.fill)])
        let directory = try Self.folder(running: name)
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            try TestDatabase.run(url, "INSERT INTO myproject_book (title) VALUES ('Dune')")
            try Migrator.migrate(connectionString: url, directory: directory)
            #expect(try Self.slugs(url) == ["dune"])
            let refusal = #expect(throws: MigrationStateError.self) {
                try Migrator.migrate(connectionString: url, directory: directory, to: .zero)
            }
            #expect(refusal?.description == "Migration myproject.0002_\(name) is irreversible: its data migration '\(name)' has no reverse, so it cannot be unapplied.")
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial", "0002_\(name)"], "nothing unapplied")
            #expect(try Self.slugs(url) == ["dune"])
            // Statement mode (CockroachDB's) runs it the same way: in one transaction of its own.
            try TestDatabase.run(url, "UPDATE myproject_book SET slug = NULL")
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"), fake: true)
            try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: .statementByStatement)
            #expect(try Self.slugs(url) == ["dune"])
        }
    }

    @Test func anUnregisteredDataMigrationIsRefusedBeforeAnythingRuns() async throws {
        let directory = try Self.folder(running: "never_registered")
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            #expect(throws: MigrationStateError.self) { try Migrator.migrate(connectionString: url, directory: directory) }
            #expect(try SquashIntegrationTests.history(url) == [], "0001 not applied either")
        }
    }
}
