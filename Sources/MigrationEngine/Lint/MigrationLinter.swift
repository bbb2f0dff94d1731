#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Finds SQL in migration files that is unsafe on CockroachDB (or on PostgreSQL in a
/// transaction), before it runs: `manage lint`, and `manage makemigrations` on each file it writes.
///
/// Pure: it reads text and returns findings; ``lintDirectory(_:only:)`` is the one call that
/// reads files. Each finding names the file, the statement (line and first words), the rule and
/// the fix. Rules are listed in ``LintRule/all``.
///
/// ## What is linted
/// - The **up part**, with every rule. The linter also learns column types and indexed columns
///   from the up parts of the migrations before the file (their SQL, hand edits included), to
///   tell an indexed column's type change or a narrowed type.
/// - The **down part**, only with the rules marked ``LintRule/checksDownPart`` (SQL that fails
///   or misbehaves on CockroachDB: explicit transactions, several schema changes in one,
///   DEFERRABLE, advisory locks, CONCURRENTLY, an enum value used where it was added). The down
///   part exists to undo the up part, so its DROP TABLEs and type changes back are by design and
///   not reported.
///
/// ## Silencing
/// A comment `-- lint: allow <rule-id>[, <rule-id>...]`:
/// - in the header (before `-- migrate:up`): for the whole file;
/// - among the comments right before a statement, inside it, or at the end of the line of its
///   `;`: for that statement only.
/// A `-- lint:` comment that names no known rule is itself reported (`lint-directive`). Mark a
/// file before it is applied: afterwards its checksum is recorded and any edit is refused.
public enum MigrationLinter {
    /// Lints one migration file's text. `earlier` are the texts of the migrations before it,
    /// in order (for the types and indexes they created).
    public static func lint(_ text: String, file: String, earlier: [String] = []) -> [LintFinding] {
        var schema = LintSchema()
        for other in earlier { learn(other, into: &schema) }
        return lint(text, file: file, schema: &schema)
    }

    /// Lints the migrations in `directory` (all of them, or those whose name, prefix or file name
    /// is in `only`), each against the ones before it. Returns the files linted and the findings,
    /// sorted by file and line.
    public static func lintDirectory(_ directory: URL, only: [String] = []) throws -> (files: [String], findings: [LintFinding]) {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        var selected: Set<String> = []
        for wanted in only {
            let base = wanted.hasSuffix(".sql") ? String(wanted.dropLast(4)) : wanted
            let matches = names.filter { $0 == base + ".sql" || $0.hasPrefix(base) }
            let exact = matches.filter { $0 == base + ".sql" }
            guard !matches.isEmpty else { throw MigrationStateError(description: "No migration file matches '\(wanted)' in \(MakeMigrations.displayPath(directory)).") }
            guard exact.count == 1 || matches.count == 1 else {
                throw MigrationStateError(description: "More than one migration matches '\(wanted)': \(matches.joined(separator: ", ")). Please be more specific.")
            }
            selected.insert(exact.first ?? matches[0])
        }
        var schema = LintSchema()
        var files: [String] = [], findings: [LintFinding] = []
        for name in names {
            let url = directory.appendingPathComponent(name)
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            if only.isEmpty || selected.contains(name) {
                files.append(name)
                findings += lint(text, file: MakeMigrations.displayPath(url), schema: &schema)
            } else {
                learn(text, into: &schema)
            }
        }
        return (files, findings)
    }

    // MARK: - Sections of a file

    struct Sections {
        var header: [String]
        /// The up part's text and the 1-based file line of its first line.
        var up: (text: String, firstLine: Int)?
        var down: (text: String, firstLine: Int)?
    }

