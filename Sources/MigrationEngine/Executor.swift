import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where `migrate` should leave the app.
public enum MigrationTarget: Equatable, Sendable {
    /// Every migration applied (`manage migrate`).
    case latest
    /// None applied (`manage migrate myproject zero`).
    case zero
    /// Up to and including this one, by name or unique prefix (`manage migrate myproject 0002`).
    case named(String)
}

/// One migration to apply or unapply.
public struct MigrationStep: Equatable, Sendable {
    public var migration: Migration
    public var backwards: Bool
    /// For a squashed migration, the history rows of the migrations it replaces, written and
    /// deleted with its own (as Django records them).
    public var alsoRecords: [AppliedMigration] = []
}

/// How a migration's SQL meets the server.
public enum ExecutionStrategy: Sendable {
    /// PostgreSQL: the whole migration and its history row in one transaction (under the retry
    /// wrapper); a failure leaves schema and history exactly as they were.
    case singleTransaction
    /// CockroachDB, where DDL inside an explicit transaction is not atomic: each statement in a
    /// transaction of its own, progress recorded (`django_migrations_progress`) after each, the history row
    /// written at the end. A failure stops there; the next `migrate` resumes after the last
    /// statement that succeeded.
    case statementByStatement

    static func `for`(_ kind: ServerKind) -> ExecutionStrategy {
        kind == .cockroachDB ? .statementByStatement : .singleTransaction
    }
}

/// Plans and applies migrations (Django's `MigrationExecutor`): checks the history against the
/// files, works out the steps to a target, runs each one.
enum Executor {
    /// Checks the history against the files and returns the applied migrations of the app (a
    /// squashed migration counts as applied when all it replaces are). Throws, changing nothing,
    /// when an applied migration's file is gone or was edited, or one is applied while a
    /// migration it depends on is not (Django's InconsistentMigrationHistory).
    static func verify(_ loaded: LoadedMigrations, applied: [AppliedMigration], directory: URL) throws -> Set<MigrationKey> {
        let replaced = Set(loaded.squashed.flatMap(\.replaces))
        for row in applied {
            // A migration a squashed one replaces may have its file deleted once applied everywhere.
            if replaced.contains(MigrationKey(app: row.app, name: row.name)) && loaded.byKey[MigrationKey(app: row.app, name: row.name)] == nil {
                continue
            }
            guard let migration = loaded.byKey[MigrationKey(app: row.app, name: row.name)] else {
                throw MigrationStateError(description: "Migration \(row.app).\(row.name) is applied, but its file \(MakeMigrations.displayPath((loaded.directory(of: row.app) ?? directory).appendingPathComponent(row.name + ".sql"))) is missing: restore it.")
            }
            // No checksum: applied by another tool (the Python app's migrate); the file is trusted
            // until `migrate` adopts it and records its checksum (`adoptions`).
            if let recorded = row.checksum, migration.checksum != recorded {
                throw MigrationStateError(description: "Migration \(row.app).\(row.name) is applied, but its file \(MakeMigrations.displayPath((loaded.directory(of: row.app) ?? directory).appendingPathComponent(migration.fileName))) was edited since (checksum \(recorded.prefix(12)) recorded, \(migration.checksum.prefix(12)) now): restore it, and put changes in a new migration.")
            }
        }
        let keys = loaded.effectivelyApplied(Set(applied.map { MigrationKey(app: $0.app, name: $0.name) }))
        for migration in loaded.ordered where keys.contains(migration.key) {
            for parent in loaded.graph.parents(migration.key) where parent.app == migration.app && !keys.contains(parent) {
                throw MigrationStateError(description: "Migration \(migration.key) is applied before its dependency \(parent): the history is inconsistent.")
            }
        }
        return keys
    }

    /// `verify` on the graph the history calls for (a squashed migration whose originals are
    /// partly applied gives way to them): that graph and the applied migrations.
    static func verify(history loaded: LoadedMigrations, applied: [AppliedMigration], directory: URL) throws
        -> (LoadedMigrations, Set<MigrationKey>) {
        let current = try loaded.withHistory(Set(applied.map { MigrationKey(app: $0.app, name: $0.name) }))
        return (current, try verify(current, applied: applied, directory: directory))
    }

