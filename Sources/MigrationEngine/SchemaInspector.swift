import Database

/// One way the live schema differs from what the applied migrations say.
public struct SchemaDifference: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case tableMissing, tableNotInMigrations
        case columnMissing, columnNotInMigrations, columnType, nullability
        /// An integer column where the migrations say BIGINT: what Django's AutoField and its
        /// foreign keys give on PostgreSQL (on CockroachDB both are INT8).
        case integerNarrowerThanBigint
        case indexMissing
        /// An index on the right columns whose partial-index condition (`WHERE ...`) differs,
        /// compared as the server normalises it.
        case indexCondition
        /// An index on the right columns with other columns in descending order.
        case indexOrder
        /// An index on the right columns storing other columns beside the key (`INCLUDE`,
        /// CockroachDB's `STORING`).
        case indexInclude
        /// An index the migrations make unique (a unique field or `UniqueConstraint`) that is not.
        case indexNotUnique
        /// A column without the CHECK its field kind gives it (`"n" >= 0` of a positive integer).
        case checkMissing
        /// A table-level CHECK (Django's `CheckConstraint`) with no live CHECK of the same condition.
        case tableCheckMissing
        /// A live CHECK whose condition no field kind and no `CheckConstraint` gives.
        case checkNotInMigrations
        /// `COMMENT ON TABLE` differs (Django's `db_table_comment`).
        case tableComment
        /// `COMMENT ON COLUMN` differs (Django's `db_comment`).
        case columnComment
        case foreignKeyMissing, foreignKeyNotInMigrations
        /// The foreign key is there with another ON DELETE rule: Django 5.2 writes NO ACTION and
        /// cascades in Python; this service relies on the database's CASCADE.
        case foreignKeyRule
    }

    public var kind: Kind
    public var table: String
    public var description: String
    /// The statement that removes the difference, when one safely can (`manage sqlalign`).
    public var fix: String?

    /// `migrate --fake-initial` records an initial migration only when its tables have the columns
    /// it creates: these differences mean the tables are something else.
    var contradictsInitialMigration: Bool {
        switch kind {
        case .tableMissing, .columnMissing, .columnNotInMigrations, .columnType, .nullability: true
        default: false
        }
    }
}

/// Compares the live schema (`information_schema`; `pg_indexes` for index definitions and
/// `obj_description` / `col_description` for comments, which both servers have) with what a state
/// says it should be: drift, for `manage check`.
///
/// Compared by structure, not by name: a database Django built names its constraints with other
/// hashes, makes ids identity columns rather than sequence defaults, and on PostgreSQL makes its
/// foreign keys DEFERRABLE. None of that changes what this service reads or writes, so none of it
/// is reported. Column types, nullability, which columns have indexes and foreign keys, and their
/// ON DELETE rules do, and are; so do an index's order, INCLUDE columns, condition and
/// uniqueness, CHECK conditions and comments.
///
/// Conditions (partial indexes, CHECK) are compared as text after `normalizedCondition`, since
/// each server rewrites what it was given (`"n" >= 0` reads back as `(n >= 0)` on PostgreSQL and
/// `n >= 0:::INT8` on CockroachDB). A condition the server rewrites further (`IN (...)` into
/// `= ANY (ARRAY[...])`, `BETWEEN` into two comparisons) reads as different: write conditions
/// in the form the server keeps.
enum SchemaInspector {
    struct LiveColumn {
        var type: String
        var length: Int?
        var precision: Int?
        var scale: Int?
        var nullable: Bool
    }

    struct LiveForeignKey {
        var name: String
        var column: String
        var targetTable: String
        var rule: String
    }

    struct LiveIndex: Equatable {
        var name: String
        var columns: [String]
        var unique = false
        var descending: Set<String> = []
        var include: [String] = []
        /// The condition as the server shows it, nil for a full index.
        var condition: String? = nil
    }

    struct LiveCheck {
        var name: String
        var clause: String
    }