    static func sections(_ text: String) -> Sections {
        let lines = text.splitLines().map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        let trimmed = lines.map { $0.trimmingSpaces() }
        guard let upLine = trimmed.firstIndex(of: MigrationFile.upMarker) else {
            return Sections(header: [], up: (text, 1), down: nil)
        }
        let downLine = trimmed[(upLine + 1)...].firstIndex(of: MigrationFile.downMarker) ?? lines.count
        var sections = Sections(header: Array(lines[..<upLine]),
                                up: (lines[(upLine + 1)..<downLine].joined(separator: "\n"), upLine + 2), down: nil)
        if downLine < lines.count,
           let open = trimmed[(downLine + 1)...].firstIndex(where: { !$0.isEmpty }), trimmed[open] == "/*",
           let close = trimmed.lastIndex(of: "*/"), close > open {
            sections.down = (lines[(open + 1)..<close].joined(separator: "\n"), open + 2)
        }
        return sections
    }

    static func learn(_ text: String, into schema: inout LintSchema) {
        guard let up = sections(text).up else { return }
        for statement in LintStatement.split(SQLLexer.tokens(up.text, firstLine: up.firstLine)) { schema.absorb(statement) }
    }

    static func lint(_ text: String, file: String, schema: inout LintSchema) -> [LintFinding] {
        var findings: [LintFinding] = []
        let sections = sections(text)
        let fileName = file.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? file
        do {
            _ = try MigrationFile.parse(text, fileName: fileName)
        } catch {
            let line = (error as? MigrationFileError)?.line ?? 1
            findings.append(LintFinding(rule: .unreadableFile, file: file, line: line, statement: "(file)",
                                        message: (error as? MigrationFileError)?.message ?? "\(error)"))
        }
        // File-wide directives.
        var header = LintStatement(tokens: [], line: 1, allowed: [])
        for comment in SQLLexer.tokens(sections.header.joined(separator: "\n"), firstLine: 1) where comment.kind == .comment {
            header.apply(comment)
        }
        let fileAllowed = header.allowed
        for bad in header.badDirectives where !fileAllowed.contains(LintRule.unknownDirective.id) {
            findings.append(LintFinding(rule: .unknownDirective, file: file, line: bad.line, statement: "-- \(bad.text)",
                                        message: "not a known lint directive"))
        }
        if let up = sections.up {
            var pass = Pass(file: file, fileAllowed: fileAllowed, downPart: false)
            findings += pass.run(LintStatement.split(SQLLexer.tokens(up.text, firstLine: up.firstLine)), schema: &schema)
        }
        if let down = sections.down {
            var scratch = schema
            var pass = Pass(file: file, fileAllowed: fileAllowed, downPart: true)
            findings += pass.run(LintStatement.split(SQLLexer.tokens(down.text, firstLine: down.firstLine)), schema: &scratch)
        }
        return findings.sorted { ($0.line, $0.rule.id) < ($1.line, $1.rule.id) }
    }

    // MARK: - The rules

    /// One pass over the statements of one part of a file.
    struct Pass {
        var file: String
        var fileAllowed: Set<String>
        var downPart: Bool
        var findings: [LintFinding] = []

        init(file: String, fileAllowed: Set<String>, downPart: Bool) {
            self.file = file
            self.fileAllowed = fileAllowed
            self.downPart = downPart
        }

        mutating func report(_ rule: LintRule, _ s: LintStatement, _ message: String) {
            if downPart && !rule.checksDownPart { return }
            if fileAllowed.contains(rule.id) || s.allowed.contains(rule.id) { return }
            let where_ = downPart ? " (in the down part)" : ""
            findings.append(LintFinding(rule: rule, file: file, line: s.line, statement: s.preview, message: message + where_))
        }

        static let transactionStarts: Set<String> = ["BEGIN", "START", "SAVEPOINT"]
        static let transactionEnds: Set<String> = ["COMMIT", "END", "ROLLBACK", "ABORT", "RELEASE"]
        static let schemaChangeVerbs: Set<String> = ["CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT", "RENAME"]
        static let writeVerbs: Set<String> = ["INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE", "COPY"]

        static func isSchemaChange(_ s: LintStatement) -> Bool { s.tokens.first?.keyword.map(schemaChangeVerbs.contains) ?? false }

        static func isWrite(_ s: LintStatement) -> Bool {
            guard let first = s.tokens.first?.keyword else { return false }
            if writeVerbs.contains(first) { return true }
            return first == "WITH" && s.keywords.contains { $0.map(["INSERT", "UPDATE", "DELETE"].contains) ?? false }
        }

