#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `manage squashmigrations` and `manage optimizemigration`, as Django's. Need no database.
public enum SquashMigrations {
    /// Writes one migration that `replaces` the app's migrations from `start` (default: its
    /// first) to `end`, with their operations optimised (`MigrationOptimizer`) and the SQL those
    /// make. It depends on what they depended on outside the range. On a new database it is
    /// applied instead of them (and records them too); on one that has them all it counts as
    /// applied; on one that has some, they are applied one by one as before.
    ///
    /// Hand-written SQL (a migration with no operations but SQL) cannot be rebuilt from
    /// operations, so a range that holds one is refused, as are squashed migrations themselves.
    @discardableResult
    public static func squash(directory: URL, others: [URL] = [], app: String, end: String, start: String? = nil, squashedName: String? = nil,
                              optimize: Bool = true, proceed: () -> Bool = { true }, output: (String) -> Void) throws -> String? {
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others)
        if let conflict = loaded.conflictError() { throw conflict }
        let label = try Migrator.appLabel(loaded, app)
        guard let last = try Executor.resolve(.named(end), in: loaded, app: label) else { return "" }
        var keys = try loaded.graph.forwardsPlan(last.key).filter { $0.app == label }
        if let start {
            guard let first = try Executor.resolve(.named(start), in: loaded, app: label) else { return "" }
            guard let at = keys.firstIndex(of: first.key) else {
                throw MakeMigrationsError(description: "The migration '\(first.name)' cannot be found among the ancestors of '\(last.name)'.")
            }
            keys = Array(keys[at...])
        }
        let migrations = keys.compactMap { loaded.byKey[$0] }
        output("Will squash the following migrations:")
        for migration in migrations { output(" - \(migration.name)") }
        if let squashed = migrations.first(where: { !$0.replaces.isEmpty }) {
            throw MakeMigrationsError(description: "You cannot squash squashed migrations! Please transition it to a normal migration first: \(squashed.name)")
        }
        if let data = migrations.first(where: { $0.dataMigration != nil }) {
            throw MakeMigrationsError(description: "\(data.name) runs the Swift data migration '\(data.dataMigration!)', which cannot be optimised into a squashed migration: squash the migrations before it or after it.")
        }
        if let raw = migrations.first(where: { $0.operations.isEmpty && !SQLScript.statements($0.upSQL).isEmpty }) {
            throw MakeMigrationsError(description: "\(raw.name) is hand-written SQL (it records no operations), which cannot be optimised into a squashed migration: squash the migrations before it or after it.")
        }
        guard proceed() else { return nil }
        let operations = migrations.flatMap(\.operations)
        let optimized: [Operation]
        if optimize {
            output("Optimizing...")
            optimized = MigrationOptimizer.optimize(operations)
            output(optimized.count == operations.count ? "  No optimizations possible."
                                                       : "  Optimized from \(operations.count) operations to \(optimized.count) operations.")
        } else {
            output("(Skipping optimization.)")
            optimized = operations
        }
        let inRange = Set(keys)
        var dependencies: [MigrationKey] = []
        for migration in migrations {
            for parent in loaded.graph.parents(migration.key) where !inRange.contains(parent) && !dependencies.contains(parent) {
                dependencies.append(parent)
            }
        }
        let name: String
        if start != nil, let first = migrations.first {
            name = squashedName.map { "\(first.name.prefix { $0 != "_" })_\($0)" } ?? "\(first.name)_squashed_\(last.name)"
        } else {
            name = "0001_\(squashedName ?? "squashed_\(last.name)")"
        }
        guard MigrationFile.parseFileName(name + ".sql") != nil else {
            throw MakeMigrationsError(description: "The migration name '\(name)' must be letters, digits and underscores.")
        }
        let file = directory.appendingPathComponent(name + ".sql")
        if FileManager.default.fileExists(atPath: file.path) {
            throw MakeMigrationsError(description: "Migration \(name) already exists. Use a different name.")
        }
        let before = try loaded.state(applying: Set(try loaded.graph.forwardsPlan(keys[0]).dropLast()), app: label)
        let text = try MigrationFile.render(app: label, name: name, dependencies: dependencies, replaces: keys,
                                            operations: optimized, state: before,
                                            emptyNote: "Squashed: nothing to do in the database.")
        // The squashed state must be the state the originals make.
        var after = before
        for operation in optimized { try operation.stateForwards(&after) }
        var originals = try loaded.state(applying: Set(try loaded.graph.forwardsPlan(last.key)), app: label)
        originals.related = after.related
        guard after == originals else {
            throw MakeMigrationsError(description: "internal error: the optimised operations do not give the state of \(last.name)")
        }
        try MakeMigrations.write(text, to: file, in: directory)
        output("Created new squashed migration \(MakeMigrations.displayPath(file))")
        output("  You should commit this migration but leave the old ones in place;")
        output("  the new migration will be used for new installs. Once you are sure")
        output("  all instances of the codebase have applied the migrations you squashed,")
        output("  you can delete them.")
        return name + ".sql"
    }

    /// `optimizemigration`: one migration's operations optimised, its file written again (SQL
    /// worked out anew). With `check`, writes nothing and returns whether it could be optimised.
    /// A migration whose SQL is not what its operations make (edited by hand) is refused. The
    /// file changes, so this is for a migration not applied anywhere yet (`migrate` refuses an
    /// applied file that changed).
    @discardableResult
    public static func optimizeMigration(directory: URL, others: [URL] = [], app: String, name: String, check: Bool = false,
                                         output: (String) -> Void) throws -> Bool {
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others)
        let label = try Migrator.appLabel(loaded, app)
        guard let migration = try Executor.resolve(.named(name), in: loaded, app: label) else { return false }
        let optimized = MigrationOptimizer.optimize(migration.operations)
        if optimized.count == migration.operations.count {
            output("No optimizations possible.")
            return false
        }
        output("Optimizing from \(migration.operations.count) operations to \(optimized.count) operations.")
        if check { return true }
        let before = try loaded.state(applying: Set(try loaded.graph.forwardsPlan(migration.key).dropLast()), app: label)
        let file = directory.appendingPathComponent(migration.fileName)
        let dependencies = migration.dependencies ?? loaded.graph.parents(migration.key)
        let rendered = try MigrationFile.render(app: label, name: migration.name, dependencies: dependencies, replaces: migration.replaces,
                                                operations: migration.operations, state: before)
        guard try MigrationFile.parse(rendered, fileName: migration.fileName).upSQL == migration.upSQL else {
            throw MakeMigrationsError(description: "\(migration.fileName) has SQL edited by hand (it is not what its operations make): optimise it by hand.")
        }
        let text = try MigrationFile.render(app: label, name: migration.name, dependencies: dependencies, replaces: migration.replaces,
                                            operations: optimized, state: before)
        try Data(text.utf8).write(to: file)
        output("Optimized migration \(MakeMigrations.displayPath(file))")
        return true
    }
}
