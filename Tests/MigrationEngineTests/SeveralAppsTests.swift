import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// A project of two apps, `catalog` and `loans`, whose Loan has a foreign key to catalog's
/// Book: the dependency written into loans' migration, the one graph over both folders, and
/// (against a real PostgreSQL) both apps applied in order and unapplied in reverse.
@Suite struct SeveralAppsTests {
    static let book = Model("Book") {
        AutoField("id", primaryKey: true)
        CharField("title", maxLength: 200)
    }

    static func loan(dueDate: Bool = false) -> Model {
        Model("Loan") {
            AutoField("id", primaryKey: true)
            ForeignKey("book", to: "catalog.Book", onDelete: .cascade)
            if dueDate { DateTimeField("due", null: true) }
        }
    }

    /// Two apps, each with its folder, under one temporary folder.
    static func project(loanDueDate: Bool = false) -> (root: URL, catalog: MigrationApp, loans: MigrationApp) {
        let root = Fixtures.temporaryDirectory()
        return (root,
                MigrationApp(label: "catalog", models: [book], migrationsDirectory: root.appendingPathComponent("catalog")),
                MigrationApp(label: "loans", models: [loan(dueDate: loanDueDate)], migrationsDirectory: root.appendingPathComponent("loans")))
    }

    static func history(_ url: String) throws -> [String] {
        try TestDatabase.query(url, "SELECT app || '.' || name FROM django_migrations ORDER BY id").map { $0[0]! }
    }

