import Database
import Foundation
import Testing
import TestSupport

/// `manage`'s database commands against a real PostgreSQL (a fresh database of the test's own):
/// Django's output, line for line, through a whole cycle of migrate, showmigrations,
/// migrate --plan, check and migrate myproject zero.
@Suite struct ManageDatabaseCommandTests {
    static func bankTables(_ url: String) throws -> [String] {
        let connection = try Connection(connectionString: url)
        defer { connection.close() }
        return try connection.execute("""
            SELECT table_name::TEXT FROM information_schema.tables
            WHERE table_schema = 'public' AND table_name LIKE 'myproject\\_%' ORDER BY table_name
            """).map { try $0.decode(String.self, at: 0) }
    }

    @Test func migrateShowCheckAndUnapply() async throws {
        let names = try Manage.committedNames()
        try await TestDatabase.withFreshDatabase { url in
            func manage(_ arguments: String...) throws -> Manage.Run {
                try Manage.run(arguments + ["--migrations-dir", Manage.committedMigrations], databaseURL: url)
            }

            let migrate = try manage("migrate")
            #expect(migrate.status == 0, "\(migrate)")
            #expect(migrate.lines == ["Operations to perform:", "  Apply all migrations: myproject", "Running migrations:"]
                    + names.map { "  Applying myproject.\($0)... OK" }, "\(migrate)")
            #expect(try Self.bankTables(url) == ["myproject_customers", "myproject_orders", "myproject_orders_product", "myproject_products"])

            let shown = try manage("showmigrations")
            #expect(shown.status == 0, "\(shown)")
            #expect(shown.lines == ["myproject"] + names.map { " [X] \($0)" }, "\(shown)")

            let plan = try manage("migrate", "--plan")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.lines == ["Planned operations:", "  No planned migration operations."], "\(plan)")

            let again = try manage("migrate")
            #expect(again.status == 0, "\(again)")
            #expect(again.lines == ["Operations to perform:", "  Apply all migrations: myproject", "Running migrations:",
                                    "  No migrations to apply."], "\(again)")

            let check = try manage("check")
            #expect(check.status == 0, "\(check)")
            #expect(check.lines == ["System check identified no issues (0 silenced)."], "\(check)")

            let zero = try manage("migrate", "myproject", "zero")
            #expect(zero.status == 0, "\(zero)")
            #expect(zero.lines == ["Operations to perform:", "  Unapply all migrations: myproject", "Running migrations:"]
                    + names.reversed().map { "  Unapplying myproject.\($0)... OK" }, "\(zero)")
            #expect(try Self.bankTables(url) == [])

            let unapplied = try manage("showmigrations")
            #expect(unapplied.status == 0, "\(unapplied)")
            #expect(unapplied.lines == ["myproject"] + names.map { " [ ] \($0)" }, "\(unapplied)")
        }
    }
}
