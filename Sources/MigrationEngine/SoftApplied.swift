import Database

/// `migrate --fake-initial` (Django's `MigrationExecutor.detect_soft_applied`): whether an initial
/// migration's tables are already there, so that it can be recorded without running it.
///
/// Django records the migration when every table its CreateModel operations make exists, and
/// otherwise runs it (and fails on the first table that exists). Here the answer is one of three,
/// decided before anything is changed: none of the tables exist (run it), all exist with the
/// columns the migration creates (record it), or anything between (refuse, naming what differs).
/// Differences that a table built by Django has and that `manage sqlalign` can mend (integer
/// ids, foreign keys without ON DELETE CASCADE, indexes under other names) do not stop it.
enum SoftApplied {
    enum Verdict: Equatable {
        case notApplied
        case applied
        case contradicted([String])
    }

    static func check(_ migration: Migration, on connection: Connection) throws -> Verdict {
        guard migration.operations.contains(where: { if case .createModel = $0 { true } else { false } }) else {
            return .notApplied
        }
        let state = try MigrationLoader.replay([migration], appLabel: migration.app)
        let tables = Set(TableLayout(state).tables.values.map(\.name))
        let differences = try SchemaInspector.drift(connection, expected: state, tables: tables)
        let missing = Set(differences.filter { $0.kind == .tableMissing }.map(\.table))
        if missing == tables { return .notApplied }
        if !missing.isEmpty {
            return .contradicted([
                "tables \(tables.subtracting(missing).sorted().joined(separator: ", ")) exist, but \(missing.sorted().joined(separator: ", ")) do not"
            ])
        }
        let contradictions = differences.filter(\.contradictsInitialMigration).map(\.description)
        return contradictions.isEmpty ? .applied : .contradicted(contradictions)
    }
}
