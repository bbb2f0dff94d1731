import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// The one-off defaults of NotNullQuestionTests on a real PostgreSQL, run both ways `migrate`
/// runs a migration: in one transaction (PostgreSQL) and statement by statement (CockroachDB,
/// where the UPDATE commits before the SET NOT NULL starts).
@Suite struct NotNullIntegrationTests {
    @Test(arguments: [ExecutionStrategy.singleTransaction, .statementByStatement])
    func nullsFilledThenNotNullThenBack(strategy: ExecutionStrategy) async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let seller = [Fixtures.bank[0], Fixtures.bank[1], Model("Orders") {
            AutoField("id", primaryKey: true); DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
            ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true)
            ManyToManyField("product", to: "Products")
            ForeignKey("seller", to: "Customers", onDelete: .protect)
        }]
        let nullable = [Model("Customers") { AutoField("id"); CharField("name", maxLength: 250, null: true) }] + Array(seller.dropFirst())
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        try Fixtures.makeMigration(Array(nullable.prefix(2)) + [Fixtures.bank[2]], in: directory)
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: strategy)
            try TestDatabase.run(url, """
                INSERT INTO myproject_customers (name) VALUES ('Carl'), (NULL);
                INSERT INTO myproject_orders (subtotal, customer_id) SELECT 10, id FROM myproject_customers WHERE name = 'Carl'
                """)
            let carl = try #require(try TestDatabase.query(url, "SELECT id::TEXT FROM myproject_customers WHERE name = 'Carl'")[0][0])
            // A NOT NULL foreign key added to a table with rows: the one-off value is an existing key.
            try Fixtures.makeMigration(nullable, in: directory, questioner: ScriptedQuestioner(defaults: ["orders.seller": carl]))
            // The nullable name turns NOT NULL: its NULLs get the one-off value first.
            try Fixtures.makeMigration(seller, in: directory, questioner: ScriptedQuestioner(defaults: ["customers.name": "anonymous"]))
            try Migrator.migrate(connectionString: url, directory: directory, to: .latest, strategy: strategy)
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            #expect(try TestDatabase.query(url, "SELECT name FROM myproject_customers ORDER BY id") == [["Carl"], ["anonymous"]])
            #expect(try TestDatabase.query(url, "SELECT seller_id::TEXT FROM myproject_orders") == [[carl]])
            #expect(try TestDatabase.query(url, """
                SELECT is_nullable, coalesce(column_default, '-') FROM information_schema.columns
                WHERE table_name = 'myproject_orders' AND column_name = 'seller_id'
                """) == [["NO", "-"]])
            #expect(throws: DatabaseError.self) { try TestDatabase.run(url, "INSERT INTO myproject_customers (name) VALUES (NULL)") }
            // Back: NULL allowed again, the seller gone; the filled values stay, as in Django.
            try Migrator.migrate(connectionString: url, directory: directory, to: .named("0002"), strategy: strategy)
            #expect(try Migrator.drift(connectionString: url, directory: directory) == [])
            try TestDatabase.run(url, "INSERT INTO myproject_customers (name) VALUES (NULL)")
            #expect(try TestDatabase.query(url, "SELECT count(*)::TEXT FROM information_schema.columns WHERE column_name = 'seller_id'") == [["0"]])
        }
    }
}
