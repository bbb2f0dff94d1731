import Database

/// What a schema change leaves behind that the live schema can show: after an ambiguous
/// outcome (40003, a connection lost at commit, a process killed between a statement and its
/// progress record), the executor asks whether the effect is there before running the
/// statement again. Introspection through `information_schema` (and `pg_indexes` for index
/// names, which CockroachDB also has), as `SchemaInspector` does.
///
/// Recognised: `CREATE TABLE`, `CREATE [UNIQUE] INDEX`, `DROP TABLE` (one table), `DROP INDEX`,
/// and single-action `ALTER TABLE ... ADD [COLUMN]`, `ADD CONSTRAINT`, `DROP [COLUMN]`,
/// `DROP CONSTRAINT`, `RENAME TO`, `RENAME [COLUMN] ... TO`, and `ALTER INDEX ... RENAME TO`.
indirect enum StatementEffect: Equatable, CustomStringConvertible {
    case table(String, exists: Bool)
    case column(table: String, column: String, exists: Bool)
    case index(String, exists: Bool)
    case constraint(String, exists: Bool)
    case all([StatementEffect])

    /// The effect of `sql`, when it is a schema change this knows how to check.
    init?(_ sql: String) {
        let t = SQLLexer.tokens(sql).filter { $0.kind != .comment && !$0.isSymbol(";") }
        let s = LintStatement(tokens: t, line: 1, allowed: [])
        func name(at i: Int) -> String? { LintSchema.qualifiedName(t, at: i)?.0 }
        func skip(_ words: [String], at i: Int) -> Int { s.find(words, from: i) == i ? i + words.count : i }
        guard let first = t.first?.keyword else { return nil }
        if first == "CREATE", let indexAt = s.find(["INDEX"]), indexAt <= 2 {
            var i = indexAt + 1
            i = skip(["CONCURRENTLY"], at: i)
            i = skip(["IF", "NOT", "EXISTS"], at: i)
            guard i < t.count, t[i].keyword != "ON", let index = name(at: i) else { return nil }
            self = .index(index, exists: true)
        } else if first == "CREATE", let tableAt = s.find(["TABLE"]), tableAt <= 3 {
            guard let (table, _) = LintSchema.createTable(s) else { return nil }
            self = .table(table, exists: true)
        } else if s.starts(with: ["DROP", "TABLE"]) {
            let i = skip(["IF", "EXISTS"], at: 2)
            guard let (table, after) = LintSchema.qualifiedName(t, at: i), after == t.count || t[after].keyword.map({ ["CASCADE", "RESTRICT"].contains($0) }) == true else { return nil }
            self = .table(table, exists: false)
        } else if s.starts(with: ["DROP", "INDEX"]) {
            let i = skip(["IF", "EXISTS"], at: skip(["CONCURRENTLY"], at: 2))
            guard let (index, after) = LintSchema.qualifiedName(t, at: i), after == t.count || t[after].keyword.map({ ["CASCADE", "RESTRICT"].contains($0) }) == true else { return nil }
            self = .index(index, exists: false)
        } else if s.starts(with: ["ALTER", "INDEX"]), let old = name(at: skip(["IF", "EXISTS"], at: 2)), let to = s.find(["RENAME", "TO"]), to + 2 < t.count, let new = t[to + 2].name {
            self = .all([.index(new, exists: true), .index(old, exists: false)])
        } else if let (table, actions) = LintSchema.alterTable(s), actions.count == 1 {
            let a = Array(actions[0])
            func at(_ i: Int) -> String? { i < a.count ? a[i].keyword : nil }
            var i = 1
            switch at(0) {
            case "ADD":
                if at(i) == "CONSTRAINT", i + 1 < a.count, let constraint = a[i + 1].name {
                    self = .constraint(constraint, exists: true)
                    return
                }
                if at(i) == "COLUMN" { i += 1 }
                if at(i) == "IF" && at(i + 1) == "NOT" { i += 3 }
                guard i < a.count, let column = a[i].name, at(i).map(LintSchema.tableConstraintStarts.contains) != true else { return nil }
                self = .column(table: table, column: column, exists: true)
            case "DROP":
                if at(i) == "CONSTRAINT" {
                    i += 1
                    if at(i) == "IF" { i += 2 }
                    guard i < a.count, let constraint = a[i].name else { return nil }
                    self = .constraint(constraint, exists: false)
                    return
                }
                if at(i) == "COLUMN" { i += 1 }
                if at(i) == "IF" && at(i + 1) == "EXISTS" { i += 2 }
                guard i < a.count, let column = a[i].name, at(i).map(["DEFAULT", "NOT", "IDENTITY", "EXPRESSION"].contains) != true else { return nil }
                self = .column(table: table, column: column, exists: false)
            case "RENAME":
                if at(1) == "TO", a.count > 2, let new = a[2].name {
                    self = .all([.table(new, exists: true), .table(table, exists: false)])
                    return
                }
                if at(i) == "COLUMN" { i += 1 }
                if at(i) == "CONSTRAINT" { i += 1 }
                guard i + 2 < a.count, let old = a[i].name, at(i + 1) == "TO", let new = a[i + 2].name else { return nil }
                if a[1].keyword == "CONSTRAINT" {
                    self = .all([.constraint(new, exists: true), .constraint(old, exists: false)])
                } else {
                    self = .all([.column(table: table, column: new, exists: true), .column(table: table, column: old, exists: false)])
                }
            default:
                return nil
            }
        } else {
            return nil
        }
    }

    /// Whether the live schema shows the effect.
    func isPresent(_ connection: Connection) throws -> Bool {
        switch self {
        case .table(let name, let exists):
            return try Recorder.tableExists(connection, name) == exists
        case .column(let table, let column, let exists):
            let found = try !connection.execute("""
                SELECT 1 FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2
                """, [table, column]).isEmpty
            return found == exists
        case .index(let name, let exists):
            let found = try !connection.execute(
                "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1", [name]).isEmpty
            return found == exists
        case .constraint(let name, let exists):
            let found = try !connection.execute(
                "SELECT 1 FROM information_schema.table_constraints WHERE constraint_schema = current_schema() AND constraint_name = $1",
                [name]).isEmpty
            return found == exists
        case .all(let effects):
            return try effects.allSatisfy { try $0.isPresent(connection) }
        }
    }

    var description: String {
        switch self {
        case .table(let name, let exists): return "table \"\(name)\" \(exists ? "exists" : "is gone")"
        case .column(let table, let column, let exists): return "column \"\(table)\".\"\(column)\" \(exists ? "exists" : "is gone")"
        case .index(let name, let exists): return "index \"\(name)\" \(exists ? "exists" : "is gone")"
        case .constraint(let name, let exists): return "constraint \"\(name)\" \(exists ? "exists" : "is gone")"
        case .all(let effects): return effects.map(\.description).joined(separator: " and ")
        }
    }

    /// Whether a statement is a schema change (CREATE, ALTER, DROP, ...): those run alone in an
    /// implicit transaction; other statements run in one transaction with their progress record.
    static func isSchemaChange(_ sql: String) -> Bool {
        let first = SQLLexer.tokens(sql).first { $0.kind != .comment }?.keyword ?? ""
        return LintStatement.schemaChangeVerbs.contains(first) || ["GRANT", "REVOKE", "REINDEX", "VACUUM"].contains(first)
    }
}
