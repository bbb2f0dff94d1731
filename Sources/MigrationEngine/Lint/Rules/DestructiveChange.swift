/// A dropped table or column, `TRUNCATE`, or a narrowed type.
struct DestructiveChange: LintCheck {
    static let rule = LintRule(
        id: "destructive-change", severity: .error,
        summary: "a dropped table or column, TRUNCATE, or a narrowed type (shorter VARCHAR, TEXT to VARCHAR, BIGINT to INT, smaller DECIMAL)",
        fix: "make sure nothing reads it and the data is not needed (or is copied), then mark it as meant: a line \"-- lint: allow destructive-change\" right before the statement",
        checksDownPart: false)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        if s.verb == "DROP", let what = s.tokens.dropFirst().first?.keyword, ["TABLE", "SCHEMA", "DATABASE"].contains(what) {
            var i = 2
            if s.find(["IF", "EXISTS"], from: i) == i { i += 2 }
            let names = LintSchema.splitAtCommas(s.tokens[i...]).compactMap { LintSchema.qualifiedName(Array($0), at: 0)?.0 }
            context.report(Self.rule, "drops \(what.lowercased()) \(names.map { "\"\($0)\"" }.joined(separator: ", ")) and all its data")
        }
        if s.verb == "TRUNCATE" { context.report(Self.rule, "TRUNCATE deletes every row") }
        guard let (table, actions) = s.alterTableActions else { return }
        for action in actions {
            switch action {
            case .dropColumn(let name):
                context.report(Self.rule, "drops column \"\(table)\".\"\(name)\" and its data")
            case .alterColumnType(let column, let newType):
                if let oldType = context.schema.tables[table]?.columns[column], oldType.isNarrowed(to: newType) {
                    context.report(Self.rule, "narrows \"\(table)\".\"\(column)\" from \(oldType) to \(newType): longer or larger values fail or are lost")
                }
            default:
                break
            }
        }
    }
}
