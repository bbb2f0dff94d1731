/// What the linter knows of the schema from the migrations before the one it lints: column
/// types, and which columns are indexed or keys. Built from their up parts' SQL (not from the
/// `-- operation:` headers, so hand-edited SQL counts), best effort: SQL it does not understand
/// teaches it nothing.
struct LintSchema {
    /// A column type, as far as the rules care.
    enum ColumnType: Equatable, CustomStringConvertible {
        case integer(bits: Int, serial: Bool)
        case varchar(Int?)
        case text
        case decimal(Int?, Int?)
        case other(String)

        var description: String {
            switch self {
            case .integer(let bits, let serial):
                switch (bits, serial) {
                case (16, false): return "SMALLINT"
                case (16, true): return "SMALLSERIAL"
                case (32, false): return "INTEGER"
                case (32, true): return "SERIAL"
                case (_, false): return "BIGINT"
                case (_, true): return "BIGSERIAL"
                }
            case .varchar(let n): return n.map { "VARCHAR(\($0))" } ?? "VARCHAR"
            case .text: return "TEXT"
            case .decimal(let p, let s): return p.map { "DECIMAL(\($0)\(s.map { ", \($0)" } ?? ""))" } ?? "DECIMAL"
            case .other(let text): return text
            }
        }

        /// Whether CockroachDB changes `self` into `new` in place, online, as it does a widening
        /// (a wider integer, a longer or unbounded `VARCHAR`, `VARCHAR` to `TEXT`). Any other
        /// change is its "general" type change: refused unless the session sets
        /// `enable_experimental_alter_column_type_general` (before v25.1), never inside an
        /// explicit transaction, never on an indexed column.
        func widensInPlace(to new: ColumnType) -> Bool {
            switch (self, new) {
            case (.integer(let a, _), .integer(let b, false)): return b >= a
            case (.varchar(let a), .varchar(let b)):
                guard let b else { return true }
                return a.map { b >= $0 } ?? false
            case (.varchar, .text), (.text, .text): return true
            default: return self == new
            }
        }

        /// Whether `self` → `new` can lose data or fail on existing values of the old type.
        func isNarrowed(to new: ColumnType) -> Bool {
            switch (self, new) {
            case (.integer(let a, _), .integer(let b, _)): return b < a
            case (.varchar(let a), .varchar(let b)):
                guard let b else { return false }
                return a.map { b < $0 } ?? true
            case (.text, .varchar(let b)): return b != nil
            case (.decimal(let p1, let s1), .decimal(let p2, let s2)):
                if let p1, let p2, p2 < p1 { return true }
                if p1 == nil, p2 != nil { return true }
                if let s1, let s2, s2 < s1 { return true }
                return false
            case (.varchar, .integer), (.text, .integer), (.decimal, .integer): return true
            default: return false
            }
        }
    }

    struct Table {
        var columns: [String: ColumnType] = [:]
        /// Columns in an index, a unique or primary key, or a foreign key.
        var indexed: Set<String> = []
        var primaryKey: Set<String> = []
        var primaryKeyConstraint: String?
    }

    var tables: [String: Table] = [:]
    /// Index name → (table, columns), for DROP INDEX bookkeeping.
    var indexes: [String: (table: String, columns: [String])] = [:]

    // MARK: - Parsing helpers shared with the rules

    /// Reads a type from tokens (stops at the end of the type).
    static func columnType(_ tokens: ArraySlice<SQLToken>) -> ColumnType {
        let words = tokens.compactMap(\.keyword)
        let numbers = tokens.filter { $0.kind == .number }.compactMap { Int($0.text) }
        guard let first = words.first else { return .other(tokens.map(\.text).joined(separator: " ")) }
        switch first {
        case "SMALLINT", "INT2": return .integer(bits: 16, serial: false)
        case "SMALLSERIAL", "SERIAL2": return .integer(bits: 16, serial: true)
        case "INT", "INTEGER", "INT4": return .integer(bits: 32, serial: false)
        case "SERIAL", "SERIAL4": return .integer(bits: 32, serial: true)
        case "BIGINT", "INT8", "INT64": return .integer(bits: 64, serial: false)
        case "BIGSERIAL", "SERIAL8": return .integer(bits: 64, serial: true)
        case "VARCHAR": return .varchar(numbers.first)
        case "CHARACTER", "CHAR":
            return words.dropFirst().first == "VARYING" ? .varchar(numbers.first) : .other(first + (numbers.first.map { "(\($0))" } ?? ""))
        case "STRING": return numbers.first.map { .varchar($0) } ?? .text
        case "TEXT": return .text
        case "DECIMAL", "NUMERIC", "DEC": return .decimal(numbers.first, numbers.dropFirst().first)
        default: return .other(words.joined(separator: " "))
        }
    }

