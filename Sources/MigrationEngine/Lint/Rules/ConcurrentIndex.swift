/// `CREATE` / `DROP INDEX CONCURRENTLY` or `REINDEX ... CONCURRENTLY`, which PostgreSQL refuses
/// in the transaction a migration runs in.
struct ConcurrentIndex: LintCheck {
    static let rule = LintRule(
        id: "concurrent-index", severity: .error,
        summary: "CREATE/DROP INDEX CONCURRENTLY (or REINDEX CONCURRENTLY) in a migration, which runs in a transaction on PostgreSQL",
        fix: "drop CONCURRENTLY: PostgreSQL refuses it inside a transaction, and CockroachDB builds indexes online anyway",
        checksDownPart: true)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        let keywords = s.keywords
        if ["CREATE", "DROP", "REINDEX"].contains(s.verb), keywords.contains("CONCURRENTLY"), keywords.contains("INDEX") {
            context.report(Self.rule, "INDEX ... CONCURRENTLY cannot run inside a transaction block (PostgreSQL 25001), and migrate applies a migration in one")
        }
    }
}
