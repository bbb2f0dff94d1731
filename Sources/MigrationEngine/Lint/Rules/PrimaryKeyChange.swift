/// A primary key added, dropped or altered on an existing table.
struct PrimaryKeyChange: LintCheck {
    static let rule = LintRule(
        id: "primary-key-change", severity: .error,
        summary: "a primary key added, dropped or altered on an existing table",
        fix: "create a new table with the new key and copy the rows, or mark it as meant with -- lint: allow primary-key-change after checking the CockroachDB docs for ALTER PRIMARY KEY",
        checksDownPart: false)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        if let (table, actions) = s.alterTableActions {
            let facts = context.schema.tables[table]
            for action in actions {
                switch action {
                case .addConstraint(primaryKey: true): context.report(Self.rule, "adds a primary key to \"\(table)\"")
                case .addColumn(let column) where column.primaryKey: context.report(Self.rule, "adds a primary key column to \"\(table)\"")
                case .dropConstraint(let name?) where name == facts?.primaryKeyConstraint || name.hasSuffix("_pkey"):
                    context.report(Self.rule, "drops the primary key \"\(name)\" of \"\(table)\"")
                case .alterPrimaryKey: context.report(Self.rule, "changes the primary key of \"\(table)\"")
                default: break
                }
            }
        }
        // CockroachDB's ALTER TABLE ... ALTER PRIMARY KEY USING COLUMNS (...), when it is not
        // an action read above.
        if s.starts(with: ["ALTER", "TABLE"]), s.find(["ALTER", "PRIMARY", "KEY"]) != nil,
           !(s.alterTableActions?.actions.contains(.alterPrimaryKey) ?? false) {
            context.report(Self.rule, "changes the primary key")
        }
    }
}