    struct LiveSchema {
        var columns: [String: [String: LiveColumn]] = [:]
        /// Each index, per table (unique constraints included: they are indexes).
        var indexes: [String: [LiveIndex]] = [:]
        var foreignKeys: [String: [LiveForeignKey]] = [:]
        /// The columns a CHECK constraint reads, per table.
        var checkedColumns: [String: Set<String>] = [:]
        /// Each CHECK constraint's condition (NOT NULL ones left out), per table.
        var checks: [String: [LiveCheck]] = [:]
        var tableComments: [String: String] = [:]
        /// Per table, per column.
        var columnComments: [String: [String: String]] = [:]
    }

    /// The differences, table by table; empty when the database matches.
    static func drift(_ connection: Connection, expected state: ProjectState, tables only: Set<String>? = nil) throws -> [SchemaDifference] {
        let live = try read(connection)
        let server = try connection.serverKind()
        let layout = TableLayout(state)
        var differences: [SchemaDifference] = []
        let tables = layout.tables.values.filter { $0.managed && (only?.contains($0.name) ?? true) }.sorted { $0.name < $1.name }
        for table in tables {
            differences += compare(table, in: layout, with: live, on: server)
        }
        if only == nil {
            let expected = Set(layout.tables.values.map(\.name))
            for name in live.columns.keys.sorted() where name.hasPrefix(state.appLabel + "_") && !expected.contains(name) {
                differences.append(.init(kind: .tableNotInMigrations, table: name, description: "\(name): table not in the migrations"))
            }
        }
        return differences
    }

