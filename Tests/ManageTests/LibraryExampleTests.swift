import Foundation
import Testing
import TestSupport

/// Examples/Library, a second service built on the framework (two apps, `catalog` and `loans`,
/// a foreign key from loans to catalog), its `library-manage` run through the whole cycle
/// against PostgreSQL: its committed migrations match its models, migrate applies both apps in
/// order, two branches' migrations are refused then merged, the merged history squashed, and
/// `migrate catalog zero` unapplies everything, loans first.
@Suite struct LibraryExampleTests {
    static let example = TestDatabase.packageRoot + "/Examples/Library"

    /// Where scripts/test builds it (scripts/build-examples).
    static func executable() throws -> String {
        let path = TestDatabase.packageRoot + "/.build/examples-library/debug/library-manage"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ExampleNotBuilt()
        }
        return path
    }

    /// `library-manage arguments...` in `folder` (its apps' folders are Migrations/catalog and
    /// Migrations/loans there).
    static func run(_ arguments: [String], in folder: URL, databaseURL: String) throws -> (status: Int32, output: String) {
        try ChildProcess.run("/bin/sh", ["-c", #"cd "$0" && exec "$@""#, folder.path, try executable()] + arguments,
                             environment: ["DATABASE_URL": databaseURL, "MIGRATIONS_DIR": ""])
    }

    static func copyMigrations(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: example + "/Migrations", toPath: folder.appendingPathComponent("Migrations").path)
    }

    static func files(_ folder: URL, _ app: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("Migrations/\(app)").path).sorted()
    }

    static func tables(_ url: String) throws -> [String] {
        try TestDatabase.query(url, """
            SELECT table_name::TEXT FROM information_schema.tables
            WHERE table_schema = current_schema() AND (table_name LIKE 'catalog\\_%' OR table_name LIKE 'loans\\_%') ORDER BY 1
            """).map { $0[0]! }
    }

    static func history(_ url: String) throws -> [String] {
        try TestDatabase.query(url, "SELECT app || '.' || name FROM django_migrations ORDER BY id").map { $0[0]! }
    }

    @Test func fullCycle() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("library-example-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let project = root.appendingPathComponent("main")
        try Self.copyMigrations(to: project)
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            // The committed migrations hold every model.
            var run = try Self.run(["makemigrations", "--check"], in: project, databaseURL: url)
            #expect(run.status == 0 && run.output == "No changes detected\n", "\(run)")
            #expect(try String(contentsOfFile: Self.example + "/Migrations/loans/0001_initial.sql", encoding: .utf8)
                .contains("-- dependency: catalog.0001_initial\n"))

            run = try Self.run(["migrate"], in: project, databaseURL: url)
            #expect(run.status == 0, "\(run)")
            #expect(run.output.contains("  Apply all migrations: catalog, loans\n"))
            #expect(run.output.hasSuffix("  Applying catalog.0001_initial... OK\n  Applying loans.0001_initial... OK\n"), "\(run)")
            #expect(try Self.tables(url) == ["catalog_author", "catalog_book", "loans_loan", "loans_member"])
            try TestDatabase.run(url, "INSERT INTO catalog_author (name) VALUES ('Le Guin')")
            try TestDatabase.run(url, "INSERT INTO catalog_book (title, author_id) SELECT 'The Dispossessed', id FROM catalog_author")
            try TestDatabase.run(url, "INSERT INTO loans_member (name) VALUES ('Ada')")
            try TestDatabase.run(url, "INSERT INTO loans_loan (book_id, member_id) SELECT b.id, m.id FROM catalog_book b, loans_member m")
            #expect(throws: (any Error).self) { try TestDatabase.run(url, "INSERT INTO loans_loan (book_id, member_id) SELECT 999, id FROM loans_member") }

            // Two branches each add a loans migration; merged into the project, they conflict.
            for branch in ["reminders", "fines"] {
                let copy = root.appendingPathComponent(branch)
                try Self.copyMigrations(to: copy)
                run = try Self.run(["makemigrations", "loans", "--empty", "--name", branch], in: copy, databaseURL: url)
                #expect(run.status == 0, "\(run)")
                try FileManager.default.copyItem(at: copy.appendingPathComponent("Migrations/loans/0002_\(branch).sql"),
                                                 to: project.appendingPathComponent("Migrations/loans/0002_\(branch).sql"))
            }
            run = try Self.run(["migrate"], in: project, databaseURL: url)
            #expect(run.status == 1 && run.output.contains("Conflicting migrations detected; multiple leaf nodes in the migration graph: (0002_fines, 0002_reminders in loans)."), "\(run)")
            run = try Self.run(["makemigrations", "--merge", "--no-input"], in: project, databaseURL: url)
            #expect(run.status == 0 && run.output.contains("Created new merge migration Migrations/loans/0003_merge_0002_fines_0002_reminders.sql"), "\(run)")
            run = try Self.run(["migrate"], in: project, databaseURL: url)
            #expect(run.status == 0, "\(run)")
            #expect(try Self.history(url) == ["catalog.0001_initial", "loans.0001_initial", "loans.0002_reminders", "loans.0002_fines",
                                              "loans.0003_merge_0002_fines_0002_reminders"])

            // The merged history squashed: counted as applied here.
            run = try Self.run(["squashmigrations", "loans", "0003", "--no-input"], in: project, databaseURL: url)
            #expect(run.status == 0, "\(run)")
            let squash = "0001_squashed_0003_merge_0002_fines_0002_reminders"
            #expect(try Self.files(project, "loans").contains(squash + ".sql"))
            run = try Self.run(["showmigrations", "loans"], in: project, databaseURL: url)
            #expect(run.status == 0 && run.output == "loans\n [X] \(squash) (4 squashed migrations)\n", "\(run)")
            run = try Self.run(["migrate", "--check"], in: project, databaseURL: url)
            #expect(run.status == 0, "\(run)")

            // Everything unapplied: loans (the squash) first, as it depends on catalog.
            run = try Self.run(["migrate", "catalog", "zero"], in: project, databaseURL: url)
            #expect(run.status == 0, "\(run)")
            #expect(run.output.hasSuffix("  Unapplying loans.\(squash)... OK\n  Unapplying catalog.0001_initial... OK\n"), "\(run)")
            #expect(try Self.tables(url) == [])
            #expect(try Self.history(url) == [])
        }
    }
}

struct ExampleNotBuilt: Error, CustomStringConvertible {
    var description: String { "Examples/Library is not built: run scripts/build-examples (make test does)" }
}
