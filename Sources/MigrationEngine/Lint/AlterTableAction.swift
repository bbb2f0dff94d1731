/// One action of an `ALTER TABLE`, as the rules read it.
enum AlterTableAction: Equatable {
    /// `ADD [COLUMN] [IF NOT EXISTS] name type ...`
    case addColumn(LintSchema.ColumnDefinition)
    /// `ADD CONSTRAINT ...`, `ADD PRIMARY KEY ...`, `ADD UNIQUE ...`, ...
    case addConstraint(primaryKey: Bool)
    /// `DROP CONSTRAINT [IF EXISTS] name`
    case dropConstraint(String?)
    /// `DROP [COLUMN] [IF EXISTS] name`
    case dropColumn(String)
    /// CockroachDB's `ALTER PRIMARY KEY USING COLUMNS (...)`
    case alterPrimaryKey
    /// `ALTER [COLUMN] name [SET DATA] TYPE type`
    case alterColumnType(column: String, type: LintSchema.ColumnType)
    case other

    init(_ a: [SQLToken]) {
        func keyword(_ i: Int) -> String? { i < a.count ? a[i].keyword : nil }
        switch keyword(0) {
        case "ADD":
            var i = 1
            if keyword(i) == "COLUMN" { i += 1 }
            if a.count > i + 2, keyword(i) == "IF", keyword(i + 1) == "NOT" { i += 3 }
            if let head = keyword(i), LintSchema.tableConstraintStarts.contains(head) {
                self = .addConstraint(primaryKey: a.contains { $0.keyword == "PRIMARY" })
            } else if i < a.count, let column = LintSchema.columnDefinition(a[i...]) {
                self = .addColumn(column)
            } else {
                self = .other
            }
        case "DROP":
            self = Self.drop(a)
        case "ALTER":
            if keyword(1) == "PRIMARY" { self = .alterPrimaryKey }
            else if let (column, type) = LintSchema.alterColumnType(a) { self = .alterColumnType(column: column, type: type) }
            else { self = .other }
        default:
            self = .other
        }
    }

    private static func drop(_ a: [SQLToken]) -> AlterTableAction {
        func keyword(_ i: Int) -> String? { i < a.count ? a[i].keyword : nil }
        if keyword(1) == "CONSTRAINT" {
            var i = 2
            if a.count > i + 1, keyword(i) == "IF", keyword(i + 1) == "EXISTS" { i += 2 }
            return .dropConstraint(i < a.count ? a[i].name : nil)
        }
        if let k = keyword(1), ["DEFAULT", "NOT", "IDENTITY", "EXPRESSION"].contains(k) { return .other }
        var i = 1
        if keyword(i) == "COLUMN" { i += 1 }
        if a.count > i + 1, keyword(i) == "IF", keyword(i + 1) == "EXISTS" { i += 2 }
        guard i < a.count, let name = a[i].name else { return .other }
        return .dropColumn(name)
    }
}

extension LintStatement {
    /// An `ALTER TABLE`'s table and actions, or nil for any other statement.
    var alterTableActions: (table: String, actions: [AlterTableAction])? {
        guard let (table, actions) = LintSchema.alterTable(self) else { return nil }
        return (table, actions.map { AlterTableAction(Array($0)) })
    }
}
