/// More than one schema change in one transaction: a `BEGIN ... COMMIT` block with several, an
/// `ALTER TABLE` with several actions, or a `DO` block with several.
struct SchemaChangesInTransaction: LintCheck {
    static let rule = LintRule(
        id: "schema-changes-in-transaction", severity: .error,
        summary: "more than one schema change in one transaction: a BEGIN ... COMMIT block with several, an ALTER TABLE with several actions, or a DO block with several",
        fix: "one schema change per statement and no BEGIN/COMMIT: on CockroachDB the executor runs each statement in its own implicit transaction and records progress after each, which is only safe with one schema change per statement",
        checksDownPart: true)

    /// The open BEGIN block: its schema changes so far, and whether it was reported.
    private var block: (schemaChanges: Int, reported: Bool)?

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        switch s.transactionControl {
        case .start?: block = (0, false)
        case .end?: block = nil
        default: break
        }
        if s.isSchemaChange, var open = block {
            open.schemaChanges += 1
            if open.schemaChanges >= 2 && !open.reported {
                context.report(Self.rule, "a second schema change in the same BEGIN ... COMMIT block: CockroachDB does not apply several schema changes in one transaction atomically and can fail at COMMIT with part of them applied")
                open.reported = true
            }
            block = open
        }
        if s.verb == "DO", let body = s.tokens.first(where: { $0.kind == .dollarString || $0.kind == .string }) {
            let count = body.text.uppercased().split(whereSeparator: { !$0.isLetter && $0 != "_" })
                .filter { ["CREATE", "ALTER", "DROP"].contains($0) }.count
            if count >= 2 { context.report(Self.rule, "a DO block with \(count) schema changes: they run in one transaction") }
        }
        if let (table, actions) = LintSchema.alterTable(s), actions.count >= 2 {
            context.report(Self.rule, "ALTER TABLE \"\(table)\" with \(actions.count) actions: one schema change per statement, so that each is its own transaction and its progress is recorded")
        }
    }
}