        static func isIdLike(_ name: String) -> Bool { name == "id" || name.hasSuffix("_id") }

        mutating func run(_ statements: [LintStatement], schema: inout LintSchema) -> [LintFinding] {
            var openTransaction: (schemaChanges: Int, reported: Bool)?
            var firstWrite: LintStatement?
            var addedEnumValues: [String: (type: String, line: Int)] = [:]
            for s in statements {
                for bad in s.badDirectives {
                    findings.append(LintFinding(rule: .unknownDirective, file: file, line: bad.line, statement: "-- \(bad.text)",
                                                message: "not a known lint directive (it silences nothing)"))
                }
                let first = s.tokens.first?.keyword ?? ""
                let schemaChange = Self.isSchemaChange(s)

                // explicit-transaction, schema-changes-in-transaction (BEGIN ... COMMIT blocks)
                if Self.transactionStarts.contains(first) && !(first == "START" && s.tokens.dropFirst().first?.keyword != "TRANSACTION") {
                    report(.explicitTransaction, s, "\(first) in a migration: migrate runs each migration in a transaction of its own (PostgreSQL) or each statement in one (CockroachDB)")
                    if first != "SAVEPOINT" { openTransaction = (0, false) }
                } else if Self.transactionEnds.contains(first) {
                    if openTransaction == nil {
                        report(.explicitTransaction, s, "\(first) in a migration: it would end migrate's own transaction midway")
                    }
                    if first != "RELEASE" { openTransaction = nil }
                }
                if schemaChange, var block = openTransaction {
                    block.schemaChanges += 1
                    if block.schemaChanges >= 2 && !block.reported {
                        report(.schemaChangesInTransaction, s, "a second schema change in the same BEGIN ... COMMIT block: CockroachDB does not apply several schema changes in one transaction atomically and can fail at COMMIT with part of them applied")
                        block.reported = true
                    }
                    openTransaction = block
                }
                if first == "DO", let body = s.tokens.first(where: { $0.kind == .dollarString || $0.kind == .string }) {
                    let count = body.text.uppercased().split(whereSeparator: { !$0.isLetter && $0 != "_" })
                        .filter { ["CREATE", "ALTER", "DROP"].contains($0) }.count
                    if count >= 2 {
                        report(.schemaChangesInTransaction, s, "a DO block with \(count) schema changes: they run in one transaction")
                    }
                }

                // ddl-after-write
                if schemaChange, let write = firstWrite {
                    report(.ddlAfterWrite, s, "schema change after the write at line \(write.line) (\(write.tokens.first?.text.uppercased() ?? "")): CockroachDB refuses a schema change that follows a write in one transaction")
                }
                if Self.isWrite(s) && firstWrite == nil { firstWrite = s }

                // deferrable
                let keywords = s.keywords
                for (i, k) in keywords.enumerated() {
                    if k == "DEFERRABLE" && (i == 0 || keywords[i - 1] != "NOT") {
                        report(.deferrable, s, "DEFERRABLE constraint: CockroachDB rejects it")
                        break
                    }
                    if k == "INITIALLY" && i + 1 < keywords.count && keywords[i + 1] == "DEFERRED" {
                        report(.deferrable, s, "INITIALLY DEFERRED constraint: CockroachDB rejects it")
                        break
                    }
                }
                if s.starts(with: ["SET", "CONSTRAINTS"]) { report(.deferrable, s, "SET CONSTRAINTS: deferred constraint checking does not exist on CockroachDB") }

                // advisory-lock
                if let lockCall = s.tokens.first(where: { t in
                    let text = t.text.lowercased()
                    if t.kind == .word { return text.hasPrefix("pg_advisory") || text.hasPrefix("pg_try_advisory") }
                    if t.kind == .dollarString || t.kind == .string { return text.contains("pg_advisory") || text.contains("pg_try_advisory") }
                    return false
                }) {
                    let name = lockCall.kind == .word ? lockCall.text : "pg_advisory_*"
                    report(.advisoryLock, s, "\(name): CockroachDB has no advisory lock functions (error 42883)")
                }

                // concurrent-index
                if ["CREATE", "DROP", "REINDEX"].contains(first), keywords.contains("CONCURRENTLY"), keywords.contains("INDEX") {
                    report(.concurrentIndex, s, "INDEX ... CONCURRENTLY cannot run inside a transaction block (PostgreSQL 25001), and migrate applies a migration in one")
                }

                // enum-value-used
                if s.starts(with: ["ALTER", "TYPE"]), let add = s.find(["ADD", "VALUE"]),
                   let value = s.tokens[(add + 2)...].first(where: { $0.kind == .string }) {
                    let type = LintSchema.qualifiedName(s.tokens, at: 2)?.0 ?? "?"
                    addedEnumValues[value.text] = (type, s.line)
                } else if !addedEnumValues.isEmpty, let used = s.tokens.first(where: { $0.kind == .string && addedEnumValues[$0.text] != nil }) {
                    let added = addedEnumValues[used.text]!
                    report(.enumValueUsed, s, "uses '\(used.text)', added to enum \(added.type) at line \(added.line) of this migration: a new enum value cannot be used in the transaction that added it")
                }

                // destructive-change: DROP TABLE / SCHEMA / DATABASE, TRUNCATE
                if first == "DROP", let what = s.tokens.dropFirst().first?.keyword, ["TABLE", "SCHEMA", "DATABASE"].contains(what) {
                    var i = 2
                    if s.find(["IF", "EXISTS"], from: i) == i { i += 2 }
                    let names = LintSchema.splitAtCommas(s.tokens[i...]).compactMap { LintSchema.qualifiedName(Array($0), at: 0)?.0 }
                    report(.destructiveChange, s, "drops \(what.lowercased()) \(names.map { "\"\($0)\"" }.joined(separator: ", ")) and all its data")
                }
                if first == "TRUNCATE" { report(.destructiveChange, s, "TRUNCATE deletes every row") }

                // CREATE TABLE columns: int32-id
                if let (table, elements) = LintSchema.createTable(s) {
                    var tablePrimaryKey: Set<String> = []
                    for element in elements where element.first?.keyword.map(LintSchema.tableConstraintStarts.contains) ?? false {
                        if element.contains(where: { $0.keyword == "PRIMARY" }) { tablePrimaryKey.formUnion(LintSchema.parenthesizedNames(element)) }
                    }
                    for element in elements where !(element.first?.keyword.map(LintSchema.tableConstraintStarts.contains) ?? false) {
                        if let column = LintSchema.columnDefinition(element) {
                            checkId(column, table: table, primaryKey: column.primaryKey || tablePrimaryKey.contains(column.name), s)
                        }
                    }
                }

                // ALTER TABLE actions
                if let (table, actions) = LintSchema.alterTable(s) {
                    if actions.count >= 2 {
                        report(.schemaChangesInTransaction, s, "ALTER TABLE \"\(table)\" with \(actions.count) actions: one schema change per statement, so that each is its own transaction and its progress is recorded")
                    }
                    for action in actions { checkAlterAction(Array(action), table: table, schema: schema, s) }
                }
                if s.starts(with: ["ALTER", "TABLE"]), s.find(["ALTER", "PRIMARY", "KEY"]) != nil {
                    // CockroachDB's ALTER TABLE ... ALTER PRIMARY KEY USING COLUMNS (...)
                    if !(LintSchema.alterTable(s)?.actions.contains { $0.first?.keyword == "ALTER" && $0.dropFirst().first?.keyword == "PRIMARY" } ?? false) {
                        report(.primaryKeyChange, s, "changes the primary key")
                    }
                }

                if !downPart { schema.absorb(s) }
            }
            return findings
        }