    /// The applied migrations that have no checksum yet: applied by Django under the same app
    /// and name (the Python tutorial's `python manage.py migrate`). `migrate` records their files'
    /// checksums, so that from then on an edited file is refused as for any other.
    static func adoptions(_ migrations: [Migration], applied: [AppliedMigration]) -> [Migration] {
        let unrecorded = Set(applied.filter { $0.checksum == nil }.map(\.name))
        return migrations.filter { unrecorded.contains($0.name) }
    }

    /// The migration a named target means, by name or unique prefix; nil for `latest` and `zero`.
    static func resolve(_ target: MigrationTarget, in loaded: LoadedMigrations, app: String) throws -> Migration? {
        guard case .named(let name) = target else { return nil }
        let migrations = loaded.ordered.filter { $0.app == app }
        if let exact = migrations.first(where: { $0.name == name }) { return exact }
        let matches = migrations.filter { $0.name.hasPrefix(name) }
        if matches.isEmpty, let squash = loaded.squashed.first(where: { squash in squash.replaces.contains { $0.name.hasPrefix(name) } }),
           loaded.ordered.contains(where: { $0.key == squash.key }) {
            throw MigrationStateError(description: "Migration '\(name)' of app '\(app)' is replaced by the squashed migration \(squash.name), which stands for it on this database: target \(squash.name), or one before or after it.")
        }
        guard !matches.isEmpty else {
            throw MigrationStateError(description: "Cannot find a migration matching '\(name)' from app '\(app)'.")
        }
        guard matches.count == 1 else {
            throw MigrationStateError(description: "More than one migration matches '\(name)' in app '\(app)': \(matches.map(\.name).joined(separator: ", ")). Please be more specific.")
        }
        return matches[0]
    }

    /// The steps from the `applied` migrations to `target` (Django's `migration_plan`): forwards,
    /// what the target needs that is not applied; to an applied target, the unapplying of what
    /// depends on its children in the app (never the target itself); to zero, of everything
    /// depending on the app's roots.
    static func plan(_ loaded: LoadedMigrations, applied: Set<MigrationKey>, target: MigrationTarget, app: String) throws -> [MigrationStep] {
        let graph = loaded.graph
        var applied = applied
        var steps: [MigrationStep] = []
        func forwards(_ key: MigrationKey) throws {
            for node in try graph.forwardsPlan(key) where !applied.contains(node) {
                guard let migration = loaded.byKey[node] else { continue }
                steps.append(MigrationStep(migration: migration, backwards: false, alsoRecords: replacedRows(migration, loaded)))
                applied.insert(node)
            }
        }
        func backwards(_ key: MigrationKey) throws {
            for node in try graph.backwardsPlan(key) where applied.contains(node) {
                guard let migration = loaded.byKey[node] else { continue }
                steps.append(MigrationStep(migration: migration, backwards: true, alsoRecords: replacedRows(migration, loaded)))
                applied.remove(node)
            }
        }
        switch target {
        case .latest:
            for leaf in graph.leafNodes(app: app) { try forwards(leaf) }
        case .zero:
            for root in graph.rootNodes(app: app) { try backwards(root) }
        case .named:
            guard let migration = try resolve(target, in: loaded, app: app) else { return [] }
            if applied.contains(migration.key) {
                for child in graph.children(migration.key) where child.app == app { try backwards(child) }
            } else {
                try forwards(migration.key)
            }
        }
        return steps
    }

    /// The history rows a squashed migration writes for those it replaces (their files'
    /// checksums, where the files are still there).
    static func replacedRows(_ migration: Migration, _ loaded: LoadedMigrations) -> [AppliedMigration] {
        migration.replaces.map { AppliedMigration(app: $0.app, name: $0.name, checksum: loaded.byKey[$0]?.checksum) }
    }

    /// Writes (or deletes) a step's history rows.
    static func record(_ step: MigrationStep, _ recorder: Recorder) throws {
        if step.backwards {
            try recorder.recordUnapplied(step.migration)
            for row in step.alsoRecords { try recorder.recordUnapplied(app: row.app, name: row.name) }
        } else {
            try recorder.recordApplied(step.migration)
            for row in step.alsoRecords { try recorder.recordApplied(row) }
        }
    }

