/// How bad a lint finding is: an error fails `manage lint --check`; a warning fails it only with
/// `--strict`.
public enum LintSeverity: String, Sendable, Comparable {
    case warning
    case error

    public static func < (a: LintSeverity, b: LintSeverity) -> Bool { a == .warning && b == .error }
}

/// One rule of ``MigrationLinter``: an id (what a `-- lint: allow <id>` comment names), a
/// severity, what it catches and how to fix it.
public struct LintRule: Sendable, Hashable {
    public var id: String
    public var severity: LintSeverity
    /// What the rule catches, one line (for `manage lint --rules` and the README).
    public var summary: String
    /// How to fix a finding (printed under it).
    public var fix: String

    /// Whether the rule also runs on the down part. The down part undoes the up part, so dropping
    /// what the up part created and changing types back are expected there: only the rules about
    /// SQL that fails or misbehaves on CockroachDB run on it.
    public var checksDownPart: Bool

    public static func == (a: LintRule, b: LintRule) -> Bool { a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

extension LintRule {
    public static let schemaChangesInTransaction = LintRule(
        id: "schema-changes-in-transaction", severity: .error,
        summary: "more than one schema change in one transaction: a BEGIN ... COMMIT block with several, an ALTER TABLE with several actions, or a DO block with several",
        fix: "one schema change per statement and no BEGIN/COMMIT: on CockroachDB the executor runs each statement in its own implicit transaction and records progress after each, which is only safe with one schema change per statement",
        checksDownPart: true)
    public static let explicitTransaction = LintRule(
        id: "explicit-transaction", severity: .error,
        summary: "BEGIN / START TRANSACTION / COMMIT / ROLLBACK / SAVEPOINT in a migration",
        fix: "remove it: migrate owns the transactions (one per migration on PostgreSQL, one per statement on CockroachDB); a COMMIT in the file would commit half a migration and break the history and resume",
        checksDownPart: true)
    public static let ddlAfterWrite = LintRule(
        id: "ddl-after-write", severity: .error,
        summary: "a schema change after an INSERT/UPDATE/DELETE in the same migration",
        fix: "put the data change in a migration of its own (CockroachDB refuses a schema change after a write in one transaction, and PostgreSQL runs the migration as one)",
        checksDownPart: false)
    public static let alterIndexedColumnType = LintRule(
        id: "alter-indexed-column-type", severity: .error,
        summary: "ALTER COLUMN ... TYPE on a column that is indexed, unique, a primary key or a foreign key",
        fix: "add a new column of the new type, copy the data (in a later migration), move the index/constraint to it, then drop the old column",
        checksDownPart: false)
    public static let alterColumnType = LintRule(
        id: "alter-column-type", severity: .warning,
        summary: "ALTER COLUMN ... TYPE (CockroachDB supports only some type changes in place; others rewrite the table)",
        fix: "prefer add column / copy / drop column; if the change only widens the type (e.g. VARCHAR(50) to VARCHAR(100)), mark it with -- lint: allow alter-column-type",
        checksDownPart: false)
    public static let primaryKeyChange = LintRule(
        id: "primary-key-change", severity: .error,
        summary: "a primary key added, dropped or altered on an existing table",
        fix: "create a new table with the new key and copy the rows, or mark it as meant with -- lint: allow primary-key-change after checking the CockroachDB docs for ALTER PRIMARY KEY",
        checksDownPart: false)
    public static let int32Id = LintRule(
        id: "int32-id", severity: .error,
        summary: "SERIAL / INT4 / INTEGER / SMALLINT for an id (a primary key, a column named id or *_id, or a REFERENCES column)",
        fix: "use BIGSERIAL for a generated id and BIGINT for a column that refers to one: CockroachDB ids from unique_rowid() need 64 bits",
        checksDownPart: false)
    public static let enumValueUsed = LintRule(
        id: "enum-value-used", severity: .error,
        summary: "an enum value added (ALTER TYPE ... ADD VALUE) and used in the same migration",
        fix: "use the new value in a later migration: a new enum value cannot be used in the transaction that added it",
        checksDownPart: true)
    public static let deferrable = LintRule(
        id: "deferrable", severity: .error,
        summary: "DEFERRABLE / INITIALLY DEFERRED constraints or SET CONSTRAINTS",
        fix: "remove it: CockroachDB rejects deferrable constraints; insert parents before children instead",
        checksDownPart: true)
    public static let advisoryLock = LintRule(
        id: "advisory-lock", severity: .error,
        summary: "pg_advisory_* / pg_try_advisory_* lock functions",
        fix: "remove it: CockroachDB has no advisory locks (42883); migrate already holds a lease lock row, and application code can lock a row with SELECT ... FOR UPDATE",
        checksDownPart: true)
    public static let concurrentIndex = LintRule(
        id: "concurrent-index", severity: .error,
        summary: "CREATE/DROP INDEX CONCURRENTLY (or REINDEX CONCURRENTLY) in a migration, which runs in a transaction on PostgreSQL",
        fix: "drop CONCURRENTLY: PostgreSQL refuses it inside a transaction, and CockroachDB builds indexes online anyway",
        checksDownPart: true)
    public static let destructiveChange = LintRule(
        id: "destructive-change", severity: .error,
        summary: "a dropped table or column, TRUNCATE, or a narrowed type (shorter VARCHAR, TEXT to VARCHAR, BIGINT to INT, smaller DECIMAL)",
        fix: "make sure nothing reads it and the data is not needed (or is copied), then mark it as meant: a line \"-- lint: allow destructive-change\" right before the statement",
        checksDownPart: false)
    public static let unknownDirective = LintRule(
        id: "lint-directive", severity: .warning,
        summary: "a -- lint: comment that names no known rule, or is malformed",
        fix: "write \"-- lint: allow <rule-id>[, <rule-id>...]\" with ids from `manage lint --rules`",
        checksDownPart: true)
    public static let unreadableFile = LintRule(
        id: "unreadable-file", severity: .error,
        summary: "the file is not a migration file migrate can read",
        fix: "fix the file format (see the header of a generated migration)",
        checksDownPart: true)

    /// Every rule, in the order `manage lint --rules` lists them.
    public static let all: [LintRule] = [
        .schemaChangesInTransaction, .explicitTransaction, .ddlAfterWrite, .alterIndexedColumnType, .alterColumnType,
        .primaryKeyChange, .int32Id, .enumValueUsed, .deferrable, .advisoryLock, .concurrentIndex, .destructiveChange,
        .unknownDirective, .unreadableFile,
    ]

    public static func named(_ id: String) -> LintRule? { all.first { $0.id == id } }
}

/// One problem the linter found: the file, the statement (line and first words), the rule, what
/// is wrong and the fix.
public struct LintFinding: Sendable, Equatable, CustomStringConvertible {
    public var rule: LintRule
    public var file: String
    /// 1-based line of the statement's first word in the file.
    public var line: Int
    /// The statement's first words, on one line.
    public var statement: String
    public var message: String
    public var severity: LintSeverity { rule.severity }

    /// `path:line: error [rule] STATEMENT...: message` then `    fix: ...`.
    public var description: String {
        "\(file):\(line): \(severity.rawValue) [\(rule.id)] \(statement): \(message)\n    fix: \(rule.fix)"
    }
}
