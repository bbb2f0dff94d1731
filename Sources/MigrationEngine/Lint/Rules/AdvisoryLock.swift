/// `pg_advisory_*` / `pg_try_advisory_*` lock functions, called or inside a function body.
struct AdvisoryLock: LintCheck {
    static let rule = LintRule(
        id: "advisory-lock", severity: .error,
        summary: "pg_advisory_* / pg_try_advisory_* lock functions",
        fix: "remove it: CockroachDB has no advisory locks (42883); migrate already holds a lease lock row, and application code can lock a row with SELECT ... FOR UPDATE",
        checksDownPart: true)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        let call = s.tokens.first { t in
            let text = t.text.lowercased()
            switch t.kind {
            case .word: return text.hasPrefix("pg_advisory") || text.hasPrefix("pg_try_advisory")
            case .dollarString, .string: return text.contains("pg_advisory") || text.contains("pg_try_advisory")
            default: return false
            }
        }
        guard let call else { return }
        let name = call.kind == .word ? call.text : "pg_advisory_*"
        context.report(Self.rule, "\(name): CockroachDB has no advisory lock functions (error 42883)")
    }
}