    /// Column-constraint keywords that end a type in a column definition.
    static let constraintWords: Set<String> = [
        "NOT", "NULL", "PRIMARY", "REFERENCES", "DEFAULT", "UNIQUE", "CHECK", "CONSTRAINT", "COLLATE",
        "GENERATED", "AS", "ON", "USING", "FAMILY", "CREATE", "DEFERRABLE", "INITIALLY",
    ]

    /// A column definition: `name type [constraints]`.
    struct ColumnDefinition: Equatable {
        var name: String
        var type: ColumnType
        var primaryKey: Bool
        var unique: Bool
        var references: Bool
        var line: Int
    }

    static func columnDefinition(_ tokens: ArraySlice<SQLToken>) -> ColumnDefinition? {
        guard let first = tokens.first, let name = first.name else { return nil }
        var end = tokens.index(after: tokens.startIndex), depth = 0
        while end < tokens.endIndex {
            let t = tokens[end]
            if t.isSymbol("(") { depth += 1 } else if t.isSymbol(")") { depth -= 1 }
            if depth == 0, let k = t.keyword, constraintWords.contains(k) { break }
            end += 1
        }
        let type = columnType(tokens[tokens.index(after: tokens.startIndex)..<end])
        let rest = tokens[end...].compactMap(\.keyword)
        return ColumnDefinition(name: name, type: type, primaryKey: zip(rest, rest.dropFirst()).contains { $0 == "PRIMARY" && $1 == "KEY" },
                                unique: rest.contains("UNIQUE"), references: rest.contains("REFERENCES"), line: first.line)
    }

    /// Splits a token range at commas outside parentheses.
    static func splitAtCommas(_ tokens: ArraySlice<SQLToken>) -> [ArraySlice<SQLToken>] {
        var parts: [ArraySlice<SQLToken>] = []
        var depth = 0, start = tokens.startIndex
        for i in tokens.indices {
            if tokens[i].isSymbol("(") { depth += 1 } else if tokens[i].isSymbol(")") { depth -= 1 }
            else if depth == 0 && tokens[i].isSymbol(",") { parts.append(tokens[start..<i]); start = i + 1 }
        }
        if start < tokens.endIndex { parts.append(tokens[start..<tokens.endIndex]) }
        return parts.filter { !$0.isEmpty }
    }

    /// The names inside the first `( ... )` of a token range.
    static func parenthesizedNames(_ tokens: ArraySlice<SQLToken>) -> [String] {
        guard let open = tokens.firstIndex(where: { $0.isSymbol("(") }) else { return [] }
        var names: [String] = []
        for t in tokens[(open + 1)...] {
            if t.isSymbol(")") { break }
            if let n = t.name, t.keyword.map({ !["ASC", "DESC", "NULLS", "FIRST", "LAST"].contains($0) }) ?? true { names.append(n) }
        }
        return names
    }

    /// The (last part of a possibly qualified) name starting at `index`, and the index after it.
    static func qualifiedName(_ tokens: [SQLToken], at index: Int) -> (String, Int)? {
        var i = index
        guard i < tokens.count, var name = tokens[i].name else { return nil }
        i += 1
        while i + 1 < tokens.count, tokens[i].isSymbol("."), let part = tokens[i + 1].name { name = part; i += 2 }
        return (name, i)
    }

