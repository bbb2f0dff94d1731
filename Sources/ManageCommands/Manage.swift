import ArgumentParser
import Database
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import MigrationEngine

/// A service's `manage`: its apps (the first is the default one, as the bank's `myproject`), and
/// the command that serves it, if it has one (`runserver`).
///
/// ```swift
/// @main enum ManageMain {
///     static func main() {
///         ManageProject(summary: "the library service", apps: [
///             MigrationApp(label: "catalog", models: Catalog.models, migrationsDirectory: URL(fileURLWithPath: "Migrations/catalog")),
///             MigrationApp(label: "loans", models: Loans.models, migrationsDirectory: URL(fileURLWithPath: "Migrations/loans")),
///         ]).main()
///     }
/// }
/// ```
public struct ManageProject: @unchecked Sendable {
    /// What the service is, for `manage --help` ("the CockroachDB bank app").
    public var summary: String
    public var apps: [MigrationApp]
    /// The server command (`runserver`), added to the subcommands.
    public var server: (any ParsableCommand.Type)?
    /// The log handler of commands other than the server's (`migrate` logs its steps with
    /// LOG_FORMAT=json); swift-log's stream handler on standard error by default.
    public var logHandler: @Sendable (_ label: String, _ format: ManageLogFormat, _ level: Logger.Level) -> any LogHandler

    public init(summary: String, apps: [MigrationApp], server: (any ParsableCommand.Type)? = nil,
                logHandler: (@Sendable (_ label: String, _ format: ManageLogFormat, _ level: Logger.Level) -> any LogHandler)? = nil) {
        precondition(!apps.isEmpty, "a project has at least one app")
        self.summary = summary
        self.apps = apps
        self.server = server
        self.logHandler = logHandler ?? { label, _, level in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Parses the command line, runs the command and exits as ArgumentParser does.
    ///
    /// `Manage.main` runs on Swift's global executor while the main thread waits, rather than as
    /// an async `@main`: that parks the main thread with `dispatch_main()`, which ends it with
    /// `pthread_exit`, and that unwinds its stack through every unwind table of the binary
    /// (`.eh_frame` pages then resident for the server's whole life). Nothing here runs on the
    /// main actor, so the main thread can simply wait.
    public func main() {
        ManageProject.current = self
        DataMigration.register(apps.flatMap(\.dataMigrations))
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await Manage.main(nil)  // exits the process itself on errors, as ArgumentParser does
            finished.signal()
        }
        finished.wait()
    }

    /// The project `main()` runs: set once, before any command is parsed.
    nonisolated(unsafe) static var current = ManageProject(
        summary: "(no project)", apps: [MigrationApp(label: "app", models: [], migrationsDirectory: URL(fileURLWithPath: "Migrations"))])
}

/// LOG_FORMAT of `manage` commands: text lines, or one JSON object a line.
public enum ManageLogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// `manage`: Django's manage.py for the project's apps.
struct Manage: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        let project = ManageProject.current
        return CommandConfiguration(
            commandName: "manage",
            abstract: "Django-style management commands for \(project.summary).",
            discussion: """
                The database comes from DATABASE_URL (a libpq connection string or URI); without it, \
                the tutorial's postgresql://django@localhost:26257/bank?sslmode=disable. \
                Apps: \(project.apps.map(\.label).joined(separator: ", ")) (the first is the default).
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
            ] + (project.server.map { [$0] } ?? [])
        )
    }
}