    /// Applies (or unapplies) one migration with its history row; `fake` records only.
    static func run(_ step: MigrationStep, on connection: Connection, lock: MigrationLock, strategy: ExecutionStrategy,
                    fake: Bool, hook: StatementHook = runStatementAsIs, output: (String) -> Void) throws {
        let migration = step.migration
        if let data = try DataMigration.of(migration) {
            let body = fake ? nil : step.backwards ? data.reverse : data.forward
            if !fake && body == nil { throw irreversible(migration, data) }
            if case .inBatches(let work)? = body {
                // Batches committed one by one with their progress; the history row after the last.
                try withoutActuallyEscaping(output) { output in
                    try work(DataMigrationContext(connection: connection, lock: lock, migration: migration,
                                                  progressKey: progressKey(step), output: output))
                }
                _ = try connection.transaction { c in
                    try lock.confirm(c)
                    try record(step, Recorder(connection: c))
                    try lock.setProgress(c, nil)
                }
                return
            }
            // Its own transaction with its history row, retried as a whole; no DDL in it.
            _ = try connection.transaction { c in
                try lock.confirm(c)
                if case .inTransaction(let work)? = body { try work(c) }
                try record(step, Recorder(connection: c))
            }
            return
        }
        let sql = step.backwards ? migration.downSQL : migration.upSQL
        switch strategy {
        case .singleTransaction:
            _ = try connection.transaction { c in
                try lock.confirm(c)
                if !fake && !SQLScript.statements(sql).isEmpty { try c.run(sql) }
                try record(step, Recorder(connection: c))
            }
        case .statementByStatement:
            let statements = fake ? [] : SQLScript.statements(sql)
            let key = progressKey(step)
            var done = 0
            if let progress = try lock.progress(connection), let count = progressCount(progress, key: key), count <= statements.count {
                done = count
                output("  (resuming \(migration.app).\(migration.name) after statement \(count) of \(statements.count))")
                // The previous run may have died after the next statement committed but before its
                // progress was written: a schema change whose effect is there is recorded, not rerun.
                // (Other statements are written with their progress in one transaction: no doubt there.)
                if done < statements.count, StatementEffect.isSchemaChange(statements[done]),
                   let effect = StatementEffect(statements[done]), try effect.isPresent(connection) {
                    output("  (statement \(done + 1) of \(statements.count) already took effect (\(effect)): recorded as done, not run again)")
                    _ = try connection.transaction { c in
                        try lock.confirm(c)
                        try lock.setProgress(c, "\(key):\(done + 1)")
                    }
                    done += 1
                }
            }
            for index in statements.indices where index >= done {
                do {
                    try runRecorded(statements[index], index: index, of: statements.count, key: key, on: connection, lock: lock,
                                    hook: hook, output: output)
                } catch let error as MigrationStateError {
                    throw error
                } catch {
                    throw MigrationStateError(description: """
                        \(migration.app).\(migration.name) failed at statement \(index + 1) of \(statements.count) \
                        (\(LintStatement.split(SQLLexer.tokens(statements[index])).first?.preview ?? "")): \(error). \
                        The \(index) statement(s) before it stay applied and recorded; fix the cause (or the file, which is not \
                        applied yet) and run migrate again: it resumes at statement \(index + 1).
                        """)
                }
            }
            _ = try connection.transaction { c in
                try lock.confirm(c)
                try record(step, Recorder(connection: c))
                try lock.setProgress(c, nil)
            }
        }
    }

    /// Moving back past a data migration that has no reverse.
    static func irreversible(_ migration: Migration, _ data: DataMigration) -> MigrationStateError {
        MigrationStateError(description: "Migration \(migration.key) is irreversible: its data migration '\(data.name)' has no reverse, so it cannot be unapplied.")
    }

    /// Refuses, before anything runs, steps that unapply an irreversible data migration (or run
    /// one that is not registered).
    static func checkDataMigrations(_ steps: [MigrationStep], fake: Bool) throws {
        for step in steps {
            guard let data = try DataMigration.of(step.migration) else { continue }
            if step.backwards && data.reverse == nil && !fake { throw irreversible(step.migration, data) }
        }
    }