    static func read(_ connection: Connection) throws -> LiveSchema {
        var live = LiveSchema()
        for row in try connection.execute("""
            SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable
            FROM information_schema.columns WHERE table_schema = current_schema()
            """) {
            live.columns[try row.decode(String.self, at: 0), default: [:]][try row.decode(String.self, at: 1)] = LiveColumn(
                type: try row.decode(String.self, at: 2), length: try row.decode(Int?.self, at: 3),
                precision: try row.decode(Int?.self, at: 4), scale: try row.decode(Int?.self, at: 5),
                nullable: try row.decode(String.self, at: 6) == "YES")
        }
        for row in try connection.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()") {
            live.indexes[try row.decode(String.self, at: 0), default: []].append(
                index(named: try row.decode(String.self, at: 1), try row.decode(String.self, at: 2)))
        }
        for row in try connection.execute("""
            SELECT kcu.table_name, tc.constraint_name, kcu.column_name, ccu.table_name, rc.delete_rule
            FROM information_schema.table_constraints tc
            JOIN information_schema.key_column_usage kcu
              ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name
             AND kcu.table_name = tc.table_name
            JOIN information_schema.referential_constraints rc
              ON rc.constraint_schema = tc.constraint_schema AND rc.constraint_name = tc.constraint_name
            JOIN information_schema.constraint_column_usage ccu
              ON ccu.constraint_schema = tc.constraint_schema AND ccu.constraint_name = tc.constraint_name
            WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'FOREIGN KEY'
            ORDER BY 1, 2
            """) {
            live.foreignKeys[try row.decode(String.self, at: 0), default: []].append(LiveForeignKey(
                name: try row.decode(String.self, at: 1), column: try row.decode(String.self, at: 2),
                targetTable: try row.decode(String.self, at: 3), rule: try row.decode(String.self, at: 4)))
        }
        for row in try connection.execute("""
            SELECT tc.table_name, ccu.column_name
            FROM information_schema.table_constraints tc
            JOIN information_schema.constraint_column_usage ccu
              ON ccu.constraint_schema = tc.constraint_schema AND ccu.constraint_name = tc.constraint_name
             AND ccu.table_name = tc.table_name
            WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'CHECK'
            """) {
            live.checkedColumns[try row.decode(String.self, at: 0), default: []].insert(try row.decode(String.self, at: 1))
        }
        for row in try connection.execute("""
            SELECT tc.table_name, tc.constraint_name, cc.check_clause
            FROM information_schema.table_constraints tc
            JOIN information_schema.check_constraints cc
              ON cc.constraint_schema = tc.constraint_schema AND cc.constraint_name = tc.constraint_name
            WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'CHECK'
            ORDER BY 1, 2
            """) {
            let name = try row.decode(String.self, at: 1), clause = try row.decode(String.self, at: 2)
            // Both servers list each NOT NULL as a CHECK named `..._not_null`: nullability is compared per column.
            if name.hasSuffix("_not_null") && normalizedCondition(clause).hasSuffix("isnotnull") { continue }
            live.checks[try row.decode(String.self, at: 0), default: []].append(LiveCheck(name: name, clause: clause))
        }
        for row in try connection.execute("""
            SELECT c.relname, obj_description(c.oid, 'pg_class')
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r' AND obj_description(c.oid, 'pg_class') IS NOT NULL
            """) {
            live.tableComments[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        for row in try connection.execute("""
            SELECT c.relname, a.attname, col_description(c.oid, a.attnum)
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
              AND col_description(c.oid, a.attnum) IS NOT NULL
            """) {
            live.columnComments[try row.decode(String.self, at: 0), default: [:]][try row.decode(String.self, at: 1)] = try row.decode(String.self, at: 2)
        }
        return live
    }

    /// An index from its `pg_indexes` definition: PostgreSQL's
    /// `CREATE UNIQUE INDEX u ON public.t USING btree (a DESC, b) INCLUDE (c) WHERE (x > 1)`, or
    /// CockroachDB's `CREATE INDEX i ON bank.public.t USING btree (a ASC) STORING (c) WHERE ...`.
    static func index(named name: String, _ definition: String) -> LiveIndex {
        var index = LiveIndex(name: name, columns: indexColumns(definition), unique: definition.hasPrefix("CREATE UNIQUE "))
        guard let (key, rest) = firstGroup(definition) else { return index }
        for part in splitTopLevel(key) {
            let (column, descending) = keyPart(part)
            if descending { index.descending.insert(column) }
        }
        var tail = rest
        let whereStart = { (text: String) in text.firstRange(of: " WHERE ")?.lowerBound ?? text.endIndex }
        for keyword in ["INCLUDE (", "STORING ("] {
            if let range = tail.firstRange(of: keyword), range.lowerBound < whereStart(tail),
               let (stored, after) = firstGroup(String(tail[range.lowerBound...])) {
                index.include = splitTopLevel(stored).map(unquote)
                tail = after
            }
        }
        if let range = tail.firstRange(of: " WHERE ") {
            index.condition = String(tail[range.upperBound...]).trimmingWhitespace()
        }
        return index
    }

    /// The text inside the first parenthesised group and what follows it.
    static func firstGroup(_ text: String) -> (String, String)? {
        guard let open = text.firstIndex(of: "(") else { return nil }
        var depth = 0
        var quoted = false
        for index in text[open...].indices {
            let c = text[index]
            if c == "'" { quoted.toggle() }
            if quoted { continue }
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if depth == 0 {
                return (String(text[text.index(after: open)..<index]), String(text[text.index(after: index)...]))
            }
        }
        return nil
    }

    /// `a, lower(b), c` into its three parts: commas inside parentheses or quotes do not split.
    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = [], current = "", depth = 0, quoted = false
        for c in text {
            if c == "'" { quoted.toggle() }
            if !quoted && c == "(" { depth += 1 }
            if !quoted && c == ")" { depth -= 1 }
            if !quoted && depth == 0 && c == "," {
                parts.append(current.trimmingWhitespace()); current = ""
            } else {
                current.append(c)
            }
        }
        if !current.trimmingWhitespace().isEmpty { parts.append(current.trimmingWhitespace()) }
        return parts
    }

    static func unquote(_ name: String) -> String {
        name.hasPrefix("\"") && name.hasSuffix("\"") && name.count >= 2 ? String(name.dropFirst().dropLast()) : name
    }

