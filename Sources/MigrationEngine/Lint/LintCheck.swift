/// The check of one lint rule: it looks at the statements of one part of a migration file in
/// order, keeping what it needs to remember between them, and reports what is wrong. The rule
/// itself (id, severity, summary, fix) is `rule`; each check is one file in `Rules/`, listed in
/// `MigrationLinter.checks`.
protocol LintCheck: Sendable {
    static var rule: LintRule { get }
    init()
    /// Looks at one statement; `context` knows the schema before it and takes the reports.
    mutating func check(_ s: LintStatement, _ context: inout LintContext)
}

/// What a check sees beside the statement: the schema the migrations so far made (before the
/// statement), and where its reports go.
struct LintContext {
    let schema: LintSchema
    /// Reports, in order; the pass drops those its part or a directive silences.
    private(set) var reports: [(rule: LintRule, message: String)] = []
    /// Reports no directive silences, in either part (directives that cannot be read).
    private(set) var unsilenceable: [(rule: LintRule, line: Int, statement: String, message: String)] = []

    init(schema: LintSchema) { self.schema = schema }

    mutating func report(_ rule: LintRule, _ message: String) { reports.append((rule, message)) }

    mutating func reportUnsilenceable(_ rule: LintRule, line: Int, statement: String, message: String) {
        unsilenceable.append((rule, line, statement, message))
    }
}

// MARK: - What several rules ask of a statement

extension LintStatement {
    static let schemaChangeVerbs: Set<String> = ["CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT", "RENAME"]
    static let writeVerbs: Set<String> = ["INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE", "COPY"]

    /// The first keyword, upper case ("" when the statement starts with something else).
    var verb: String { tokens.first?.keyword ?? "" }

    var isSchemaChange: Bool { Self.schemaChangeVerbs.contains(verb) }

    var isWrite: Bool {
        if Self.writeVerbs.contains(verb) { return true }
        return verb == "WITH" && keywords.contains { $0.map(["INSERT", "UPDATE", "DELETE"].contains) ?? false }
    }

    /// What the statement does to a transaction, if anything.
    enum TransactionControl: Equatable {
        /// BEGIN, START TRANSACTION.
        case start
        case savepoint
        /// COMMIT, END, ROLLBACK, ABORT.
        case end
        /// RELEASE [SAVEPOINT].
        case release
    }

    var transactionControl: TransactionControl? {
        switch verb {
        case "BEGIN": return .start
        case "START": return tokens.dropFirst().first?.keyword == "TRANSACTION" ? .start : nil
        case "SAVEPOINT": return .savepoint
        case "COMMIT", "END", "ROLLBACK", "ABORT": return .end
        case "RELEASE": return .release
        default: return nil
        }
    }

    /// A column named like an id: `id` or `*_id`.
    static func isIdLike(_ name: String) -> Bool { name == "id" || name.hasSuffix("_id") }
}
