import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The migrations API for programs and tests: apply, list, show, print SQL, check drift.
///
/// ## Applying
/// - ``migrate(connectionString:directory:output:)`` applies every pending migration.
/// - ``migrate(connectionString:directory:to:app:fake:lockTimeout:strategy:output:)`` moves
///   forward or backward to a target, or records without running (`fake`).
/// - ``plan(connectionString:directory:to:app:output:)`` prints what would run.
///
/// ## Inspecting
/// - ``unappliedMigrations(connectionString:directory:)``, ``showMigrations(connectionString:directory:)``
/// - ``sql(directory:migration:backwards:)`` (no database needed)
/// - ``drift(connectionString:directory:)`` (the live schema against the applied migrations)
///
/// Every call checks the files first (numbering, headers), then the history (edited or deleted
/// applied files) before changing anything. Concurrent `migrate` calls are serialized by
/// `MigrationLock`: one applies, the others wait and then find nothing to do.
public enum Migrator {
    /// Applies every pending migration in `directory` (what `manage migrate` does), printing
    /// Django's progress lines through `output`.
    public static func migrate(connectionString: String, directory: URL, output: (String) -> Void = { _ in }) throws {
        try migrate(connectionString: connectionString, directory: directory, to: .latest, output: output)
    }

    /// The names of the migrations in `directory` not applied to the database, in order.
    public static func unappliedMigrations(connectionString: String, directory: URL, others: [URL] = []) throws -> [String] {
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others)
        guard !loaded.ordered.isEmpty else { return [] }
        let connection = try Connection(connectionString: connectionString)
        defer { connection.close() }
        let rows = Set(try appliedRows(Recorder(connection: connection), loaded, loaded.app).map { MigrationKey(app: $0.app, name: $0.name) })
        let current = try loaded.withHistory(rows)
        let applied = current.effectivelyApplied(rows)
        // One app's names alone, as they always were; several apps' as app.name.
        return current.ordered.filter { !applied.contains($0.key) }.map { loaded.apps.count > 1 ? $0.key.description : $0.name }
    }

    /// `migrate --check`: the steps `migrate` would run toward `target` (empty when there is
    /// nothing to do), after the same checks as `migrate`, changing nothing.
    public static func pendingSteps(connectionString: String, directory: URL, others: [URL] = [], to target: MigrationTarget = .latest,
                                    app: String? = nil) throws -> [MigrationStep] {
        let loaded = try loadForMigrate(directory: directory, others: others)
        let label = try appLabel(loaded, app)
        _ = try Executor.resolve(target, in: loaded, app: label)
        let connection = try Connection(connectionString: connectionString)
        defer { connection.close() }
        let applied = try appliedRows(Recorder(connection: connection), loaded, label)
        let (current, keys) = try Executor.verify(history: loaded, applied: applied, directory: directory)
        return try steps(current, applied: keys, target: target, app: app, label: label)
    }

    /// The history rows of every app of the project (each app's own, when it is one app).
    static func appliedRows(_ recorder: Recorder, _ loaded: LoadedMigrations, _ label: String) throws -> [AppliedMigration] {
        guard loaded.apps.count > 1 else { return try recorder.applied(app: label) }
        return try loaded.apps.flatMap { try recorder.applied(app: $0) }
    }

    /// The steps toward `target`: for the app asked, or with none asked, for every app in turn
    /// (the first app's, then the next's, each migration once).
    static func steps(_ current: LoadedMigrations, applied keys: Set<MigrationKey>, target: MigrationTarget, app: String?,
                      label: String) throws -> [MigrationStep] {
        guard app == nil, current.apps.count > 1 else { return try Executor.plan(current, applied: keys, target: target, app: label) }
        var done = keys, steps: [MigrationStep] = []
        for other in current.apps {
            let more = try Executor.plan(current, applied: done, target: target, app: other)
            for step in more where !step.backwards { done.insert(step.migration.key) }
            steps += more
        }
        return steps
    }

    /// The files and their graph, refused as Django refuses them when an app has two leaves.
    static func loadForMigrate(directory: URL, others: [URL] = []) throws -> LoadedMigrations {
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others)
        if let conflict = loaded.conflictError() { throw conflict }
        return loaded
    }

    /// Moves the app to `target`: applies pending migrations up to it, or unapplies (runs the
    /// down parts of) those after it. `fake` records the history without running any SQL.
    ///
    /// - Parameters:
    ///   - app: the app label given on the command line, checked against the files'.
    ///   - lockTimeout: how long to wait for another `migrate` to finish.
    ///   - strategy: how SQL meets the server; by default one transaction per migration on
    ///     PostgreSQL, statement by statement on CockroachDB.
    ///   - lockLease: how long the lock row stays ours without a heartbeat (renewed every third
    ///     of it while we work): how soon another `migrate` takes over after this one is killed.
    ///   - fakeInitial: record the initial migration without running it when its tables are all
    ///     there already (Django's `--fake-initial`); refuse when only some are, or their columns differ.
    public static func migrate(connectionString: String, directory: URL, others: [URL] = [], to target: MigrationTarget, app: String? = nil,
                               fake: Bool = false, fakeInitial: Bool = false, lockTimeout: Duration = .seconds(600),
                               lockLease: Duration = .seconds(60), strategy: ExecutionStrategy? = nil,
                               output: (String) -> Void = { _ in }) throws {
        try migrate(connectionString: connectionString, directory: directory, others: others, to: target, app: app, fake: fake,
                    fakeInitial: fakeInitial, lockTimeout: lockTimeout, lockLease: lockLease, strategy: strategy,
                    hook: Executor.runStatementAsIs, output: output)
    }

    /// `migrate` with a hook around each statement of a statement-by-statement run (tests inject failures).
    static func migrate(connectionString: String, directory: URL, others: [URL] = [], to target: MigrationTarget, app: String? = nil,
                        fake: Bool = false, fakeInitial: Bool = false, lockTimeout: Duration = .seconds(600),
                        lockLease: Duration = .seconds(60), strategy: ExecutionStrategy? = nil, hook: Executor.StatementHook,
                        output: (String) -> Void = { _ in }) throws {
        let loaded = try loadForMigrate(directory: directory, others: others)
        let migrations = loaded.ordered
        let label = try appLabel(loaded, app)
        let wanted = try Executor.resolve(target, in: loaded, app: label)
        output("Operations to perform:")
        switch target {
        case .latest where app == nil && loaded.apps.count > 1: output("  Apply all migrations: \(loaded.apps.sorted().joined(separator: ", "))")
        case .latest: output("  Apply all migrations: \(label.isEmpty ? "(none)" : label)")
        case .zero: output("  Unapply all migrations: \(label)")
        case .named: output("  Target specific migration: \(wanted?.name ?? ""), from \(label)")
        }
        let connection = try Connection(connectionString: connectionString)
        defer { connection.close() }
        let lock = MigrationLock(connectionString: connectionString, lease: lockLease)
        try Recorder(connection: connection).ensureTable()
        try lock.ensureTable(connection)
        try lock.acquire(connection, timeout: lockTimeout, output: output)
        defer { lock.release(connection) }

        let recorder = Recorder(connection: connection)
        let applied = try appliedRows(recorder, loaded, label)
        let (current, keys) = try Executor.verify(history: loaded, applied: applied, directory: directory)
        let steps = try steps(current, applied: keys, target: target, app: app, label: label)
        try Executor.checkDataMigrations(steps, fake: fake)
        // Decided before anything changes: a refusal leaves the database as it was.
        var fakedInitial = false
        if fakeInitial, let first = steps.first { fakedInitial = try isSoftApplied(first, of: current, on: connection) }
        try adopt(Executor.adoptions(migrations, applied: applied), recorder: recorder, lock: lock, output: output)
        output("Running migrations:")
        if steps.isEmpty { output("  No migrations to apply.") }
        let strategy = try strategy ?? .for(connection.serverKind())
        for (index, step) in steps.enumerated() {
            let verb = step.backwards ? "Unapplying" : "Applying"
            let faked = fake || (index == 0 && fakedInitial)
            do {
                try Executor.run(step, on: connection, lock: lock, strategy: strategy, fake: faked, hook: hook, output: output)
            } catch {
                output("  \(verb) \(step.migration.app).\(step.migration.name)... FAILED")
                throw error
            }
            output("  \(verb) \(step.migration.app).\(step.migration.name)... \(faked ? "FAKED" : "OK")")
        }
        try recordSquashes(loaded, recorder: recorder, lock: lock)
    }

    /// Django's `check_replacements`: a squashed migration whose originals are all applied (one
    /// by one, on a database that had some of them) is recorded as applied too.
    static func recordSquashes(_ loaded: LoadedMigrations, recorder: Recorder, lock: MigrationLock) throws {
        guard !loaded.squashed.isEmpty else { return }
        let applied = Set(try recorder.applied(app: loaded.app).map(\.name))
        let due = loaded.squashed.filter { !applied.contains($0.name) && $0.replaces.allSatisfy { applied.contains($0.name) } }
        guard !due.isEmpty else { return }
        _ = try recorder.connection.transaction { c in
            try lock.confirm(c)
            for squash in due { try Recorder(connection: c).recordApplied(squash) }
        }
    }

    /// `--fake-initial`: whether the first step applies the app's initial migration and its tables
    /// are all there. Throws, naming what differs, when they are there only in part.
    static func isSoftApplied(_ step: MigrationStep, of loaded: LoadedMigrations, on connection: Connection) throws -> Bool {
        guard !step.backwards, loaded.graph.rootNodes(app: step.migration.app).contains(step.migration.key) else { return false }
        switch try SoftApplied.check(step.migration, on: connection) {
        case .notApplied: return false
        case .applied: return true
        case .contradicted(let differences):
            throw MigrationStateError(description: """
                Cannot fake-apply \(step.migration.app).\(step.migration.name): its tables are not what it creates \
                (\(differences.joined(separator: "; "))). Nothing was changed. Bring the tables in line or drop them, \
                then run migrate again.
                """)
        }
    }

    /// Records the checksums of migrations Django applied under the same app and name, saying so once.
    static func adopt(_ migrations: [Migration], recorder: Recorder, lock: MigrationLock, output: (String) -> Void) throws {
        guard !migrations.isEmpty else { return }
        output("Adopting migrations applied by Django (their files' checksums recorded):")
        _ = try recorder.connection.transaction { c in
            try lock.confirm(c)
            for migration in migrations { try Recorder(connection: c).recordChecksum(migration) }
        }
        for migration in migrations { output("  \(migration.app).\(migration.name)") }
    }

    /// `migrate --plan`: prints the steps toward `target` and their operations, changing nothing;
    /// returns the steps (`--check` exits 1 when there are any).
    @discardableResult
    public static func plan(connectionString: String, directory: URL, others: [URL] = [], to target: MigrationTarget, app: String? = nil,
                            output: (String) -> Void) throws -> [MigrationStep] {
        let steps = try pendingSteps(connectionString: connectionString, directory: directory, others: others, to: target, app: app)
        output("Planned operations:")
        if steps.isEmpty { output("  No planned migration operations.") }
        for step in steps {
            output("\(step.migration.app).\(step.migration.name)")
            if let data = step.migration.dataMigration {
                output("    Raw Swift operation (\(data))")
            } else if step.migration.operations.isEmpty {
                output("    Raw SQL operation")
            }
            let operations = step.backwards ? step.migration.operations.reversed() : step.migration.operations
            for operation in operations { output("    \(step.backwards ? "Undo " : "")\(operation.description)") }
        }
        return steps
    }

    /// `showmigrations`: the app, then ` [X] 0001_initial` / ` [ ] 0002_...` per file, and
    /// ` [~] 0002_... (3 of 5 statements applied)` for a statement-by-statement run that stopped midway.
    ///
    /// With no `app`, every app in the history too (Django's `auth`, `contenttypes`, ... when the
    /// Python app shares the database), sorted by label as Django lists them; their rows are shown
    /// as applied, and never judged against this project's files.
    public static func showMigrations(connectionString: String, directory: URL, others: [URL] = [], app: String? = nil) throws -> [String] {
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others)
        let connection = try Connection(connectionString: connectionString)
        defer { connection.close() }
        let recorder = Recorder(connection: connection)
        let ours = Set(loaded.apps)
        if let app, !ours.contains(app) {
            // Another app's history (Django's own apps), read-only.
            guard let rows = try recorder.appliedByApp()[app] else { _ = try appLabel(loaded, app); return [] }
            return [app] + rows.map { " [X] \($0.name)" }
        }
        if app == nil {
            var byApp = try recorder.appliedByApp()
            for label in ours { byApp[label] = nil }
            let labels = (Array(byApp.keys) + Array(ours)).sorted()
            return try labels.flatMap { label in
                ours.contains(label) ? try showMigrations(loaded, app: label, connection: connection)
                                     : [label] + (byApp[label] ?? []).map { " [X] \($0.name)" }
            }
        }
        return try showMigrations(loaded, app: app, connection: connection)
    }

    /// `showmigrations --plan`: every migration of the graph in the order `migrate` applies them,
    /// as Django prints it (`[X]  myproject.0001_initial`), with its parents at verbosity 2
    /// (`[ ]  myproject.0003_merge ... (myproject.0002_a, myproject.0002_b)`). Only this
    /// project's files are in the graph: Django's own apps in the history are not.
    public static func showPlan(connectionString: String, directory: URL, others: [URL] = [], apps: [String] = [], verbosity: Int = 1) throws -> [String] {
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others)
        for app in apps { _ = try appLabel(loaded, app) }
        let connection = try Connection(connectionString: connectionString)
        defer { connection.close() }
        let rows = Set(try appliedRows(Recorder(connection: connection), loaded, loaded.app).map { MigrationKey(app: $0.app, name: $0.name) })
        let current = try loaded.withHistory(rows)
        let applied = current.effectivelyApplied(rows)
        let plan = current.graph.fullPlan(apps: apps.isEmpty ? nil : Set(apps))
        if plan.isEmpty { return ["(no migrations)"] }
        return plan.map { key in
            let parents = current.graph.parents(key).map(\.description)
            let deps = verbosity >= 2 && !parents.isEmpty ? " ... (\(parents.joined(separator: ", ")))" : ""
            return "[\(applied.contains(key) ? "X" : " ")]  \(key)\(deps)"
        }
    }

    /// `showmigrations` for this project's app, whose files are known.
    /// `migrations` are in the graph's order: each leaf's history from its root, each migration
    /// once (Django's `show_list`), the branches of a conflict one after the other.
    static func showMigrations(_ loaded: LoadedMigrations, app: String?, connection: Connection) throws -> [String] {
        let label = try appLabel(loaded, app)
        let applied = try Recorder(connection: connection).applied(app: label)
        let rows = Set(applied.map { MigrationKey(app: $0.app, name: $0.name) })
        let current = try loaded.withHistory(rows)
        let migrations = current.ordered.filter { $0.app == label }
        let names = Set(current.effectivelyApplied(rows).map(\.name))
        let replaced = Set(current.squashed.flatMap(\.replaces).map(\.name))
        let progress = try MigrationLock.recordedProgress(connection)
        var lines = [label.isEmpty ? (app ?? "(no app)") : label]
        if migrations.isEmpty { lines.append(" (no migrations)") }
        for migration in migrations {
            let edited = applied.first { $0.name == migration.name }.map { $0.checksum.map { $0 != migration.checksum } ?? false } ?? false
            let isApplied = names.contains(migration.name)
            let step = MigrationStep(migration: migration, backwards: isApplied)
            if let progress, let count = Executor.progressCount(progress, key: Executor.progressKey(step)) {
                // A statement-by-statement run stopped midway (failed or killed): `migrate` resumes it.
                let total = SQLScript.statements(isApplied ? migration.downSQL : migration.upSQL).count
                lines.append(isApplied
                    ? " [~] \(migration.name) (being unapplied: \(count) of \(total) statements of its down part run)"
                    : " [~] \(migration.name) (\(count) of \(total) statements applied)")
                continue
            }
            if let progress, let backfill = DataMigrationContext.backfillProgress(progress, key: Executor.progressKey(step)) {
                // A batched data migration stopped midway: `migrate` resumes it after the last batch done.
                lines.append(" [~] \(migration.name) (\(backfill.done) backfill(s) done\(backfill.after.map { ", the next one done up to key \($0)" } ?? ""))")
                continue
            }
            let title = migration.replaces.isEmpty ? migration.name : "\(migration.name) (\(migration.replaces.count) squashed migrations)"
            lines.append(" [\(isApplied ? "X" : " ")] \(title)\(edited ? " (file edited since applied)" : "")")
        }
        for row in applied where !migrations.contains(where: { $0.name == row.name }) && !replaced.contains(row.name) {
            lines.append(" [X] \(row.name) (file missing)")
        }
        return lines
    }

    /// `sqlmigrate`: a migration's SQL (its down part with `backwards`), wrapped in BEGIN/COMMIT
    /// as Django prints it, ready for psql. Needs no database.
    public static func sql(directory: URL, others: [URL] = [], migration name: String, app: String? = nil, backwards: Bool = false) throws -> String {
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others)
        let label = try appLabel(loaded, app)
        guard let migration = try Executor.resolve(.named(name), in: loaded, app: label) else { return "" }
        let body = backwards ? migration.downSQL : migration.upSQL
        return "BEGIN;\n\(body)\nCOMMIT;"
    }

    /// `check`'s database half: differences between the live schema and the state the applied
    /// migrations describe (one line each; empty when they agree).
    public static func drift(connectionString: String, directory: URL) throws -> [String] {
        try schemaDifferences(connectionString: connectionString, directory: directory).map(\.description)
    }

    /// The differences between the live schema and the applied migrations, each with the
    /// statement that removes it where one safely can.
    public static func schemaDifferences(connectionString: String, directory: URL, others: [URL] = []) throws -> [SchemaDifference] {
        let connection = try Connection(connectionString: connectionString)
        defer { connection.close() }
        return try schemaDifferences(connection, directory: directory, others: others)
    }

    /// Each app's tables against the state its applied migrations describe.
    static func schemaDifferences(_ connection: Connection, directory: URL, others: [URL] = []) throws -> [SchemaDifference] {
        let loaded = try MigrationLoader.loadGraph(directories: [directory] + others)
        guard let label = loaded.ordered.first?.app else { return [] }
        let applied = try appliedRows(Recorder(connection: connection), loaded, label)
        let (current, keys) = try Executor.verify(history: loaded, applied: applied, directory: directory)
        return try (loaded.apps.count > 1 ? loaded.apps : [label]).flatMap { app in
            try SchemaInspector.drift(connection, expected: try current.state(applying: keys, app: app))
        }
    }

    /// `sqlalign`: the SQL that brings the live schema in line with the applied migrations where
    /// that is safe (widening integer ids, ON DELETE rules, missing indexes and foreign keys), as
    /// a script for psql; what it cannot mend is listed in comments. On PostgreSQL the script is
    /// one transaction; on CockroachDB, where schema changes in an explicit transaction are not
    /// atomic, each statement runs on its own.
    public static func alignmentSQL(connectionString: String, directory: URL, others: [URL] = []) throws -> String {
        let connection = try Connection(connectionString: connectionString)
        defer { connection.close() }
        let differences = try schemaDifferences(connection, directory: directory, others: others)
        return alignmentScript(differences, transactional: try connection.serverKind() != .cockroachDB)
    }

    static func alignmentScript(_ differences: [SchemaDifference], transactional: Bool) -> String {
        guard !differences.isEmpty else { return "-- The database matches the applied migrations: nothing to align." }
        // Widen columns before the foreign keys that use them are made again.
        let fixable = differences.filter { $0.fix != nil }
            .sorted { ($0.kind == .integerNarrowerThanBigint ? 0 : 1) < ($1.kind == .integerNarrowerThanBigint ? 0 : 1) }
        var lines: [String] = []
        for difference in differences where difference.fix == nil {
            lines.append("-- Cannot align automatically: \(difference.description)")
        }
        if fixable.isEmpty { return lines.joined(separator: "\n") }
        if transactional { lines.append("BEGIN;") }
        for difference in fixable {
            lines.append("-- \(difference.description)")
            lines.append(difference.fix ?? "")
        }
        if transactional { lines.append("COMMIT;") }
        return lines.joined(separator: "\n")
    }

    /// The app asked for among the project's (several folders), or as `appLabel(_:_:)` checks it
    /// for one folder; with none asked, the first app.
    static func appLabel(_ loaded: LoadedMigrations, _ asked: String?) throws -> String {
        guard loaded.apps.count > 1 else { return try appLabel(loaded.ordered, asked) }
        guard let asked else { return loaded.app }
        guard loaded.apps.contains(asked) else {
            throw MigrationStateError(description: "App '\(asked)' does not have migrations (the apps are \(loaded.apps.joined(separator: ", "))).")
        }
        return asked
    }

    /// The files' app label, checked against the one asked for.
    static func appLabel(_ migrations: [Migration], _ asked: String?) throws -> String {
        guard let label = migrations.first?.app else {
            if let asked { throw MigrationStateError(description: "App '\(asked)' does not have migrations.") }
            return ""
        }
        if let asked, asked != label {
            throw MigrationStateError(description: "App '\(asked)' does not have migrations (the migrations folder is for '\(label)').")
        }
        return label
    }
}
