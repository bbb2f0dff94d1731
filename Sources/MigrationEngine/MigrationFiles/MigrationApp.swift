#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A Django app: a label, its models and its migrations folder. A project is a list of them;
/// a model's relations may point at another app's model as `<label>.<Model>` (`catalog.Book`),
/// and the migration that adds such a relation depends on that app's latest migration.
public struct MigrationApp: Sendable {
    public var label: String
    public var models: [Model]
    public var migrationsDirectory: URL
    /// The Swift data migrations its files name in `-- run:` lines.
    public var dataMigrations: [DataMigration]

    public init(label: String, models: [Model], migrationsDirectory: URL, dataMigrations: [DataMigration] = []) {
        self.label = label
        self.models = models
        self.migrationsDirectory = migrationsDirectory
        self.dataMigrations = dataMigrations
    }
}

extension Operation {
    /// The other apps this operation's relations point into (`catalog` for a foreign key to
    /// `catalog.Book` in app `loans`).
    func referencedApps(from app: String) -> Set<String> {
        Set(MigrationOptimizer.models(self).compactMap { name in
            guard let dot = name.firstIndex(of: ".") else { return nil }
            let other = String(name[..<dot])
            return other == app.lowercased() ? nil : other
        })
    }
}
