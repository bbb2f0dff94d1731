import Database

/// Compares the live schema (`information_schema`, and `pg_indexes` for index names, which both
/// servers have) with what a state says it should be: drift, for `manage check`.
enum SchemaInspector {
    /// One line per difference; empty when the database matches.
    static func drift(_ connection: Connection, expected state: ProjectState) throws -> [String] {
        let layout = TableLayout(state)
        var problems: [String] = []
        var columns: [String: [String: (type: String, length: Int?, precision: Int?, scale: Int?, nullable: Bool)]] = [:]
        for row in try connection.execute("""
            SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable
            FROM information_schema.columns WHERE table_schema = current_schema()
            """) {
            columns[try row.decode(String.self, at: 0), default: [:]][try row.decode(String.self, at: 1)] = (
                try row.decode(String.self, at: 2), try row.decode(Int?.self, at: 3), try row.decode(Int?.self, at: 4),
                try row.decode(Int?.self, at: 5), try row.decode(String.self, at: 6) == "YES")
        }
        var indexes: [String: Set<String>] = [:]
        for row in try connection.execute("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema()") {
            indexes[try row.decode(String.self, at: 0), default: []].insert(try row.decode(String.self, at: 1))
        }
        var foreignKeys: [String: [String: String]] = [:]
        for row in try connection.execute("""
            SELECT tc.table_name, tc.constraint_name, rc.delete_rule
            FROM information_schema.table_constraints tc
            JOIN information_schema.referential_constraints rc
              ON rc.constraint_schema = tc.constraint_schema AND rc.constraint_name = tc.constraint_name
            WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'FOREIGN KEY'
            """) {
            foreignKeys[try row.decode(String.self, at: 0), default: [:]][try row.decode(String.self, at: 1)] = try row.decode(String.self, at: 2)
        }

        let expectedTables = Set(layout.tables.values.map(\.name))
        for table in layout.tables.values.sorted(by: { $0.name < $1.name }) {
            guard let live = columns[table.name] else {
                problems.append("\(table.name): table missing")
                continue
            }
            for column in table.columns {
                guard let found = live[column.name] else {
                    problems.append("\(table.name).\(column.name): column missing")
                    continue
                }
                let want = expectedType(column.type)
                let have = (found.type, found.type == "character varying" ? found.length : nil,
                            found.type == "numeric" ? found.precision : nil, found.type == "numeric" ? found.scale : nil)
                if want.0 != have.0 || want.1 != have.1 || want.2 != have.2 || want.3 != have.3 {
                    problems.append("\(table.name).\(column.name): type \(describe(have)), expected \(describe(want))")
                }
                if found.nullable != column.null {
                    problems.append("\(table.name).\(column.name): \(found.nullable ? "NULL" : "NOT NULL"), expected \(column.null ? "NULL" : "NOT NULL")")
                }
            }
            for name in live.keys.sorted() where table.columns.allSatisfy({ $0.name != name }) {
                problems.append("\(table.name).\(name): column not in the migrations")
            }
            let liveIndexes = indexes[table.name] ?? []
            for name in (table.indexes.map(\.name) + table.uniqueConstraints.map(\.name)).sorted() where !liveIndexes.contains(name) {
                problems.append("\(table.name): index \(name) missing")
            }
            let liveKeys = foreignKeys[table.name] ?? [:]
            for fk in table.foreignKeys.sorted(by: { $0.name < $1.name }) {
                guard let rule = liveKeys[fk.name] else {
                    problems.append("\(table.name): foreign key \(fk.name) missing")
                    continue
                }
                if rule != fk.onDelete.rawValue {
                    problems.append("\(table.name): foreign key \(fk.name) is ON DELETE \(rule), expected \(fk.onDelete.rawValue)")
                }
            }
            for name in liveKeys.keys.sorted() where !table.foreignKeys.contains(where: { $0.name == name }) {
                problems.append("\(table.name): foreign key \(name) not in the migrations")
            }
        }
        for name in columns.keys.sorted() where name.hasPrefix(state.appLabel + "_") && !expectedTables.contains(name) {
            problems.append("\(name): table not in the migrations")
        }
        return problems
    }

    static func expectedType(_ type: TableLayout.ColumnType) -> (String, Int?, Int?, Int?) {
        switch type {
        case .bigSerial, .bigInt: return ("bigint", nil, nil, nil)
        case .varchar(let n): return ("character varying", n, nil, nil)
        case .text: return ("text", nil, nil, nil)
        case .integer: return ("integer", nil, nil, nil)
        case .decimal(let p, let s): return ("numeric", nil, p, s)
        case .boolean: return ("boolean", nil, nil, nil)
        case .timestampTZ: return ("timestamp with time zone", nil, nil, nil)
        }
    }

    static func describe(_ type: (String, Int?, Int?, Int?)) -> String {
        if let length = type.1 { return "\(type.0)(\(length))" }
        if let p = type.2, let s = type.3 { return "\(type.0)(\(p),\(s))" }
        return type.0
    }
}