    @Test func aForeignKeyToAnotherAppDependsOnItsLatestMigration() throws {
        let (root, catalog, loans) = Self.project()
        defer { Fixtures.remove(root) }
        let apps = [catalog, loans]
        try MakeMigrations.run(app: catalog, among: apps, output: { _ in })
        let outcome = try MakeMigrations.run(app: loans, among: apps, output: { _ in })
        guard case .migration(let fileName, let text, _) = outcome else { Issue.record("no migration for loans"); return }
        #expect(fileName == "0001_initial.sql")
        #expect(text.contains("-- app: loans\n-- migration: 0001_initial\n-- dependency: catalog.0001_initial\n"))
        #expect(text.contains(#"REFERENCES "catalog_book" ("id") ON DELETE CASCADE"#))
        #expect(!text.contains(#"CREATE TABLE "catalog_book""#), "loans never creates catalog's table")
        // Loaded alone, loans' folder names a dependency that is not there: refused as missing.
        #expect(throws: MigrationGraphError(description: "Migration loans.0001_initial dependencies reference nonexistent parent node ('catalog', '0001_initial')")) {
            try MigrationLoader.loadGraph(directory: loans.migrationsDirectory)
        }
        // Loaded together, one graph: catalog's first, then loans'.
        let loaded = try MigrationLoader.loadGraph(directories: [catalog.migrationsDirectory, loans.migrationsDirectory])
        #expect(loaded.ordered.map(\.key.description) == ["catalog.0001_initial", "loans.0001_initial"])
        #expect(loaded.apps == ["catalog", "loans"])
        #expect(try MakeMigrations.pendingOperations(appLabel: "loans", models: loans.models, directory: loans.migrationsDirectory,
                                                      others: [catalog.migrationsDirectory]).isEmpty)
        // A later change in loans alone depends on loans' own parent only.
        let later = MigrationApp(label: "loans", models: [Self.loan(dueDate: true)], migrationsDirectory: loans.migrationsDirectory)
        guard case .migration(_, let second, _) = try MakeMigrations.run(app: later, among: [catalog, later], output: { _ in }) else {
            Issue.record("no second migration for loans"); return
        }
        #expect(second.contains("-- dependency: loans.0001_initial\n--\n"))
    }

    @Test func aModelOfAnAppNotMigratedYetIsRefused() throws {
        let (root, catalog, loans) = Self.project()
        defer { Fixtures.remove(root) }
        #expect(throws: ModelValidationError.self) { try MakeMigrations.run(app: loans, among: [catalog, loans], output: { _ in }) }
    }

    @Test func bothAppsApplyInOrderAndUnapplyInReverse() async throws {
        let (root, catalog, loans) = Self.project()
        defer { Fixtures.remove(root) }
        try MakeMigrations.run(app: catalog, among: [catalog, loans], output: { _ in })
        try MakeMigrations.run(app: loans, among: [catalog, loans], output: { _ in })
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let (first, others) = (catalog.migrationsDirectory, [loans.migrationsDirectory])
            let lines = Lines()
            try Migrator.migrate(connectionString: url, directory: first, others: others, to: .latest, output: lines.append)
            #expect(lines.all.contains("  Apply all migrations: catalog, loans"))
            #expect(lines.all.suffix(2) == ["  Applying catalog.0001_initial... OK", "  Applying loans.0001_initial... OK"])
            #expect(try Self.history(url) == ["catalog.0001_initial", "loans.0001_initial"])
            #expect(try SquashIntegrationTests.columns(url, "loans_loan") == ["book_id", "id"])
            try TestDatabase.run(url, "INSERT INTO catalog_book (title) VALUES ('Dune')")
            try TestDatabase.run(url, "INSERT INTO loans_loan (book_id) SELECT id FROM catalog_book")
            #expect(throws: (any Error).self) { try TestDatabase.run(url, "INSERT INTO loans_loan (book_id) VALUES (999)") }
            #expect(try Migrator.pendingSteps(connectionString: url, directory: first, others: others).isEmpty)
            // Unapplying catalog unapplies loans, which depends on it, first.
            let back = Lines()
            try Migrator.migrate(connectionString: url, directory: first, others: others, to: .zero, app: "catalog", output: back.append)
            #expect(back.all.suffix(2) == ["  Unapplying loans.0001_initial... OK", "  Unapplying catalog.0001_initial... OK"])
            #expect(try Self.history(url) == [])
            #expect(try SquashIntegrationTests.columns(url, "loans_loan") == [])
            // loans alone: catalog's migration comes first, as loans depends on it.
            try Migrator.migrate(connectionString: url, directory: first, others: others, to: .latest, app: "loans")
            #expect(try Self.history(url) == ["catalog.0001_initial", "loans.0001_initial"])
            #expect(try Migrator.sql(directory: first, others: others, migration: "0001", app: "loans").contains(#"REFERENCES "catalog_book""#))
        }
    }

    /// Readers of loans keep a many-to-many to catalog's Book: once with the join table made for
    /// it, once through loans' own Borrowing model. Either way loans' migration depends on
    /// catalog's and references catalog_book, and both apply in order on PostgreSQL.
    static func readers(through: Bool) -> [Model] {
        guard through else {
            return [Model("Reader") {
                AutoField("id", primaryKey: true)
                ManyToManyField("books", to: "catalog.Book")
            }]
        }
        return [
            Model("Reader") {
                AutoField("id", primaryKey: true)
                ManyToManyField("books", to: "catalog.Book", through: "Borrowing")
            },
            Model("Borrowing") {
                AutoField("id", primaryKey: true)
                ForeignKey("reader", to: "Reader", onDelete: .cascade)
                ForeignKey("book", to: "catalog.Book", onDelete: .cascade)
            },
        ]
    }

    @Test(arguments: [false, true]) func aManyToManyToAnotherAppDependsOnItsLatestMigration(through: Bool) async throws {
        let (root, catalog, _) = Self.project()
        defer { Fixtures.remove(root) }
        let loans = MigrationApp(label: "loans", models: Self.readers(through: through), migrationsDirectory: root.appendingPathComponent("loans"))
        let apps = [catalog, loans]
        try MakeMigrations.run(app: catalog, among: apps, output: { _ in })
        guard case .migration(_, let text, _) = try MakeMigrations.run(app: loans, among: apps, output: { _ in }) else {
            Issue.record("no migration for loans"); return
        }
        #expect(text.contains("-- app: loans\n-- migration: 0001_initial\n-- dependency: catalog.0001_initial\n"))
        #expect(text.contains(#"REFERENCES "catalog_book" ("id")"#))
        #expect(!text.contains(#"CREATE TABLE "catalog_book""#))
        let join = through ? "loans_borrowing" : "loans_reader_books"
        #expect(text.contains(#"CREATE TABLE "\#(join)""#))
        #expect(try MakeMigrations.pendingOperations(appLabel: "loans", models: loans.models, directory: loans.migrationsDirectory,
                                                      others: [catalog.migrationsDirectory]).isEmpty)
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let (first, others) = (catalog.migrationsDirectory, [loans.migrationsDirectory])
            try Migrator.migrate(connectionString: url, directory: first, others: others, to: .latest, app: "loans")
            #expect(try Self.history(url) == ["catalog.0001_initial", "loans.0001_initial"])
            #expect(try SquashIntegrationTests.columns(url, join) == ["book_id", "id", "reader_id"])
            try TestDatabase.run(url, "INSERT INTO catalog_book (title) VALUES ('Dune')")
            try TestDatabase.run(url, "INSERT INTO loans_reader DEFAULT VALUES")
            try TestDatabase.run(url, "INSERT INTO \(join) (reader_id, book_id) SELECT r.id, b.id FROM loans_reader r, catalog_book b")
            #expect(throws: (any Error).self) { try TestDatabase.run(url, "INSERT INTO \(join) (reader_id, book_id) SELECT id, 999 FROM loans_reader") }
            // Unapplying catalog unapplies loans first.
            try Migrator.migrate(connectionString: url, directory: first, others: others, to: .zero, app: "catalog")
            #expect(try Self.history(url) == [])
            #expect(try SquashIntegrationTests.columns(url, join) == [])
        }
    }

    /// makemigrations of every app, loans declared first, when catalog's Book has no migration
    /// yet: catalog's is made first and loans' depends on it (also for `makemigrations loans`
    /// alone, and on a dry run, which writes nothing).
    @Test(arguments: [[], ["loans"]]) func theAppARelationNeedsIsMadeFirst(named: [String]) throws {
        let (root, catalog, loans) = Self.project()
        defer { Fixtures.remove(root) }
        let lines = Lines()
        let outcomes = try MakeMigrations.run(apps: named, among: [loans, catalog], output: lines.append)
        #expect(outcomes.map(\.app) == ["catalog", "loans"])
        #expect(lines.all.filter { $0.hasPrefix("Migrations for") } == ["Migrations for 'catalog':", "Migrations for 'loans':"])
        let loaded = try MigrationLoader.loadGraph(directories: [loans.migrationsDirectory, catalog.migrationsDirectory])
        #expect(loaded.ordered.map(\.key.description) == ["catalog.0001_initial", "loans.0001_initial"])
        #expect(loaded.byKey[MigrationKey(app: "loans", name: "0001_initial")]?.dependencies == [MigrationKey(app: "catalog", name: "0001_initial")])
        #expect(try MakeMigrations.run(apps: [], among: [loans, catalog], output: { _ in }).map(\.outcome) == [.noChanges, .noChanges])
    }

    @Test func aDryRunOfBothNewAppsWritesNothingAndShowsTheDependency() throws {
        let (root, catalog, loans) = Self.project()
        defer { Fixtures.remove(root) }
        let outcomes = try MakeMigrations.run(apps: [], among: [loans, catalog], options: .init(dryRun: true), output: { _ in })
        #expect(outcomes.map(\.app) == ["catalog", "loans"])
        guard case .migration(let name, let text, _) = outcomes.last?.outcome else { Issue.record("no migration for loans"); return }
        #expect(name == "0001_initial.sql")
        #expect(text.contains("-- migration: 0001_initial\n-- dependency: catalog.0001_initial\n"))
        #expect(!FileManager.default.fileExists(atPath: catalog.migrationsDirectory.path))
        #expect(!FileManager.default.fileExists(atPath: loans.migrationsDirectory.path))
        let check = try MakeMigrations.run(apps: ["loans"], among: [loans, catalog], options: .init(check: true), output: { _ in })
        #expect(check.map(\.app) == ["catalog", "loans"] && check.allSatisfy(\.outcome.hasChanges))
    }

    /// catalog is migrated, then declares Author, which loans' new model points at: catalog's
    /// 0002 first, and loans' migration depends on it, not on catalog's 0001.
    @Test func aNewModelOfAMigratedAppIsMadeFirst() throws {
        let (root, catalog, _) = Self.project()
        defer { Fixtures.remove(root) }
        try MakeMigrations.run(apps: [], among: [catalog], output: { _ in })
        let author = Model("Author") { AutoField("id", primaryKey: true); CharField("name", maxLength: 100) }
        let catalog2 = MigrationApp(label: "catalog", models: [Self.book, author], migrationsDirectory: catalog.migrationsDirectory)
        let fans = MigrationApp(label: "fans", models: [Model("Fan") {
            AutoField("id", primaryKey: true)
            ForeignKey("author", to: "catalog.Author", onDelete: .cascade)
        }], migrationsDirectory: root.appendingPathComponent("fans"))
        let outcomes = try MakeMigrations.run(apps: [], among: [fans, catalog2], output: { _ in })
        #expect(outcomes.map(\.app) == ["catalog", "fans"])
        guard case .migration(let name, _, _) = outcomes[0].outcome, case .migration(_, let text, _) = outcomes[1].outcome else {
            Issue.record("a migration missing"); return
        }
        #expect(name == "0002_author.sql")
        #expect(text.contains("-- migration: 0001_initial\n-- dependency: catalog.0002_author\n"))
    }

    @Test func twoNewAppsRelatingToEachOtherAreRefusedWithTheWayOut() throws {
        let root = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(root) }
        let a = MigrationApp(label: "shelves", models: [Model("Shelf") {
            AutoField("id", primaryKey: true); ForeignKey("favourite", to: "catalog.Book", onDelete: .cascade, null: true)
        }], migrationsDirectory: root.appendingPathComponent("shelves"))
        let b = MigrationApp(label: "catalog", models: [Model("Book") {
            AutoField("id", primaryKey: true); ForeignKey("shelf", to: "shelves.Shelf", onDelete: .cascade)
        }], migrationsDirectory: root.appendingPathComponent("catalog"))
        let refusal = #expect(throws: MakeMigrationsError.self) { try MakeMigrations.run(apps: [], among: [a, b], output: { _ in }) }
        #expect(refusal?.description.hasPrefix("Cannot order the migrations of apps shelves, catalog: each relates to a model of another") == true)
        #expect(!FileManager.default.fileExists(atPath: a.migrationsDirectory.path), "nothing written")
    }
}
