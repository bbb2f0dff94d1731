import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// Two branches' generated migrations and their merge, applied to a real PostgreSQL: both
/// branches' columns, no drift, and back through the merge.
@Suite struct MergeIntegrationTests {
    @Test func mergedBranchesApplyAndUnapply() async throws {
        let (directory, _, _) = try MergeMigrationTests.twoBranches(MergeMigrationTests.bank(email: true), MergeMigrationTests.bank(sku: true))
        defer { Fixtures.remove(directory) }
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            #expect(throws: MigrationGraphError.self) { try Migrator.migrate(connectionString: url, directory: directory) }
            #expect(try SquashIntegrationTests.columns(url, "django_migrations") == [], "a refused migrate made nothing")
            try MakeMigrations.run(appLabel: "myproject", models: MergeMigrationTests.bank(email: true, sku: true), directory: directory,
                                   options: .init(merge: true), output: { _ in })
            let merge = "0003_merge_0002_customers_email_0002_products_sku"
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: directory, output: lines.append)
            #expect(lines.all.suffix(4) == ["  Applying myproject.0001_initial... OK", "  Applying myproject.0002_products_sku... OK",
                                            "  Applying myproject.0002_customers_email... OK", "  Applying myproject.\(merge)... OK"])
            #expect(try SquashIntegrationTests.columns(url, "myproject_customers") == ["email", "id", "name"])
            #expect(try SquashIntegrationTests.columns(url, "myproject_products") == ["id", "name", "price", "sku"])
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            #expect(try Migrator.pendingSteps(connectionString: url, directory: directory).isEmpty)
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0002_customers_email"))
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial", "0002_products_sku", "0002_customers_email"])
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0001"))
            #expect(try SquashIntegrationTests.history(url) == ["0001_initial"])
            #expect(try SquashIntegrationTests.columns(url, "myproject_customers") == ["id", "name"])
            #expect(try SquashIntegrationTests.columns(url, "myproject_products") == ["id", "name", "price"])
            #expect(try Migrator.pendingSteps(connectionString: url, directory: directory).map(\.migration.name)
                == ["0002_products_sku", "0002_customers_email", merge])
        }
    }
}
