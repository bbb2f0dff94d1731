import ArgumentParser
import Dispatch

/// The entry point: `Manage.main` (parse, run, exit with ArgumentParser's messages) on Swift's
/// global executor while the main thread waits.
///
/// Not `@main` on the command itself: an async `@main` parks the main thread with
/// `dispatch_main()`, which ends it with `pthread_exit`, and that unwinds its stack through
/// every unwind table of the binary (`.eh_frame` pages then resident for the server's whole
/// life). Nothing here runs on the main actor, so the main thread can simply wait.
@main
enum ManageMain {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await Manage.main(nil)  // exits the process itself on errors, as ArgumentParser does
            finished.signal()
        }
        finished.wait()
    }
}

/// `manage`: Django's manage.py for the Swift bank app.
struct Manage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manage",
        abstract: "Django-style management commands for the CockroachDB bank app.",
        discussion: """
            The database comes from DATABASE_URL (a libpq connection string or URI); without it, \
            the tutorial's postgresql://django@localhost:26257/bank?sslmode=disable.
            """,
        subcommands: [
            MakeMigrationsCommand.self,
            MigrateCommand.self,
            ShowMigrationsCommand.self,
            SQLMigrateCommand.self,
            SquashMigrationsCommand.self,
            OptimizeMigrationCommand.self,
            SQLAlignCommand.self,
            CheckCommand.self,
            LintCommand.self,
            DBShellCommand.self,
            RunServerCommand.self,
        ]
    )
}
