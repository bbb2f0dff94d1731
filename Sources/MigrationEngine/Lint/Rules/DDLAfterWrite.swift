/// A schema change after an INSERT/UPDATE/DELETE in the same migration.
struct DDLAfterWrite: LintCheck {
    static let rule = LintRule(
        id: "ddl-after-write", severity: .error,
        summary: "a schema change after an INSERT/UPDATE/DELETE in the same migration",
        fix: "put the data change in a migration of its own (CockroachDB refuses a schema change after a write in one transaction, and PostgreSQL runs the migration as one)",
        checksDownPart: false)

    private var firstWrite: LintStatement?

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        if s.isSchemaChange, let write = firstWrite {
            context.report(Self.rule, "schema change after the write at line \(write.line) (\(write.tokens.first?.text.uppercased() ?? "")): CockroachDB refuses a schema change that follows a write in one transaction")
        }
        if s.isWrite && firstWrite == nil { firstWrite = s }
    }
}
