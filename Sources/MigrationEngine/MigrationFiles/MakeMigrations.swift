#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Database

/// `manage makemigrations`: replay the files, diff against the declarations, write the next file.
/// Needs no database.
public enum MakeMigrations {
    public struct Options: Sendable {
        /// The name after the number (`--name`); automatic otherwise (`initial`, `customers_email`, ...).
        public var name: String?
        /// Write an empty migration to fill in by hand (`--empty`).
        public var empty = false
        /// Print what would be written, write nothing (`--dry-run`).
        public var dryRun = false
        /// Write nothing; the result says whether changes are pending (`--check`).
        public var check = false
        /// 3 prints the whole file on a dry run, as Django does.
        public var verbosity = 1
        /// Write a merge migration for an app with two leaves (`--merge`).
        public var merge = false

        public init(name: String? = nil, empty: Bool = false, dryRun: Bool = false, check: Bool = false, verbosity: Int = 1,
                    merge: Bool = false) {
            self.merge = merge
            self.name = name
            self.empty = empty
            self.dryRun = dryRun
            self.check = check
            self.verbosity = verbosity
        }
    }

    public enum Outcome: Equatable, Sendable {
        case noChanges
        /// The file written (or that would be, on a dry run or check) and its text.
        case migration(fileName: String, text: String, operations: [Operation])

        /// `--check` fails (exit 1) when there are changes.
        public var hasChanges: Bool { if case .migration = self { return true } else { return false } }
    }