    /// The progress record's prefix for a step: `name:up|down:checksum`, so that progress of an
    /// edited file or of the other direction is never taken for this one.
    static func progressKey(_ step: MigrationStep) -> String {
        "\(step.migration.name):\(step.backwards ? "down" : "up"):\(step.migration.checksum.prefix(16))"
    }

    /// How many statements a progress record says are done, when it belongs to `key`.
    static func progressCount(_ progress: String, key: String) -> Int? {
        guard progress.hasPrefix(key + ":") else { return nil }
        return Int(progress.dropFirst(key.count + 1))
    }

    /// Called around each statement of a statement-by-statement run: `run` runs it. Tests inject
    /// failures here (before or after `run`); the default just runs it.
    typealias StatementHook = (_ index: Int, _ statement: String, _ run: () throws -> Void) throws -> Void
    static func runStatementAsIs(_ index: Int, _ statement: String, _ run: () throws -> Void) throws { try run() }

    /// Runs statement `index` and records it as done, exactly once:
    /// - a schema change runs alone, in an implicit transaction (CockroachDB refuses a schema
    ///   change after a write in one transaction); then its progress is recorded;
    /// - any other statement runs in one transaction with its progress record.
    /// When the outcome is unknown (40003, a connection lost at commit), the progress record
    /// (other statements) or the schema (schema changes) tells whether it took effect: if it
    /// did it is recorded, otherwise it runs again. A schema change whose effect cannot be
    /// checked runs again: DDL either is idempotent or fails loudly the second time
    /// ("already exists", "does not exist"); it never applies twice silently.
    static func runRecorded(_ statement: String, index: Int, of total: Int, key: String, on connection: Connection,
                            lock: MigrationLock, hook: StatementHook, output: (String) -> Void) throws {
        let schemaChange = StatementEffect.isSchemaChange(statement)
        let record = "\(key):\(index + 1)"
        var attempt = 0
        while true {
            attempt += 1
            do {
                if schemaChange {
                    _ = try connection.transaction { try lock.confirm($0) }
                    try hook(index, statement) { try runStatement(statement, on: connection) }
                    _ = try connection.transaction { c in
                        try lock.confirm(c)
                        try lock.setProgress(c, record)
                    }
                } else {
                    _ = try connection.transaction { c in
                        try lock.check(c)
                        try hook(index, statement) { try c.run(statement) }
                        try lock.setProgress(c, record)
                    }
                }
                return
            } catch where isOutcomeUnknown(error) && attempt < 5 {
                output("  (statement \(index + 1) of \(total): outcome unknown (\(error)); checking whether it took effect)")
                if !connection.isOpen { try connection.reconnect() }
                if try lock.progress(connection) == record {
                    output("  (statement \(index + 1) of \(total) was committed with its progress record: not run again)")
                    return
                }
                if schemaChange, let effect = StatementEffect(statement), try effect.isPresent(connection) {
                    output("  (statement \(index + 1) of \(total) took effect (\(effect)): recorded as done, not run again)")
                    _ = try connection.transaction { c in
                        try lock.confirm(c)
                        try lock.setProgress(c, record)
                    }
                    return
                }
                output("  (statement \(index + 1) of \(total) did not take effect: running it again)")
            }
        }
    }

    /// 40003, or a connection lost (at commit or while a statement ran in its implicit transaction).
    static func isOutcomeUnknown(_ error: Error) -> Bool {
        switch error {
        case DatabaseError.outcomeUnknown, DatabaseError.connection: return true
        case DatabaseError.server(let e): return e.isAmbiguousResult
        case DatabaseError.retriesExhausted(_, let last): return last.isAmbiguousResult
        default: return false
        }
    }

    /// One statement in its own transaction, retried while CockroachDB asks for a restart (40001)
    /// or is still busy with an earlier schema change.
    static func runStatement(_ statement: String, on connection: Connection) throws {
        _ = try retryingBlocking(RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(50), maxDelay: .milliseconds(1000)), when: { error in
            guard case DatabaseError.server(let server) = error else { return false }
            return server.isSerializationFailure || server.message.contains("undergoing a schema change")
        }) {
            try connection.run(statement)
        }
    }
}
