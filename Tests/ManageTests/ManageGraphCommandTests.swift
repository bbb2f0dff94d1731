import Database
import Foundation
import Testing
import TestSupport

/// Two branches' migrations through `manage`, applied to a real PostgreSQL: the conflict
/// refusals, `makemigrations --merge`, `migrate --check`, `showmigrations --plan`, and moving
/// backward through the merge.
@Suite struct ManageGraphCommandTests {
    /// The committed 0001 and two 0002s, each written by `makemigrations --empty` on a branch of
    /// its own and given SQL that makes a table: what merging the two branches leaves.
    static func twoBranches() throws -> URL {
        let folder = try Manage.emptyFolder()
        try FileManager.default.copyItem(atPath: Manage.committedMigrations + "/0001_initial.sql",
                                         toPath: folder.appendingPathComponent("0001_initial.sql").path)
        for branch in ["branch_a", "branch_b"] {
            let copy = try Manage.emptyFolder()
            defer { try? FileManager.default.removeItem(at: copy) }
            try FileManager.default.copyItem(atPath: Manage.committedMigrations + "/0001_initial.sql",
                                             toPath: copy.appendingPathComponent("0001_initial.sql").path)
            let made = try Manage.run(["makemigrations", "--empty", "--name", branch, "--migrations-dir", copy.path])
            #expect(made.status == 0, "\(made)")
            let file = copy.appendingPathComponent("0002_\(branch).sql")
            let text = try String(contentsOf: file, encoding: .utf8)
                .replacingOccurrences(of: "-- Write the SQL of this migration here.", with: "CREATE TABLE \"\(branch)\" (\"id\" BIGINT NOT NULL PRIMARY KEY);")
                .replacingOccurrences(of: "-- Write the SQL that undoes it here.", with: "DROP TABLE \"\(branch)\";")
            #expect(text.contains("-- dependency: myproject.0001_initial\n"))
            try Data(text.utf8).write(to: folder.appendingPathComponent("0002_\(branch).sql"))
        }
        return folder
    }

    static func tables(_ url: String) throws -> [String] {
        try TestDatabase.query(url, """
            SELECT table_name::TEXT FROM information_schema.tables
            WHERE table_schema = 'public' AND table_name LIKE 'branch\\_%' ORDER BY table_name
            """).map { $0[0]! }
    }

    @Test func branchesAreRefusedThenMergedAppliedAndUnapplied() async throws {
        let folder = try Self.twoBranches()
        defer { try? FileManager.default.removeItem(at: folder) }
        let conflict = "CommandError: Conflicting migrations detected; multiple leaf nodes in the migration graph: "
            + "(0002_branch_a, 0002_branch_b in myproject). To fix them run 'manage makemigrations --merge'"
        let merge = "0003_merge_0002_branch_a_0002_branch_b"
        try await TestDatabase.withFreshDatabase { url in
            func manage(_ arguments: String...) throws -> Manage.Run {
                try Manage.run(arguments + ["--migrations-dir", folder.path], databaseURL: url)
            }
            let make = try manage("makemigrations")
            #expect(make.status == 1 && make.lines == [conflict], "\(make)")
            let refused = try manage("migrate")
            #expect(refused.status == 1 && refused.lines == [conflict], "\(refused)")
            #expect(try Self.tables(url) == [], "a refused migrate ran nothing")

            let merged = try manage("makemigrations", "--merge", "--no-input")
            #expect(merged.status == 0, "\(merged)")
            #expect(merged.lines == ["Merging myproject", "  Branch 0002_branch_a", "  Branch 0002_branch_b", "",
                                     "Created new merge migration \(folder.appendingPathComponent(merge + ".sql").path)"], "\(merged)")

            let pending = try manage("migrate", "--check")
            #expect(pending.status == 1 && pending.lines == [], "\(pending)")
            let plan = try manage("showmigrations", "--plan")
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.lines == ["[ ]  myproject.0001_initial", "[ ]  myproject.0002_branch_b", "[ ]  myproject.0002_branch_a",
                                   "[ ]  myproject.\(merge)"], "\(plan)")

            let migrate = try manage("migrate")
            #expect(migrate.status == 0, "\(migrate)")
            #expect(migrate.lines == ["Operations to perform:", "  Apply all migrations: myproject", "Running migrations:",
                                      "  Applying myproject.0001_initial... OK", "  Applying myproject.0002_branch_b... OK",
                                      "  Applying myproject.0002_branch_a... OK", "  Applying myproject.\(merge)... OK"], "\(migrate)")
            #expect(try Self.tables(url) == ["branch_a", "branch_b"])
            let clean = try manage("migrate", "--check")
            #expect(clean.status == 0 && clean.lines == [], "\(clean)")
            let parents = try manage("showmigrations", "--plan", "-v", "2")
            #expect(parents.lines == ["[X]  myproject.0001_initial", "[X]  myproject.0002_branch_b ... (myproject.0001_initial)",
                                      "[X]  myproject.0002_branch_a ... (myproject.0001_initial)",
                                      "[X]  myproject.\(merge) ... (myproject.0002_branch_a, myproject.0002_branch_b)"], "\(parents)")
            let list = try manage("showmigrations", "--list", "myproject")
            #expect(list.lines == ["myproject", " [X] 0001_initial", " [X] 0002_branch_b", " [X] 0002_branch_a", " [X] \(merge)"], "\(list)")

            // Back to one branch: only the merge is unapplied; then to 0001: both branches.
            let back = try manage("migrate", "myproject", "0002_branch_a")
            #expect(back.status == 0, "\(back)")
            #expect(back.lines.suffix(2) == ["Running migrations:", "  Unapplying myproject.\(merge)... OK"], "\(back)")
            #expect(try manage("migrate", "--check", "myproject", "0002_branch_a").status == 0)
            #expect(try manage("migrate", "--check").status == 1)
            let initial = try manage("migrate", "myproject", "0001")
            #expect(initial.lines.suffix(2) == ["  Unapplying myproject.0002_branch_a... OK", "  Unapplying myproject.0002_branch_b... OK"],
                    "\(initial)")
            #expect(try Self.tables(url) == [])
            let zero = try manage("migrate", "myproject", "zero")
            #expect(zero.status == 0 && zero.lines.last == "  Unapplying myproject.0001_initial... OK", "\(zero)")
        }
    }
}
