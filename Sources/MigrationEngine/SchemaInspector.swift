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
        /// A column without the CHECK its field kind gives it (`"n" >= 0` of a positive integer).
        case checkMissing
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

/// Compares the live schema (`information_schema`, and `pg_indexes` for index definitions, which
/// both servers have) with what a state says it should be: drift, for `manage check`.
///
/// Compared by structure, not by name: a database Django built names its constraints with other
/// hashes, makes ids identity columns rather than sequence defaults, and on PostgreSQL makes its
/// foreign keys DEFERRABLE. None of that changes what this service reads or writes, so none of it
/// is reported. Column types, nullability, which columns have indexes and foreign keys, and their
/// ON DELETE rules do, and are.
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

    struct LiveSchema {
        var columns: [String: [String: LiveColumn]] = [:]
        /// Each index's key columns, per table (unique constraints included: they are indexes).
        var indexes: [String: [[String]]] = [:]
        var foreignKeys: [String: [LiveForeignKey]] = [:]
        /// The columns a CHECK constraint reads, per table.
        var checkedColumns: [String: Set<String>] = [:]
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
        for row in try connection.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()") {
            live.indexes[try row.decode(String.self, at: 0), default: []].append(indexColumns(try row.decode(String.self, at: 1)))
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
        return live
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
        return definition[definition.index(after: open)..<close].split(separator: ",").map { part in
            let name = part.split(separator: " ", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            return name.hasPrefix("\"") && name.hasSuffix("\"") && name.count >= 2 ? String(name.dropFirst().dropLast()) : name
        }
    }

    static func compare(_ table: TableLayout.Table, in layout: TableLayout, with live: LiveSchema,
                        on server: ServerKind) -> [SchemaDifference] {
        guard let liveColumns = live.columns[table.name] else {
            return [.init(kind: .tableMissing, table: table.name, description: "\(table.name): table missing")]
        }
        var differences = compareColumns(table, liveColumns, on: server)
        let columnName = { (id: String) in table.columns.first { $0.id == id }?.name ?? id }
        let liveIndexes = live.indexes[table.name] ?? []
        let wanted = table.indexes.map { ($0.name, $0.columns.map(columnName), $0.unique) }
            + table.uniqueConstraints.map { ($0.name, $0.columns.map(columnName), true) }
        for (name, columns, unique) in wanted.sorted(by: { $0.0 < $1.0 }) where !liveIndexes.contains(columns) {
            let list = columns.map(SQLWriter.quote).joined(separator: ", ")
            differences.append(.init(
                kind: .indexMissing, table: table.name,
                description: "\(table.name): no index on (\(columns.joined(separator: ", "))) (\(name))",
                fix: unique
                    ? "ALTER TABLE \(SQLWriter.quote(table.name)) ADD CONSTRAINT \(SQLWriter.quote(name)) UNIQUE (\(list));"
                    : "CREATE INDEX \(SQLWriter.quote(name)) ON \(SQLWriter.quote(table.name)) (\(list));"))
        }
        for column in table.columns where liveColumns[column.name] != nil {
            guard let check = column.check, !(live.checkedColumns[table.name]?.contains(column.name) ?? false) else { continue }
            differences.append(.init(kind: .checkMissing, table: table.name,
                                     description: "\(table.name).\(column.name): no CHECK (\(check.condition(column: column.name))) (\(check.name))",
                                     fix: SQLWriter.addCheck(table.name, check, column: column.name)))
        }
        differences += compareForeignKeys(table, in: layout, live: live.foreignKeys[table.name] ?? [], columnName: columnName)
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
