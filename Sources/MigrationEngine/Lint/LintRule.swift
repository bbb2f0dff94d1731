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

/// The rules by name; each is defined with its check, in `Rules/`.
extension LintRule {
    public static let schemaChangesInTransaction = SchemaChangesInTransaction.rule
    public static let explicitTransaction = ExplicitTransaction.rule
    public static let ddlAfterWrite = DDLAfterWrite.rule
    public static let alterIndexedColumnType = AlterIndexedColumnType.rule
    public static let alterColumnType = AlterColumnType.rule
    public static let primaryKeyChange = PrimaryKeyChange.rule
    public static let int32Id = Int32Id.rule
    public static let enumValueUsed = EnumValueUsed.rule
    public static let deferrable = Deferrable.rule
    public static let advisoryLock = AdvisoryLock.rule
    public static let concurrentIndex = ConcurrentIndex.rule
    public static let destructiveChange = DestructiveChange.rule
    public static let unknownDirective = UnknownDirective.rule
    public static let unreadableFile = UnreadableFile.rule
    public static let jsonbBtreeIndex = JSONBIndex.rule

    /// Every rule, in the order `manage lint --rules` lists them.
    public static let all: [LintRule] = [
        .schemaChangesInTransaction, .explicitTransaction, .ddlAfterWrite, .alterIndexedColumnType, .alterColumnType,
        .primaryKeyChange, .int32Id, .jsonbBtreeIndex, .enumValueUsed, .deferrable, .advisoryLock, .concurrentIndex,
        .destructiveChange, .unknownDirective, .unreadableFile,
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