    /// A condition reduced to what both servers keep of it: casts and type annotations
    /// (`::text`, `:::INT8`), parentheses, identifier quotes and white space dropped, `!=` as
    /// `<>`, lowercased. `"age" >= 18`, PostgreSQL's `(age >= 18)` and CockroachDB's
    /// `age >= 18:::INT8` are all `age>=18`.
    static func normalizedCondition(_ condition: String) -> String {
        var text = condition.replacing(
            /(?i):{2,3}(character varying|double precision|timestamp with(out)? time zone|time with(out)? time zone|[a-z_][a-z0-9_]*)(\([0-9, ]*\))?(\[\])?/,
            with: "")
        text = text.replacing("!=", with: "<>")
        return String(text.filter { !"\"() \t\n".contains($0) }).lowercased()
    }

    /// The key columns of `CREATE [UNIQUE] INDEX name ON table USING btree (a, b DESC)`: a, b.
    static func indexColumns(_ definition: String) -> [String] {
        // The first parenthesised group: what follows it (INCLUDE, STORING, WHERE) is not the key.
        guard let open = definition.firstIndex(of: "(") else { return [] }
        var depth = 0
        var close = definition.endIndex
        for index in definition[open...].indices {
            if definition[index] == "(" { depth += 1 }
            if definition[index] == ")" { depth -= 1 }
            if depth == 0 { close = index; break }
        }
        guard close != definition.endIndex else { return [] }
        return splitTopLevel(String(definition[definition.index(after: open)..<close])).map { keyPart($0).key }
    }

    /// One part of an index key: its column or expression, and whether it is in descending order.
    /// An expression in parentheses (PostgreSQL's cast `((born)::timestamp with time zone) DESC`)
    /// is whole; otherwise the first word is (an operator class or collation may follow it).
    static func keyPart(_ part: String) -> (key: String, descending: Bool) {
        let key: String, rest: Substring
        if part.hasPrefix("("), let (inner, after) = firstGroup(part) {
            key = "(\(inner))"
            rest = Substring(after)
        } else {
            let words = part.split(separator: " ", omittingEmptySubsequences: true)
            key = words.first.map(String.init) ?? ""
            rest = words.count > 1 ? part[words[1].startIndex...] : ""
        }
        return (unquote(key), rest.split(separator: " ").last?.uppercased() == "DESC")
    }

    /// A key part as both servers keep it: a cast of a column (`("code"::TEXT)`, PostgreSQL's
    /// `((code)::text)`, CockroachDB's `(code::STRING)`) as `code::text`, its type by one name
    /// (on CockroachDB, where `INTEGER` is `INT8`, an `integer` is a `bigint`); any other part as a
    /// condition (`normalizedCondition`), which drops the casts PostgreSQL adds inside `lower(...)`.
    static func normalizedKey(_ part: String, on server: ServerKind) -> String {
        let text = part.filter { $0 != "\"" }
        guard let match = text.wholeMatch(of: /\(*\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)*\s*:{2,3}\s*(.+)/) else { return normalizedCondition(part) }
        var type = String(match.2).trimmingWhitespace()
        while type.hasSuffix(")") && type.filter({ $0 == ")" }).count > type.filter({ $0 == "(" }).count { type.removeLast() }
        type = type.lowercased().split(separator: " ").joined(separator: " ").replacing(", ", with: ",").replacing(" (", with: "(")
        let width = type.firstIndex(of: "(").map { String(type[$0...]) } ?? ""
        var name = width.isEmpty ? type : String(type.dropLast(width.count))
        let aliases = [
            "character varying": "varchar", "string": width.isEmpty ? "text" : "varchar", "int8": "bigint", "int64": "bigint",
            "int4": "integer", "int": "integer", "int2": "smallint", "float8": "double precision", "float": "double precision",
            "timestamptz": "timestamp with time zone", "decimal": "numeric", "bool": "boolean",
        ]
        name = aliases[name] ?? name
        if server == .cockroachDB && name == "integer" { name = "bigint" }
        return "\(match.1.lowercased())::\(name)\(width)"
    }