    /// `CREATE TABLE [IF NOT EXISTS] name ( elements )`: the name and the element token ranges.
    static func createTable(_ s: LintStatement) -> (table: String, elements: [ArraySlice<SQLToken>])? {
        let t = s.tokens
        guard t.first?.keyword == "CREATE", let tableIndex = t.prefix(4).firstIndex(where: { $0.keyword == "TABLE" }) else { return nil }
        var i = tableIndex + 1
        if s.find(["IF", "NOT", "EXISTS"], from: i) == i { i += 3 }
        guard let (name, after) = qualifiedName(t, at: i), after < t.count, t[after].isSymbol("(") else { return nil }
        var depth = 0, close = after
        for j in after..<t.count {
            if t[j].isSymbol("(") { depth += 1 } else if t[j].isSymbol(")") { depth -= 1; if depth == 0 { close = j; break } }
        }
        guard close > after else { return nil }
        return (name, splitAtCommas(t[(after + 1)..<close]))
    }

    /// `ALTER TABLE [IF EXISTS] [ONLY] name action, action...`: the name and the actions.
    static func alterTable(_ s: LintStatement) -> (table: String, actions: [ArraySlice<SQLToken>])? {
        guard s.starts(with: ["ALTER", "TABLE"]) else { return nil }
        var i = 2
        if s.find(["IF", "EXISTS"], from: i) == i { i += 2 }
        if s.tokens.count > i, s.tokens[i].keyword == "ONLY" { i += 1 }
        guard let (name, after) = qualifiedName(s.tokens, at: i) else { return nil }
        var start = after
        if start < s.tokens.count, s.tokens[start].isSymbol("*") { start += 1 }
        return (name, splitAtCommas(s.tokens[start...]))
    }

    static let tableConstraintStarts: Set<String> = ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE", "INDEX", "FAMILY"]

    // MARK: - Learning from a statement

    /// Learns what `s` does to the schema, when it is a statement that changes what the rules
    /// ask about; anything else teaches nothing.
    mutating func absorb(_ s: LintStatement) {
        if let (table, elements) = Self.createTable(s) {
            tables[table] = Self.facts(ofNewTable: table, elements)
        } else if s.tokens.first?.keyword == "CREATE", let indexAt = s.find(["INDEX"]), indexAt <= 2, let onAt = s.find(["ON"], from: indexAt) {
            absorbCreateIndex(s, indexAt: indexAt, onAt: onAt)
        } else if s.starts(with: ["DROP", "TABLE"]) {
            var i = 2
            if s.find(["IF", "EXISTS"], from: i) == i { i += 2 }
            for part in Self.splitAtCommas(s.tokens[i...]) {
                if let (name, _) = Self.qualifiedName(Array(part), at: 0) { tables[name] = nil }
            }
        } else if s.starts(with: ["ALTER", "TABLE"]), s.find(["RENAME", "TO"]) != nil, let (table, _) = Self.alterTable(s),
                  let to = s.find(["TO"]), to + 1 < s.tokens.count, let new = s.tokens[to + 1].name, s.find(["RENAME", "TO"]) == to - 1 {
            tables[new] = tables[table]
            tables[table] = nil
        } else if let (table, actions) = Self.alterTable(s) {
            for action in actions { absorb(Array(action), of: table) }
        }
    }

    /// The columns and keys a `CREATE TABLE` makes.
    static func facts(ofNewTable table: String, _ elements: [ArraySlice<SQLToken>]) -> Table {
        var facts = Table()
        for element in elements {
            guard let head = element.first?.keyword.flatMap({ tableConstraintStarts.contains($0) ? $0 : nil }) else {
                if let column = columnDefinition(element) {
                    facts.columns[column.name] = column.type
                    if column.primaryKey { facts.primaryKey.insert(column.name); facts.primaryKeyConstraint = facts.primaryKeyConstraint ?? "\(table)_pkey" }
                    if column.primaryKey || column.unique || column.references { facts.indexed.insert(column.name) }
                }
                continue
            }
            let words = element.compactMap(\.keyword)
            let columns = parenthesizedNames(element)
            if words.contains("PRIMARY") {
                facts.primaryKey.formUnion(columns)
                facts.primaryKeyConstraint = head == "CONSTRAINT" ? element.dropFirst().first?.name : "\(table)_pkey"
            }
            if words.contains("PRIMARY") || words.contains("UNIQUE") || words.contains("FOREIGN") || words.contains("INDEX") {
                facts.indexed.formUnion(columns)
            }
        }
        return facts
    }

