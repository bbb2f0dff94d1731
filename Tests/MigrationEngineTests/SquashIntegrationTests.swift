import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// Squashed migrations applied to a real PostgreSQL (BANK_TEST_DATABASE_URL), each test in a
/// fresh database: alone on a new database, recognised as applied where the originals are, and
/// giving way to the originals where only some are.
@Suite struct SquashIntegrationTests {
    static func history(_ url: String) throws -> [String] {
        try TestDatabase.query(url, "SELECT name FROM django_migrations WHERE app = 'myproject' ORDER BY id").map { $0[0]! }
    }

    static func columns(_ url: String, _ table: String) throws -> [String] {
        try TestDatabase.query(url, """
            SELECT column_name::TEXT FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 ORDER BY column_name
            """, [table]).map { $0[0]! }
    }

    static let originals = ["0001_initial", "0002_customers_email", "0003_products_sku", "0004_remove_customers_email"]
    static let squash = SquashMigrationsTests.squashedName

    static func squashed(_ directory: URL) throws {
        try SquashMigrations.squash(directory: directory, app: "myproject", end: "0004", output: { _ in })
    }

    @Test func aNewDatabaseAppliesTheSquashAloneAndUnappliesIt() async throws {
        let directory = try SquashMigrationsTests.fourMigrations()
        defer { Fixtures.remove(directory) }
        try Self.squashed(directory)
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, output: lines.append)
            #expect(lines.all.suffix(1) == ["  Applying myproject.\(Self.squash)... OK"])
            #expect(try Self.history(url) == [Self.squash] + Self.originals)
            #expect(try Self.columns(url, "myproject_customers") == ["id", "name"])
            #expect(try Self.columns(url, "myproject_products") == ["id", "name", "price", "sku"])
            #expect(try Migrator.unappliedMigrations(connectionString: url, directory: directory) == [])
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            #expect(try Migrator.showMigrations(connectionString: url, directory: directory, app: "myproject")
                == ["myproject", " [X] \(Self.squash) (4 squashed migrations)"])
            let zero = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, to: .zero, output: zero.append)
            #expect(zero.all.suffix(1) == ["  Unapplying myproject.\(Self.squash)... OK"])
            #expect(try Self.history(url) == [])
            #expect(try Self.columns(url, "myproject_products") == [])
        }
    }

    @Test func aDatabaseWithTheOriginalsCountsTheSquashAsApplied() async throws {
        let directory = try SquashMigrationsTests.fourMigrations()
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory)
            try Self.squashed(directory)
            #expect(try Migrator.unappliedMigrations(connectionString: url, directory: directory) == [])
            #expect(try Self.history(url) == Self.originals, "the squash's own row is written by the next migrate")
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, output: lines.append)
            #expect(lines.all.suffix(1) == ["  No migrations to apply."])
            #expect(try Self.history(url) == Self.originals + [Self.squash])
            #expect(try Migrator.unappliedMigrations(connectionString: url, directory: directory) == [])
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
        }
    }

    @Test func aDatabaseWithSomeOfTheOriginalsAppliesTheRestOneByOne() async throws {
        let directory = try SquashMigrationsTests.fourMigrations()
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0002"))
            try Self.squashed(directory)
            #expect(try Migrator.showMigrations(connectionString: url, directory: directory, app: "myproject")
                == ["myproject"] + Self.originals.enumerated().map { " [\($0.offset < 2 ? "X" : " ")] \($0.element)" })
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, output: lines.append)
            #expect(lines.all.suffix(2) == ["  Applying myproject.0003_products_sku... OK", "  Applying myproject.0004_remove_customers_email... OK"])
            #expect(try Self.history(url) == Self.originals + [Self.squash])
            #expect(try Self.columns(url, "myproject_customers") == ["id", "name"])
            #expect(try Migrator.showMigrations(connectionString: url, directory: directory, app: "myproject")
                == ["myproject", " [X] \(Self.squash) (4 squashed migrations)"])
        }
    }
}
