import ArgumentParser

/// `manage`: Django's manage.py for the Swift bank app.
@main
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
            CheckCommand.self,
            LintCommand.self,
            RunServerCommand.self,
        ]
    )
}
