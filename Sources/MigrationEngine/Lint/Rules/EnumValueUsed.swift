/// An enum value added (`ALTER TYPE ... ADD VALUE`) and used in the same migration.
struct EnumValueUsed: LintCheck {
    static let rule = LintRule(
        id: "enum-value-used", severity: .error,
        summary: "an enum value added (ALTER TYPE ... ADD VALUE) and used in the same migration",
        fix: "use the new value in a later migration: a new enum value cannot be used in the transaction that added it",
        checksDownPart: true)

    /// The values added so far, with their type and line.
    private var added: [String: (type: String, line: Int)] = [:]

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        if s.starts(with: ["ALTER", "TYPE"]), let add = s.find(["ADD", "VALUE"]),
           let value = s.tokens[(add + 2)...].first(where: { $0.kind == .string }) {
            added[value.text] = (LintSchema.qualifiedName(s.tokens, at: 2)?.0 ?? "?", s.line)
            return
        }
        for token in s.tokens where token.kind == .string {
            guard let enumValue = added[token.text] else { continue }
            context.report(Self.rule, "uses '\(token.text)', added to enum \(enumValue.type) at line \(enumValue.line) of this migration: a new enum value cannot be used in the transaction that added it")
            return
        }
    }
}
