import Database
import Foundation

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
}

/// How a migration's SQL meets the server.
public enum ExecutionStrategy: Sendable {
    /// PostgreSQL: the whole migration and its history row in one transaction (under the retry
    /// wrapper); a failure leaves schema and history exactly as they were.
    case singleTransaction
    /// CockroachDB, where DDL inside an explicit transaction is not atomic: each statement in a
    /// transaction of its own, progress recorded in the lock row after each, the history row
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
    /// Checks the history against the files and returns how many are applied (always the first
    /// ones: the history is linear). Throws, changing nothing, when an applied migration's file
    /// is gone or was edited, or the history has a hole.
    static func verify(_ migrations: [Migration], applied: [AppliedMigration], directory: URL) throws -> Int {
        let byName = Dictionary(migrations.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for row in applied {
            guard let migration = byName[row.name] else {
                throw MigrationStateError(description: "Migration \(row.app).\(row.name) is applied, but its file \(MakeMigrations.displayPath(directory.appendingPathComponent(row.name + ".sql"))) is missing: restore it.")
            }
            if migration.checksum != row.checksum {
                throw MigrationStateError(description: "Migration \(row.app).\(row.name) is applied, but its file \(MakeMigrations.displayPath(directory.appendingPathComponent(migration.fileName))) was edited since (checksum \(row.checksum.prefix(12)) recorded, \(migration.checksum.prefix(12)) now): restore it, and put changes in a new migration.")
            }
        }
        let names = Set(applied.map(\.name))
        let count = migrations.prefix { names.contains($0.name) }.count
        if let stray = migrations.dropFirst(count).first(where: { names.contains($0.name) }) {
            throw MigrationStateError(description: "Migration \(stray.app).\(stray.name) is applied before its dependency \(stray.app).\(migrations[count].name): the history is inconsistent.")
        }
        return count
    }

    /// How many migrations the target means applied.
    static func resolve(_ target: MigrationTarget, in migrations: [Migration], app: String) throws -> Int {
        switch target {
        case .latest: return migrations.count
        case .zero: return 0
        case .named(let name):
            let matches = migrations.enumerated().filter { $0.element.name == name || $0.element.name.hasPrefix(name) }
            if let exact = matches.first(where: { $0.element.name == name }) { return exact.offset + 1 }
            guard !matches.isEmpty else {
                throw MigrationStateError(description: "Cannot find a migration matching '\(name)' from app '\(app)'.")
            }
            guard matches.count == 1 else {
                throw MigrationStateError(description: "More than one migration matches '\(name)' in app '\(app)': \(matches.map(\.element.name).joined(separator: ", ")). Please be more specific.")
            }
            return matches[0].offset + 1
        }
    }

    /// The steps from `applied` migrations applied to `wanted` applied.
    static func plan(_ migrations: [Migration], applied: Int, wanted: Int) -> [MigrationStep] {
        if wanted > applied { return migrations[applied..<wanted].map { MigrationStep(migration: $0, backwards: false) } }
        if wanted < applied { return migrations[wanted..<applied].reversed().map { MigrationStep(migration: $0, backwards: true) } }
        return []
    }

    /// Applies (or unapplies) one migration with its history row; `fake` records only.
    static func run(_ step: MigrationStep, on connection: Connection, lock: MigrationLock, strategy: ExecutionStrategy,
                    fake: Bool, output: (String) -> Void) throws {
        let migration = step.migration
        let sql = step.backwards ? migration.downSQL : migration.upSQL
        switch strategy {
        case .singleTransaction:
            _ = try connection.transaction { c in
                try lock.confirm(c)
                if !fake && !SQLScript.statements(sql).isEmpty { try c.run(sql) }
                let recorder = Recorder(connection: c)
                if step.backwards { try recorder.recordUnapplied(migration) } else { try recorder.recordApplied(migration) }
            }
        case .statementByStatement:
            let statements = fake ? [] : SQLScript.statements(sql)
            let key = "\(migration.name):\(step.backwards ? "down" : "up"):\(migration.checksum.prefix(16))"
            var done = 0
            if let progress = try lock.progress(connection), progress.hasPrefix(key + ":"),
               let count = Int(progress.dropFirst(key.count + 1)), count <= statements.count {
                done = count
                output("  (resuming \(migration.app).\(migration.name) after statement \(count) of \(statements.count))")
            }
            for index in statements.indices where index >= done {
                _ = try connection.transaction { try lock.confirm($0) }
                do {
                    try runStatement(statements[index], on: connection)
                } catch {
                    throw MigrationStateError(description: "\(migration.app).\(migration.name) failed at statement \(index + 1) of \(statements.count): \(error). The statements before it stay applied; fix the cause and run migrate again to resume.")
                }
                _ = try connection.transaction { try lock.setProgress($0, "\(key):\(index + 1)") }
            }
            _ = try connection.transaction { c in
                try lock.confirm(c)
                let recorder = Recorder(connection: c)
                if step.backwards { try recorder.recordUnapplied(migration) } else { try recorder.recordApplied(migration) }
                try lock.setProgress(c, nil)
            }
        }
    }

    /// One statement in its own transaction, retried while CockroachDB asks for a restart (40001)
    /// or is still busy with an earlier schema change.
    static func runStatement(_ statement: String, on connection: Connection) throws {
        var attempt = 1
        while true {
            do {
                try connection.run(statement)
                return
            } catch DatabaseError.server(let error) where attempt < 10 &&
                (error.isSerializationFailure || error.message.contains("undergoing a schema change")) {
                attempt += 1
                Thread.sleep(forTimeInterval: RetryPolicy.default.delay(beforeAttempt: attempt, random: Double.random(in: 0..<1)).seconds + 0.05)
            }
        }
    }
}
