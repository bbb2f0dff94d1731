import Foundation

/// Until the migrations engine lands, no check. (Replaced by a call to `Migrator.unappliedMigrations`.)
func unappliedMigrationsNote(_ databaseURL: String, _ directory: URL) -> String? { nil }
