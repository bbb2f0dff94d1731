import BankApp
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ManageCommands
import MigrationEngine

/// The bank's `manage`: the framework's commands over its one app, `myproject` (whose folder is
/// `./Migrations`, or `--migrations-dir` / `MIGRATIONS_DIR`), and its REST API as `runserver`.
@main
enum ManageMain {
    static func main() {
        ManageProject(
            summary: "the CockroachDB bank app",
            apps: [MigrationApp(label: BankModels.appLabel, models: BankModels.all, migrationsDirectory: URL(fileURLWithPath: "Migrations"))],
            server: RunServerCommand.self,
            logHandler: { label, format, level in BankLogHandler(label: label, format: format == .json ? .json : .text, level: level) }
        ).main()
    }
}
