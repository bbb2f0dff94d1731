/// `DEFERRABLE` / `INITIALLY DEFERRED` constraints, or `SET CONSTRAINTS`.
struct Deferrable: LintCheck {
    static let rule = LintRule(
        id: "deferrable", severity: .error,
        summary: "DEFERRABLE / INITIALLY DEFERRED constraints or SET CONSTRAINTS",
        fix: "remove it: CockroachDB rejects deferrable constraints; insert parents before children instead",
        checksDownPart: true)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        let keywords = s.keywords
        for (i, k) in keywords.enumerated() {
            if k == "DEFERRABLE" && (i == 0 || keywords[i - 1] != "NOT") {
                context.report(Self.rule, "DEFERRABLE constraint: CockroachDB rejects it")
                break
            }
            if k == "INITIALLY" && i + 1 < keywords.count && keywords[i + 1] == "DEFERRED" {
                context.report(Self.rule, "INITIALLY DEFERRED constraint: CockroachDB rejects it")
                break
            }
        }
        if s.starts(with: ["SET", "CONSTRAINTS"]) {
            context.report(Self.rule, "SET CONSTRAINTS: deferred constraint checking does not exist on CockroachDB")
        }
    }
}