    static func compare(_ table: TableLayout.Table, in layout: TableLayout, with live: LiveSchema,
                        on server: ServerKind) -> [SchemaDifference] {
        guard let liveColumns = live.columns[table.name] else {
            return [.init(kind: .tableMissing, table: table.name, description: "\(table.name): table missing")]
        }
        var differences = compareColumns(table, liveColumns, on: server)
        let columnName = { (id: String) in table.columns.first { $0.id == id }?.name ?? id }
        let liveIndexes = live.indexes[table.name] ?? []
        let wanted = table.indexes.map {
            LiveIndex(name: $0.name, columns: $0.columns.map(columnName) + $0.expressions.map { $0.sql(column: columnName($0.field)) },
                      unique: $0.unique,
                      descending: Set($0.descending.map(columnName) + $0.expressions.filter(\.descending).map { $0.sql(column: columnName($0.field)) }),
                      include: $0.include.map(columnName), condition: $0.condition)
        } + table.uniqueConstraints.map { LiveIndex(name: $0.name, columns: $0.columns.map(columnName), unique: true) }
        for index in wanted.sorted(by: { $0.name < $1.name }) {
            differences += compareIndex(index, in: table, with: liveIndexes, on: server)
        }
        for column in table.columns where liveColumns[column.name] != nil {
            guard let check = column.check, !(live.checkedColumns[table.name]?.contains(column.name) ?? false) else { continue }
            differences.append(.init(kind: .checkMissing, table: table.name,
                                     description: "\(table.name).\(column.name): no CHECK (\(check.condition(column: column.name))) (\(check.name))",
                                     fix: SQLWriter.addCheck(table.name, check, column: column.name)))
        }
        differences += compareChecks(table, live: live.checks[table.name] ?? [])
        differences += compareComments(table, with: live)
        differences += compareForeignKeys(table, in: layout, live: live.foreignKeys[table.name] ?? [], columnName: columnName)
        return differences
    }

    /// Fine when a live index on the same key columns matches `index` in everything; otherwise
    /// what the closest one (the same name, else the first) differs in.
    static func compareIndex(_ index: LiveIndex, in table: TableLayout.Table, with live: [LiveIndex], on server: ServerKind) -> [SchemaDifference] {
        let columns = index.columns.joined(separator: ", ")
        // Key parts compared as each server rewrites them: PostgreSQL shows `lower("name")` of a
        // VARCHAR column as `lower((name)::text)`, CockroachDB as `lower(name)`.
        let normalized = { (part: String) in normalizedKey(part, on: server) }
        let key = { (i: LiveIndex) in i.columns.map(normalized) }
        let candidates = live.filter { key($0) == key(index) }
        guard let closest = candidates.first(where: { $0.name == index.name }) ?? candidates.first else {
            let list = index.columns.map(SQLWriter.quote).joined(separator: ", ")
            // Plain: columns only (an expression is no name to quote), in one order, whole, no condition.
            let plain = index.descending.isEmpty && index.include.isEmpty && index.condition == nil
                && index.columns.allSatisfy(SQLWriter.isPlainIdentifier)
            return [.init(
                kind: .indexMissing, table: table.name,
                description: "\(table.name): no index on (\(columns)) (\(index.name))",
                fix: !plain ? nil : index.unique
                    ? "ALTER TABLE \(SQLWriter.quote(table.name)) ADD CONSTRAINT \(SQLWriter.quote(index.name)) UNIQUE (\(list));"
                    : "CREATE INDEX \(SQLWriter.quote(index.name)) ON \(SQLWriter.quote(table.name)) (\(list));")]
        }
        let condition = { (i: LiveIndex) in i.condition.map(normalizedCondition) }
        let same = { (i: LiveIndex) in
            (i.unique || !index.unique) && Set(i.descending.map(normalized)) == Set(index.descending.map(normalized))
                && Set(i.include) == Set(index.include)
                && condition(i) == condition(index)
        }
        if candidates.contains(where: same) { return [] }
        let place = "\(table.name): index \(closest.name) on (\(columns))"
        var differences: [SchemaDifference] = []
        if index.unique && !closest.unique {
            differences.append(.init(kind: .indexNotUnique, table: table.name, description: "\(place) is not unique, expected unique (\(index.name))"))
        }
        if Set(closest.descending.map(normalized)) != Set(index.descending.map(normalized)) {
            let describe = { (set: Set<String>) in set.isEmpty ? "none" : set.sorted().joined(separator: ", ") }
            differences.append(.init(kind: .indexOrder, table: table.name,
                                     description: "\(place) has descending \(describe(closest.descending)), expected \(describe(index.descending))"))
        }
        if Set(closest.include) != Set(index.include) {
            let describe = { (list: [String]) in list.isEmpty ? "none" : list.joined(separator: ", ") }
            differences.append(.init(kind: .indexInclude, table: table.name,
                                     description: "\(place) includes \(describe(closest.include)), expected \(describe(index.include))"))
        }
        if condition(closest) != condition(index) {
            differences.append(.init(kind: .indexCondition, table: table.name,
                                     description: "\(place) has condition \(closest.condition ?? "none"), expected \(index.condition ?? "none")"))
        }
        return differences
    }

