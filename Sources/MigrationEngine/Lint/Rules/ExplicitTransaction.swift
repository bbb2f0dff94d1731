/// `BEGIN` / `START TRANSACTION` / `COMMIT` / `ROLLBACK` / `SAVEPOINT` in a migration.
struct ExplicitTransaction: LintCheck {
    static let rule = LintRule(
        id: "explicit-transaction", severity: .error,
        summary: "BEGIN / START TRANSACTION / COMMIT / ROLLBACK / SAVEPOINT in a migration",
        fix: "remove it: migrate owns the transactions (one per migration on PostgreSQL, one per statement on CockroachDB); a COMMIT in the file would commit half a migration and break the history and resume",
        checksDownPart: true)

    /// Whether a BEGIN of the file's own is open.
    private var open = false

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        switch s.transactionControl {
        case .start?, .savepoint?:
            context.report(Self.rule, "\(s.verb) in a migration: migrate runs each migration in a transaction of its own (PostgreSQL) or each statement in one (CockroachDB)")
            if s.transactionControl == .start { open = true }
        case .end?, .release?:
            if !open { context.report(Self.rule, "\(s.verb) in a migration: it would end migrate's own transaction midway") }
            if s.transactionControl == .end { open = false }
        case nil:
            break
        }
    }
}
