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
        try lintProject([directory], only: only)
    }

    /// Lints the migrations of a project's app folders (all of them, or the first folder's whose
    /// name, prefix or file name is in `only`) in the order `migrate` applies them on a new
    /// database (the migration graph's, across apps and merges), each against the schema the
    /// ones applied before it made, whatever their app. A squashed migration's originals are
    /// read against the schema before it. Files the graph cannot be read from (unparseable, a
    /// gap, a missing dependency) are linted in name order, folder by folder, as they come.
    public static func lintProject(_ directories: [URL], only: [String] = []) throws -> (files: [String], findings: [LintFinding]) {
        let names = try directories.map { directory in
            FileManager.default.fileExists(atPath: directory.path)
                ? try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted() : []
        }
        var selected: Set<String> = []
        for wanted in only {
            let base = wanted.hasSuffix(".sql") ? String(wanted.dropLast(4)) : wanted
            let matches = (names.first ?? []).filter { $0 == base + ".sql" || $0.hasPrefix(base) }
            let exact = matches.filter { $0 == base + ".sql" }
            guard !matches.isEmpty else { throw MigrationStateError(description: "No migration file matches '\(wanted)' in \(MakeMigrations.displayPath(directories[0])).") }
            guard exact.count == 1 || matches.count == 1 else {
                throw MigrationStateError(description: "More than one migration matches '\(wanted)': \(matches.joined(separator: ", ")). Please be more specific.")
            }
            selected.insert(exact.first ?? matches[0])
        }
        var files: [String] = [], findings: [LintFinding] = [], done: Set<URL> = []
        func visit(_ directory: URL, _ name: String, _ schema: inout LintSchema) {
            let url = directory.appendingPathComponent(name)
            guard done.insert(url).inserted else { return }
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            if only.isEmpty || (directory == directories[0] && selected.contains(name)) {
                files.append(name)
                findings += lint(text, file: MakeMigrations.displayPath(url), schema: &schema)
            } else {
                learn(text, into: &schema)
            }
        }
        var schema = LintSchema()
        if let loaded = try? MigrationLoader.loadGraph(directories: directories) {
            for migration in loaded.ordered {
                // The originals stand where their squash does, on a copy of the schema before it.
                var before = schema
                for original in migration.replaces.compactMap({ loaded.byKey[$0] }) {
                    if let directory = loaded.directory(of: original.app) { visit(directory, original.fileName, &before) }
                }
                if let directory = loaded.directory(of: migration.app) { visit(directory, migration.fileName, &schema) }
            }
        }
        for (directory, folder) in zip(directories, names) {
            for name in folder { visit(directory, name, &schema) }
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
        let sections = sections(text)
        var findings = UnreadableFile.finding(text, file: file).map { [$0] } ?? []
        // File-wide directives.
        var header = LintStatement(tokens: [], line: 1, allowed: [])
        for comment in SQLLexer.tokens(sections.header.joined(separator: "\n"), firstLine: 1) where comment.kind == .comment {
            header.apply(comment)
        }
        for bad in header.badDirectives where !header.allowed.contains(UnknownDirective.rule.id) {
            findings.append(LintFinding(rule: UnknownDirective.rule, file: file, line: bad.line, statement: "-- \(bad.text)",
                                        message: "not a known lint directive"))
        }
        if let up = sections.up {
            var pass = Pass(file: file, fileAllowed: header.allowed, downPart: false)
            findings += pass.run(LintStatement.split(SQLLexer.tokens(up.text, firstLine: up.firstLine)), schema: &schema)
        }
        if let down = sections.down {
            var scratch = schema
            var pass = Pass(file: file, fileAllowed: header.allowed, downPart: true)
            findings += pass.run(LintStatement.split(SQLLexer.tokens(down.text, firstLine: down.firstLine)), schema: &scratch)
        }
        return findings.sorted { ($0.line, $0.rule.id) < ($1.line, $1.rule.id) }
    }

    // MARK: - The rules

    /// Every rule's check, in the order they look at each statement (findings are sorted by
    /// line and rule afterwards). `LintRule.all` lists the rules for people.
    static let checks: [any LintCheck.Type] = [
        UnknownDirective.self, ExplicitTransaction.self, SchemaChangesInTransaction.self, DDLAfterWrite.self,
        Deferrable.self, AdvisoryLock.self, ConcurrentIndex.self, EnumValueUsed.self, DestructiveChange.self,
        Int32Id.self, AlterIndexedColumnType.self, AlterColumnType.self, PrimaryKeyChange.self, JSONBIndex.self,
    ]

    /// One pass over the statements of one part of a file: every check sees every statement, in
    /// order, and the schema learns from each statement of the up part after the checks.
    struct Pass {
        var file: String
        var fileAllowed: Set<String>
        var downPart: Bool
        var checks: [any LintCheck] = MigrationLinter.checks.map { $0.init() }

        init(file: String, fileAllowed: Set<String>, downPart: Bool) {
            self.file = file
            self.fileAllowed = fileAllowed
            self.downPart = downPart
        }

        mutating func run(_ statements: [LintStatement], schema: inout LintSchema) -> [LintFinding] {
            var findings: [LintFinding] = []
            for s in statements {
                findings += check(s, schema: schema)
                if !downPart { schema.absorb(s) }
            }
            return findings
        }

        /// The findings of every check on one statement, those its part and directives silence left out.
        mutating func check(_ s: LintStatement, schema: LintSchema) -> [LintFinding] {
            var context = LintContext(schema: schema)
            for i in checks.indices { checks[i].check(s, &context) }
            var findings = context.unsilenceable.map {
                LintFinding(rule: $0.rule, file: file, line: $0.line, statement: $0.statement, message: $0.message)
            }
            for (rule, message) in context.reports where isReported(rule, s) {
                let where_ = downPart ? " (in the down part)" : ""
                findings.append(LintFinding(rule: rule, file: file, line: s.line, statement: s.preview, message: message + where_))
            }
            return findings
        }

        /// Whether a finding of `rule` on `s` is reported: the down part is checked by some rules
        /// only, and a directive in the header or at the statement silences its rule.
        func isReported(_ rule: LintRule, _ s: LintStatement) -> Bool {
            if downPart && !rule.checksDownPart { return false }
            return !fileAllowed.contains(rule.id) && !s.allowed.contains(rule.id)
        }
    }
}