    /// Table-level CHECKs by condition, not by name; a live CHECK that neither a field kind nor a
    /// `CheckConstraint` gives is reported too.
    static func compareChecks(_ table: TableLayout.Table, live: [LiveCheck]) -> [SchemaDifference] {
        var differences: [SchemaDifference] = []
        let liveConditions = Set(live.map { normalizedCondition($0.clause) })
        for check in table.checks.sorted(by: { $0.name < $1.name }) where !liveConditions.contains(normalizedCondition(check.condition)) {
            differences.append(.init(kind: .tableCheckMissing, table: table.name,
                                     description: "\(table.name): no CHECK (\(check.condition)) (\(check.name))",
                                     fix: SQLWriter.addTableCheck(table.name, check)))
        }
        let expected = Set(table.checks.map { normalizedCondition($0.condition) }
            + table.columns.compactMap { column in column.check.map { normalizedCondition($0.condition(column: column.name)) } })
        for check in live where !expected.contains(normalizedCondition(check.clause)) {
            differences.append(.init(kind: .checkNotInMigrations, table: table.name,
                                     description: "\(table.name): CHECK \(check.name) (\(check.clause)) not in the migrations"))
        }
        return differences
    }

    /// An empty comment is no comment (`COMMENT ... IS ''` removes it on PostgreSQL).
    static func compareComments(_ table: TableLayout.Table, with live: LiveSchema) -> [SchemaDifference] {
        let present = { (comment: String?) in comment.flatMap { $0.isEmpty ? nil : $0 } }
        let describe = { (comment: String?) in comment.map { SQLWriter.literal($0) } ?? "none" }
        var differences: [SchemaDifference] = []
        let tableComment = present(live.tableComments[table.name])
        if tableComment != present(table.comment) {
            differences.append(.init(
                kind: .tableComment, table: table.name,
                description: "\(table.name): comment \(describe(tableComment)), expected \(describe(present(table.comment)))",
                fix: SQLWriter.commentOnTable(table.name, present(table.comment))))
        }
        let liveColumns = live.columns[table.name] ?? [:]
        for column in table.columns where liveColumns[column.name] != nil {
            let found = present(live.columnComments[table.name]?[column.name])
            guard found != present(column.comment) else { continue }
            differences.append(.init(
                kind: .columnComment, table: table.name,
                description: "\(table.name).\(column.name): comment \(describe(found)), expected \(describe(present(column.comment)))",
                fix: SQLWriter.commentOnColumn(table.name, column.name, present(column.comment))))
        }
        return differences
    }