        mutating func checkId(_ column: LintSchema.ColumnDefinition, table: String, primaryKey: Bool, _ s: LintStatement) {
            guard case .integer(let bits, let serial) = column.type, bits < 64 else { return }
            let why: String?
            if serial { why = "\(column.type) makes ids of \(bits) bits" }
            else if primaryKey { why = "\(column.type) primary key" }
            else if column.references { why = "\(column.type), referring to another table's id" }
            else if Self.isIdLike(column.name) { why = "\(column.type), named like an id" }
            else { why = nil }
            if let why {
                report(.int32Id, s, "\"\(table)\".\"\(column.name)\": \(why); CockroachDB's unique_rowid() ids need 64 bits")
            }
        }

        mutating func checkAlterAction(_ a: [SQLToken], table: String, schema: LintSchema, _ s: LintStatement) {
            guard let verb = a.first?.keyword else { return }
            let facts = schema.tables[table]
            switch verb {
            case "ADD":
                var i = 1
                if a.count > i, a[i].keyword == "COLUMN" { i += 1 }
                if a.count > i + 2, a[i].keyword == "IF", a[i + 1].keyword == "NOT" { i += 3 }
                let head = a.count > i ? a[i].keyword : nil
                if let head, LintSchema.tableConstraintStarts.contains(head) {
                    if a.contains(where: { $0.keyword == "PRIMARY" }) {
                        report(.primaryKeyChange, s, "adds a primary key to \"\(table)\"")
                    }
                } else if let column = LintSchema.columnDefinition(a[i...]) {
                    checkId(column, table: table, primaryKey: column.primaryKey, s)
                    if column.primaryKey { report(.primaryKeyChange, s, "adds a primary key column to \"\(table)\"") }
                }
            case "DROP":
                if a.count > 1, a[1].keyword == "CONSTRAINT" {
                    var i = 2
                    if a.count > i + 1, a[i].keyword == "IF", a[i + 1].keyword == "EXISTS" { i += 2 }
                    if a.count > i, let name = a[i].name, name == facts?.primaryKeyConstraint || name.hasSuffix("_pkey") {
                        report(.primaryKeyChange, s, "drops the primary key \"\(name)\" of \"\(table)\"")
                    }
                    return
                }
                if a.count > 1, let k = a[1].keyword, ["DEFAULT", "NOT", "IDENTITY", "EXPRESSION"].contains(k) { return }
                var i = 1
                if a.count > i, a[i].keyword == "COLUMN" { i += 1 }
                if a.count > i + 1, a[i].keyword == "IF", a[i + 1].keyword == "EXISTS" { i += 2 }
                if a.count > i, let name = a[i].name {
                    report(.destructiveChange, s, "drops column \"\(table)\".\"\(name)\" and its data")
                }
            case "ALTER":
                if a.count > 1, a[1].keyword == "PRIMARY" {
                    report(.primaryKeyChange, s, "changes the primary key of \"\(table)\"")
                    return
                }
                guard let (column, newType) = LintSchema.alterColumnType(a) else { return }
                let oldType = facts?.columns[column]
                if facts?.primaryKey.contains(column) ?? false {
                    report(.alterIndexedColumnType, s, "changes the type of \"\(table)\".\"\(column)\", its primary key, to \(newType)")
                } else if facts?.indexed.contains(column) ?? false {
                    report(.alterIndexedColumnType, s, "changes the type of \"\(table)\".\"\(column)\", which is indexed or a key, to \(newType)")
                } else {
                    report(.alterColumnType, s, "changes the type of \"\(table)\".\"\(column)\"\(oldType.map { " from \($0)" } ?? "") to \(newType)")
                }
                if let oldType, oldType.isNarrowed(to: newType) {
                    report(.destructiveChange, s, "narrows \"\(table)\".\"\(column)\" from \(oldType) to \(newType): longer or larger values fail or are lost")
                } else if oldType == nil, case .integer(let bits, _) = newType, bits < 64, Self.isIdLike(column) {
                    // unknown old type: an id-like column going to a small integer is narrowing by our rules anyway
                }
                if case .integer(let bits, let serial) = newType, bits < 64,
                   Self.isIdLike(column) || (facts?.primaryKey.contains(column) ?? false) {
                    report(.int32Id, s, "\"\(table)\".\"\(column)\" becomes \(LintSchema.ColumnType.integer(bits: bits, serial: serial)); ids need 64 bits")
                }
            default:
                break
            }
        }
    }
}