    /// `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table (columns)`.
    mutating func absorbCreateIndex(_ s: LintStatement, indexAt: Int, onAt: Int) {
        var i = onAt + 1
        if s.tokens.count > i, s.tokens[i].keyword == "ONLY" { i += 1 }
        guard let (table, after) = Self.qualifiedName(s.tokens, at: i) else { return }
        let columns = Self.parenthesizedNames(s.tokens[after...])
        tables[table, default: Table()].indexed.formUnion(columns)
        var nameAt = indexAt + 1
        if s.tokens[nameAt].keyword == "CONCURRENTLY" { nameAt += 1 }
        if s.find(["IF", "NOT", "EXISTS"], from: nameAt) == nameAt { nameAt += 3 }
        if nameAt < onAt, let name = s.tokens[nameAt].name { indexes[name] = (table, columns) }
    }

    /// One action of an `ALTER TABLE`: columns and keys added, dropped, retyped or renamed.
    mutating func absorb(_ a: [SQLToken], of table: String) {
        let words = a.compactMap(\.keyword)
        guard let verb = words.first else { return }
        switch verb {
        case "ADD":
            var i = 1
            if a.count > i, a[i].keyword == "COLUMN" { i += 1 }
            if a.count > i + 2, a[i].keyword == "IF", a[i + 1].keyword == "NOT" { i += 3 }
            if let head = a.count > i ? a[i].keyword : nil, Self.tableConstraintStarts.contains(head) {
                let columns = Self.parenthesizedNames(a[...])
                if words.contains("PRIMARY") { tables[table, default: Table()].primaryKey = Set(columns) }
                tables[table, default: Table()].indexed.formUnion(columns)
            } else if let column = Self.columnDefinition(a[i...]) {
                tables[table, default: Table()].columns[column.name] = column.type
                if column.primaryKey || column.unique || column.references { tables[table, default: Table()].indexed.insert(column.name) }
            }
        case "DROP":
            var i = 1
            if a.count > i, a[i].keyword == "CONSTRAINT" { return }
            if a.count > i, a[i].keyword == "COLUMN" { i += 1 }
            if a.count > i + 1, a[i].keyword == "IF", a[i + 1].keyword == "EXISTS" { i += 2 }
            if a.count > i, let name = a[i].name {
                tables[table]?.columns[name] = nil
                tables[table]?.indexed.remove(name)
            }
        case "ALTER":
            if let (column, type) = Self.alterColumnType(a) { tables[table, default: Table()].columns[column] = type }
        case "RENAME":
            var i = 1
            if a.count > i, a[i].keyword == "COLUMN" { i += 1 }
            if a.count > i + 2, let old = a[i].name, a[i + 1].keyword == "TO", let new = a[i + 2].name {
                if let type = tables[table]?.columns.removeValue(forKey: old) { tables[table]?.columns[new] = type }
                if tables[table]?.indexed.remove(old) != nil { tables[table]?.indexed.insert(new) }
                if tables[table]?.primaryKey.remove(old) != nil { tables[table]?.primaryKey.insert(new) }
            }
        default: break
        }
    }

    /// `ALTER [COLUMN] name [SET DATA] TYPE type [USING ...]` → (column, new type).
    static func alterColumnType(_ a: [SQLToken]) -> (String, ColumnType)? {
        guard a.first?.keyword == "ALTER" else { return nil }
        var i = 1
        if a.count > i, a[i].keyword == "COLUMN" { i += 1 }
        guard a.count > i, let column = a[i].name else { return nil }
        i += 1
        if a.count > i + 1, a[i].keyword == "SET", a[i + 1].keyword == "DATA" { i += 2 }
        guard a.count > i, a[i].keyword == "TYPE" else { return nil }
        i += 1
        var end = i
        while end < a.count, a[end].keyword.map({ !["USING", "COLLATE"].contains($0) }) ?? true { end += 1 }
        return (column, columnType(a[i..<end]))
    }
}