    static func compareColumns(_ table: TableLayout.Table, _ live: [String: LiveColumn], on server: ServerKind) -> [SchemaDifference] {
        var differences: [SchemaDifference] = []
        for column in table.columns {
            let place = "\(table.name).\(column.name)"
            guard let found = live[column.name] else {
                differences.append(.init(kind: .columnMissing, table: table.name, description: "\(place): column missing"))
                continue
            }
            let expected = column.type.informationSchemaType(on: server)
            let want = (expected.dataType, expected.characterMaximumLength, expected.numericPrecision, expected.numericScale)
            let have = (found.type, found.type == "character varying" ? found.length : nil,
                        found.type == "numeric" ? found.precision : nil, found.type == "numeric" ? found.scale : nil)
            if want.0 == "bigint" && have.0 == "integer" {
                differences.append(.init(
                    kind: .integerNarrowerThanBigint, table: table.name,
                    description: "\(place): type integer, expected bigint (Django's AutoField on PostgreSQL; ids stop at 2,147,483,647)",
                    fix: "ALTER TABLE \(SQLWriter.quote(table.name)) ALTER COLUMN \(SQLWriter.quote(column.name)) TYPE BIGINT;"))
            } else if want.0 != have.0 || want.1 != have.1 || want.2 != have.2 || want.3 != have.3 {
                differences.append(.init(kind: .columnType, table: table.name,
                                         description: "\(place): type \(describe(have)), expected \(describe(want))"))
            }
            if found.nullable != column.null {
                differences.append(.init(kind: .nullability, table: table.name,
                                         description: "\(place): \(found.nullable ? "NULL" : "NOT NULL"), expected \(column.null ? "NULL" : "NOT NULL")"))
            }
        }
        for name in live.keys.sorted() where table.columns.allSatisfy({ $0.name != name }) {
            differences.append(.init(kind: .columnNotInMigrations, table: table.name,
                                     description: "\(table.name).\(name): column not in the migrations"))
        }
        return differences
    }

    static func compareForeignKeys(_ table: TableLayout.Table, in layout: TableLayout, live: [LiveForeignKey],
                                   columnName: (String) -> String) -> [SchemaDifference] {
        var differences: [SchemaDifference] = []
        var matched = Set<String>()
        for fk in table.foreignKeys.sorted(by: { $0.name < $1.name }) {
            let column = columnName(fk.column)
            guard let target = layout.tables[fk.target] else { continue }
            let targetColumn = target.columns.first { $0.id == fk.targetColumn }?.name ?? fk.targetColumn
            let add = """
                ALTER TABLE \(SQLWriter.quote(table.name)) ADD CONSTRAINT \(SQLWriter.quote(fk.name)) FOREIGN KEY (\(SQLWriter.quote(column))) \
                REFERENCES \(SQLWriter.quote(target.name)) (\(SQLWriter.quote(targetColumn))) ON DELETE \(fk.onDelete.sql);
                """
            guard let found = live.first(where: { $0.column == column && $0.targetTable == target.name }) else {
                differences.append(.init(kind: .foreignKeyMissing, table: table.name,
                                         description: "\(table.name).\(column): no foreign key to \(target.name) (\(fk.name))", fix: add))
                continue
            }
            matched.insert(found.name)
            if found.rule != fk.onDelete.sql {
                differences.append(.init(
                    kind: .foreignKeyRule, table: table.name,
                    description: "\(table.name).\(column): foreign key to \(target.name) is ON DELETE \(found.rule), expected \(fk.onDelete.sql)",
                    fix: "ALTER TABLE \(SQLWriter.quote(table.name)) DROP CONSTRAINT \(SQLWriter.quote(found.name));\n" + add))
            }
        }
        for fk in live where !matched.contains(fk.name) {
            differences.append(.init(kind: .foreignKeyNotInMigrations, table: table.name,
                                     description: "\(table.name).\(fk.column): foreign key \(fk.name) to \(fk.targetTable) not in the migrations"))
        }
        return differences
    }

    static func describe(_ type: (String, Int?, Int?, Int?)) -> String {
        if let length = type.1 { return "\(type.0)(\(length))" }
        if let p = type.2, let s = type.3 { return "\(type.0)(\(p),\(s))" }
        return type.0
    }
}
