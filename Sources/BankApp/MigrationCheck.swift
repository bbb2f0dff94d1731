import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MigrationEngine

/// Django's start-up warning when the database is behind the migration files, or a note that
/// the check could not run (the server starts anyway and answers 503 until the database is up).
func unappliedMigrationsNote(_ databaseURL: String, _ directory: URL) -> String? {
    guard FileManager.default.fileExists(atPath: directory.path) else { return nil }
    do {
        let pending = try Migrator.unappliedMigrations(connectionString: databaseURL, directory: directory)
        guard !pending.isEmpty else { return nil }
        return """
            You have \(pending.count) unapplied migration(s). Your project may not work properly until you apply \
            the migrations for app(s): \(BankModels.appLabel).
            Run 'manage migrate' to apply them.

            """
    } catch {
        let reason = ConnectionString.oneLine(String(describing: error), of: databaseURL)
        return "Warning: could not check for unapplied migrations: \(reason.prefix(300))\n"
    }
}
