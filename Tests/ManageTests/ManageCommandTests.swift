import Foundation
import Testing
import TestSupport

/// `manage`'s commands as a user runs them: arguments, exit codes and output, for every command
/// that needs no database, and the one-line refusal of those that need one when it is down.
/// The commands against a live database: ManageDatabaseCommandTests.
@Suite struct ManageCommandTests {
    @Test func helpListsEverySubcommand() throws {
        let run = try Manage.run(["--help"])
        #expect(run.status == 0, "\(run)")
        #expect(run.lines.contains("SUBCOMMANDS:"), "\(run)")
        for command in ["makemigrations", "migrate", "showmigrations", "sqlmigrate", "check", "lint", "dbshell", "squashmigrations", "optimizemigration", "runserver"] {
            #expect(run.lines.contains { $0.hasPrefix("  \(command) ") || $0.hasPrefix("  \(command),") }, "\(command) is not listed: \(run)")
        }
    }

    @Test func anUnknownSubcommandIsRefused() throws {
        let run = try Manage.run(["frobnicate"])
        #expect(run.status != 0, "\(run)")
        #expect(run.output.contains("frobnicate"), "the error names what was not understood: \(run)")
        #expect(!run.output.contains("CommandError"), "a usage error, not a command's failure: \(run)")
    }

    @Test func makemigrationsCheckFindsNothingToDoOnTheCommittedMigrations() throws {
        let run = try Manage.run(["makemigrations", "--check", "--migrations-dir", Manage.committedMigrations])
        #expect(run.status == 0, "\(run)")
        #expect(run.lines == ["No changes detected"], "\(run)")
    }

    @Test func makemigrationsDryRunPrintsDjangosSummaryAndWritesNothing() throws {
        let folder = try Manage.emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Manage.run(["makemigrations", "myproject", "--dry-run", "--migrations-dir", folder.path])
        #expect(run.status == 0, "\(run)")
        #expect(run.lines == [
            "Migrations for 'myproject':",
            "  \(folder.path)/0001_initial.sql",
            "    - Create model Customers",
            "    - Create model Products",
            "    - Create model Orders",
        ], "\(run)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [], "a dry run wrote a file")
    }

    @Test func makemigrationsRefusesAnotherApp() throws {
        let folder = try Manage.emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Manage.run(["makemigrations", "otherapp", "--migrations-dir", folder.path])
        #expect(run.status != 0, "\(run)")
        #expect(run.output.contains("App 'otherapp' could not be found"), "\(run)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [], "a refused run wrote a file")
    }

    @Test func sqlmigratePrintsTheUpPartInATransaction() throws {
        let run = try Manage.run(["sqlmigrate", "myproject", "0001", "--migrations-dir", Manage.committedMigrations])
        #expect(run.status == 0, "\(run)")
        #expect(run.lines.first == "BEGIN;", "\(run)")
        #expect(run.lines.last == "COMMIT;", "\(run)")
        // Between them, the SQL under "-- migrate:up" in the file, as written.
        let file = try String(contentsOfFile: Manage.committedMigrations + "/0001_initial.sql", encoding: .utf8)
        let up = try #require(file.components(separatedBy: "-- migrate:up\n").dropFirst().first?
            .components(separatedBy: "-- migrate:down").first)
        func trimmed(_ lines: [String]) -> [String] {
            Array(lines.drop { $0.isEmpty }.reversed().drop { $0.isEmpty }.reversed())
        }
        #expect(trimmed(Array(run.lines.dropFirst().dropLast())) == trimmed(up.components(separatedBy: "\n")), "\(run)")
        #expect(run.lines.contains(#"CREATE TABLE "myproject_customers" ("#), "\(run)")
    }

    @Test func sqlmigrateOfAMigrationThatDoesNotExistIsACommandError() throws {
        let run = try Manage.run(["sqlmigrate", "myproject", "9999", "--migrations-dir", Manage.committedMigrations])
        #expect(run.status == 1, "\(run)")
        #expect(run.lines.count == 1 && run.lines[0].hasPrefix("CommandError: "), "\(run)")
        #expect(run.output.contains("9999"), "the error names the migration: \(run)")
    }

    @Test func squashmigrationsAndOptimizemigrationOnTheCommittedMigrations() throws {
        let folder = try Manage.emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: Manage.committedMigrations + "/0001_initial.sql",
                                         toPath: folder.appendingPathComponent("0001_initial.sql").path)
        let optimize = try Manage.run(["optimizemigration", "myproject", "0001", "--check", "--migrations-dir", folder.path])
        #expect(optimize.status == 0 && optimize.lines == ["No optimizations possible."], "\(optimize)")
        let squash = try Manage.run(["squashmigrations", "myproject", "0001", "--no-input", "--squashed-name", "bank",
                                     "--migrations-dir", folder.path])
        #expect(squash.status == 0, "\(squash)")
        #expect(squash.lines.prefix(4) == ["Will squash the following migrations:", " - 0001_initial", "Optimizing...",
                                           "  No optimizations possible."], "\(squash)")
        #expect(squash.lines.dropFirst(4).first == "Created new squashed migration \(folder.path)/0001_bank.sql", "\(squash)")
        let text = try String(contentsOfFile: folder.path + "/0001_bank.sql", encoding: .utf8)
        #expect(text.contains("\n-- replaces: myproject.0001_initial\n"))
        let again = try Manage.run(["squashmigrations", "myproject", "0001_bank", "--no-input", "--migrations-dir", folder.path])
        #expect(again.status == 1 && again.output.contains("You cannot squash squashed migrations!"), "\(again)")
        let sql = try Manage.run(["sqlmigrate", "myproject", "0001_bank", "--migrations-dir", folder.path])
        #expect(sql.status == 0 && sql.lines.contains(#"CREATE TABLE "myproject_customers" ("#), "\(sql)")
    }

    @Test func lintCheckPassesOnTheCommittedMigrations() throws {
        let run = try Manage.run(["lint", "--check", "--migrations-dir", Manage.committedMigrations])
        #expect(run.status == 0, "\(run)")
        let count = try Manage.committedNames().count
        #expect(count >= 1)
        #expect(run.lines == ["Linted \(count) migration(s): 0 error(s), 0 warning(s)."], "\(run)")
    }

    /// Nothing listens at the URL: each command that needs the database says so on one line,
    /// with the password masked, before printing anything else, and exits 1.
    @Test(arguments: [["migrate"], ["migrate", "--plan"], ["showmigrations"], ["check"]])
    func aCommandThatNeedsTheDatabaseRefusesInOneLineWhenItIsDown(_ command: [String]) throws {
        let database = Manage.unreachableDatabase
        let run = try Manage.run(command + ["--migrations-dir", Manage.committedMigrations])
        #expect(run.status == 1, "\(run)")
        #expect(run.lines.count == 1, "\(run)")
        #expect(run.lines.first?.hasPrefix(
            "CommandError: cannot connect to the database at postgresql://django:****@127.0.0.1:\(database.port)/bank") == true, "\(run)")
        #expect(!run.output.contains(database.password), "the password was printed: \(run)")
        #expect(!run.output.contains("Operations to perform"), "\(run)")
    }
}