    /// The operations that would make the next migration (no questions: renames are not guessed).
    /// `others` are the project's other apps' folders, whose models this app's relations may name.
    public static func pendingOperations(appLabel: String, models: [Model], directory: URL, others: [URL] = []) throws -> [Operation] {
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others)
        try checkApp(loaded, appLabel: appLabel, directory: directory)
        if let conflict = loaded.conflictError() { throw conflict }
        let current = try loaded.state(app: appLabel)
        let target = try ModelValidation.state(appLabel: appLabel, models: models, related: current.related)
        return try Autodetector(from: current, to: target).changes(questioner: NonInteractiveQuestioner())
    }

    /// makemigrations for `app` of a project of `apps` (whose folders are loaded with its own).
    @discardableResult
    public static func run(app: MigrationApp, among apps: [MigrationApp], options: Options = Options(),
                           questioner: Questioner = NonInteractiveQuestioner(),
                           output: (String) -> Void = { print($0) }) throws -> Outcome {
        try run(appLabel: app.label, models: app.models, directory: app.migrationsDirectory,
                others: apps.filter { $0.label != app.label }.map(\.migrationsDirectory),
                options: options, questioner: questioner, output: output)
    }

    /// `manage makemigrations [app...]`: the apps named (all when none), each in turn, as Django
    /// orders them: an app whose relations name a model that another app declares and no
    /// migration of it creates yet comes after that app, which is made too when not named, so
    /// that its migration depends on the one just made. A migration not written (`--dry-run`,
    /// `--check`) counts for the apps after it as if it were.
    @discardableResult
    public static func run(apps labels: [String], among apps: [MigrationApp], options: Options = Options(),
                           questioner: Questioner = NonInteractiveQuestioner(),
                           output: (String) -> Void = { print($0) }) throws -> [(app: String, outcome: Outcome)] {
        let chosen = labels.isEmpty ? apps : apps.filter { labels.contains($0.label) }
        // A merge touches each app's own graph only; an empty migration is asked for by name.
        let order = options.merge || options.empty ? chosen : try creationOrder(chosen, among: apps)
        var unwritten: [URL: [Migration]] = [:]
        var outcomes: [(app: String, outcome: Outcome)] = []
        for app in order {
            let outcome = try run(appLabel: app.label, models: app.models, directory: app.migrationsDirectory,
                                  others: apps.filter { $0.label != app.label }.map(\.migrationsDirectory), unwritten: unwritten,
                                  options: options, questioner: questioner, output: output)
            if options.dryRun || options.check, case .migration(let fileName, let text, _) = outcome {
                unwritten[app.migrationsDirectory, default: []].append(try MigrationFile.parse(text, fileName: fileName))
            }
            outcomes.append((app.label, outcome))
        }
        return outcomes
    }

    /// `chosen` in the order their migrations must be made: each after the apps it needs (those
    /// declaring a model its relations name that their migrations do not create yet), needed
    /// apps added; otherwise in the order the project declares them.
    static func creationOrder(_ chosen: [MigrationApp], among apps: [MigrationApp]) throws -> [MigrationApp] {
        let loaded = try MigrationLoader.loadGraph(directories: apps.map(\.migrationsDirectory))
        var migrated: [String: ProjectState] = [:]
        func needs(_ app: MigrationApp) throws -> [MigrationApp] {
            var needed: [MigrationApp] = []
            for target in app.models.flatMap({ $0.fields.compactMap { $0.kind.target?.lowercased() } }) {
                guard let dot = target.firstIndex(of: "."),
                      let other = apps.first(where: { $0.label.lowercased() == target[..<dot] && $0.label != app.label }) else { continue }
                let model = String(target[target.index(after: dot)...])
                if migrated[other.label] == nil { migrated[other.label] = try loaded.state(app: other.label) }
                if migrated[other.label]?.models[model] == nil, other.models.contains(where: { $0.name.lowercased() == model }),
                   !needed.contains(where: { $0.label == other.label }) {
                    needed.append(other)
                }
            }
            return needed.sorted { a, b in apps.firstIndex { $0.label == a.label }! < apps.firstIndex { $0.label == b.label }! }
        }
        var order: [MigrationApp] = [], visiting: [String] = []
        func visit(_ app: MigrationApp) throws {
            guard !order.contains(where: { $0.label == app.label }) else { return }
            if let start = visiting.firstIndex(of: app.label) {
                let cycle = visiting[start...].joined(separator: ", ")
                throw MakeMigrationsError(description: "Cannot order the migrations of apps \(cycle): each relates to a model of another that no migration creates yet. Make one app's migration without that relation first (comment it out, run makemigrations), then add the relation in a migration of its own.")
            }
            visiting.append(app.label)
            for other in try needs(app) { try visit(other) }
            visiting.removeLast()
            order.append(app)
        }
        for app in chosen { try visit(app) }
        return order
    }

    @discardableResult
    public static func run(appLabel: String, models: [Model], directory: URL, others: [URL] = [], options: Options = Options(),
                           questioner: Questioner = NonInteractiveQuestioner(),
                           output: (String) -> Void = { print($0) }) throws -> Outcome {
        try run(appLabel: appLabel, models: models, directory: directory, others: others, unwritten: [:], options: options,
                questioner: questioner, output: output)
    }

    static func run(appLabel: String, models: [Model], directory: URL, others: [URL], unwritten: [URL: [Migration]],
                    options: Options, questioner: Questioner, output: (String) -> Void) throws -> Outcome {
        if let name = options.name, !SQLWriter.isPlainIdentifier("_" + name) {
            throw MakeMigrationsError(description: "The migration name '\(name)' must be letters, digits and underscores.")
        }
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others, unwritten: unwritten)
        let migrations = loaded.ordered.filter { $0.app == appLabel }
        try checkApp(loaded, appLabel: appLabel, directory: directory)
        // Django's order: conflicts first; --merge resolves them, or says there are none.
        let conflicts = loaded.graph.conflicts()
        if options.merge {
            guard conflicts[appLabel] != nil else {
                output("No conflicts detected to merge.")
                return .noChanges
            }
            return try MergeMigration.run(loaded, app: appLabel, directory: directory, options: options, questioner: questioner, output: output)
        }
        if let conflict = loaded.conflictError() { throw conflict }
        let current = try loaded.state(app: appLabel)
        let target = try ModelValidation.state(appLabel: appLabel, models: models, related: current.related)
        let operations = options.empty ? [] : try Autodetector(from: current, to: target).changes(questioner: questioner)
        if operations.isEmpty && !options.empty {
            output("No changes detected")
            return .noChanges
        }
        // Past every file's number, the originals a squashed migration stands for included.
        let number = (loaded.byKey.values.filter { $0.app == appLabel }.map(\.number).max() ?? 0) + 1
        let name = fourDigits(number) + "_" + (options.name ?? suggestedName(operations, initial: migrations.isEmpty))
        // Its parent in its app, and the latest migration of each other app its relations point into.
        let otherApps = Set(operations.flatMap { $0.referencedApps(from: appLabel) }).sorted()
        let dependencies = loaded.graph.leafNodes(app: appLabel)
            + otherApps.flatMap { other in loaded.graph.leafNodes().filter { $0.app.lowercased() == other } }
        let text = try MigrationFile.render(app: appLabel, name: name, dependencies: dependencies,
                                            operations: operations, state: current)
        let file = directory.appendingPathComponent(name + ".sql")
        output("Migrations for '\(appLabel)':")
        output("  \(displayPath(file))")
        for operation in operations { output("    - \(operation.description)") }
        if operations.isEmpty { output("    - (empty: write its SQL by hand)") }
        // Lint the new file against the ones migrate applies before it, whatever their app, as `manage lint` would.
        let earlier = loaded.ordered.compactMap { migration in
            loaded.directory(of: migration.app).flatMap { try? String(contentsOf: $0.appendingPathComponent(migration.fileName), encoding: .utf8) }
        }
        let findings = MigrationLinter.lint(text, file: displayPath(file), earlier: earlier)
        if !findings.isEmpty {
            output("Lint (CockroachDB safety), \(findings.count) finding(s); review before migrating:")
            for finding in findings { output("  " + indented(finding.description)) }
        }
        if options.dryRun && options.verbosity >= 3 { output(text) }
        if !options.dryRun && !options.check { try write(text, to: file, in: directory) }
        return .migration(fileName: name + ".sql", text: text, operations: operations)
    }

    /// Django's `Migration.suggest_name`: `initial` for the first, else the operations' name
    /// fragments joined, cut to `..._and_more` past 52 characters.
    public static func suggestedName(_ operations: [Operation], initial: Bool) -> String {
        if initial { return "initial" }
        guard let first = operations.first else { return "auto" }
        var name = first.migrationNameFragment
        for operation in operations.dropFirst() {
            let longer = "\(name)_\(operation.migrationNameFragment)"
            if longer.count > 52 { return "\(name)_and_more" }
            name = longer
        }
        return name
    }

    static func write(_ text: String, to file: URL, in directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file, options: .withoutOverwriting)
    }

    static func checkApp(_ loaded: LoadedMigrations, appLabel: String, directory: URL) throws {
        if let label = loaded.directories.first(where: { $0.value == directory })?.key, label != appLabel,
           let other = loaded.byKey.values.filter({ $0.app == label }).min(by: { $0.name < $1.name }) {
            throw MigrationFileError(file: other.fileName, line: nil, message: "belongs to app '\(other.app)', not '\(appLabel)'")
        }
    }

    /// `text.replacingOccurrences(of: "\n", with: "\n  ")`, without Foundation's NSString round trip
    /// when the text is ASCII (no combining mark that Foundation's search would treat otherwise).
    static func indented(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.replacingBytes("\n", with: "\n  ") }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        // Cut on the scalars (a CR LF is one Character: String's own subscript would not cut it).
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        for i in scalars.indices where scalars[i] == "\n" {
            result += String(scalars[start..<i])
            result += "\n  "
            start = scalars.index(after: i)
        }
        result += String(scalars[start...])
        return result
    }

    /// The path relative to the current folder when it is inside it (`Migrations/0001_initial.sql`).
    static func displayPath(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        if path.hasPrefix(here + "/") { return String(path.dropFirst(here.count + 1)) }
        return path
    }
}

public struct MakeMigrationsError: Error, CustomStringConvertible {
    public var description: String
}
