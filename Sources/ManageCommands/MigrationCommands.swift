import ArgumentParser
import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import MigrationEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the migration files are: each app's folder, the first app's (the default app's) being
/// `--migrations-dir` or else `MIGRATIONS_DIR` when given (the bank's `./Migrations` otherwise).
public struct MigrationsDirectoryOption: ParsableArguments {
    @Option(name: .customLong("migrations-dir"), help: "The first app's migrations folder (default: $MIGRATIONS_DIR, else the app's own, ./Migrations for the bank).")
    var path: String?

    public init() {}

    /// The first app's folder.
    public var url: URL { apps[0].migrationsDirectory }

    /// The project's apps, the first with its folder as given.
    var apps: [MigrationApp] {
        var apps = ManageProject.current.apps
        if let path = self.path ?? ProcessInfo.processInfo.environment["MIGRATIONS_DIR"].flatMap({ $0.isEmpty ? nil : $0 }) {
            apps[0].migrationsDirectory = URL(fileURLWithPath: path)
        }
        return apps
    }

    /// The other apps' folders, loaded with the first's so that dependencies across apps resolve.
    var others: [URL] { apps.dropFirst().map(\.migrationsDirectory) }

    /// The folder of the app with this label (the first app's when nil).
    func url(of label: String?) -> URL { apps.first { $0.label == label }?.migrationsDirectory ?? url }

    /// The folders of every app but `label`'s.
    func others(than label: String?) -> [URL] {
        let own = url(of: label)
        return apps.map(\.migrationsDirectory).filter { $0 != own }
    }
}

/// Prints a failure as Django does ("CommandError: ..."), on one line, and exits non-zero.
func commandFailure(_ error: Error) -> ExitCode {
    let message = String(describing: error).split(separator: "\n").joined(separator: " ")
    Output.standardError("CommandError: \(message)\n")
    return ExitCode(1)
}

/// Checks that the app labels named on the command line are the project's.
func checkAppLabels(_ labels: [String]) throws {
    let apps = ManageProject.current.apps.map(\.label)
    for label in labels where !apps.contains(label) {
        let known = apps.count == 1 ? "The only app is '\(apps[0])'." : "The apps are \(apps.map { "'\($0)'" }.joined(separator: ", "))."
        throw ValidationError("App '\(label)' could not be found. Is it in INSTALLED_APPS? (\(known))")
    }
}

struct MakeMigrationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "makemigrations",
        abstract: "Creates new migrations from the changes to the model declarations.",
        discussion: "Needs no database: the current state comes from replaying the files in the migrations folder."
    )

    @Argument(help: "App labels (default: every app, in the order the project declares them).") var appLabels: [String] = []
    @OptionGroup var directory: MigrationsDirectoryOption
    @Option(name: [.short, .customLong("name")], help: "The migration's name, after its number.") var name: String?
    @Flag(help: "Create an empty migration to write by hand.") var empty = false
    @Flag(name: .customLong("dry-run"), help: "Show what would be written; write nothing.") var dryRun = false
    @Flag(help: "Exit 1 if the models have changes no migration holds; write nothing.") var check = false
    @Flag(name: [.customLong("no-input"), .customLong("noinput")], help: "Ask nothing: no renames, no one-off defaults.") var noInput = false
    @Option(name: .customLong("rename"), help: ArgumentHelp("Answer yes to a rename question: Old=New for a model, model.old=new for a field.", valueName: "rename"))
    var renames: [String] = []
    @Option(name: .customLong("default"), help: ArgumentHelp("A one-off value for existing rows of a new NOT NULL field, or for the NULLs of a field turned NOT NULL: model.field=value.", valueName: "default"))
    var defaults: [String] = []
    @Option(name: [.short, .customLong("verbosity")], help: "3 prints the file on a dry run.") var verbosity = 1
    @Flag(help: "Write a merge migration for two branches' migrations (two leaves in the graph).") var merge = false

    func run() throws {
        try checkAppLabels(appLabels)
        do {
            let fallback: Questioner = noInput || isatty(0) == 0 ? NonInteractiveQuestioner() : InteractiveQuestioner()
            let questioner = ScriptedQuestioner(renames: renames, defaults: try ScriptedQuestioner.parseDefaults(defaults), fallback: fallback)
            let nothing: Set<String> = ["No changes detected", "No conflicts detected to merge."]
            var quiet: [String] = []
            // Each app in turn, an app after those whose new models its relations name, so that
            // it depends on the migration just made for them. Each app's "nothing to do" is said
            // once, for all of them, as Django says it.
            let outcomes = try MakeMigrations.run(
                apps: appLabels, among: directory.apps,
                options: .init(name: name, empty: empty, dryRun: dryRun, check: check, verbosity: verbosity, merge: merge),
                questioner: questioner, output: { line in nothing.contains(line) ? quiet.append(line) : writeLine(line) })
            let changes = outcomes.contains { $0.outcome.hasChanges }
            if !changes, let line = quiet.first { writeLine(line) }
            if check && changes { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw commandFailure(error)
        }
    }
}

/// The database: `DATABASE_URL`, else the tutorial's default.
var databaseURL: String { ConnectionString.fromEnvironment() }

/// One connection before a command that needs the database prints anything, so an unreachable
/// database or a wrong password is one redacted CommandError line, not Django's "Operations to
/// perform" header followed by an error.
func requireDatabase() throws {
    do {
        try Connection.checkReachable(databaseURL)
    } catch {
        throw commandFailure(error)
    }
}

func writeLine(_ line: String) {
    Output.standardOutput(line + "\n")
}

/// The log format and level of `manage` commands other than runserver: LOG_FORMAT (text or json)
/// and LOG_LEVEL, as the server reads them. Warnings and errors go to standard error as log lines.
func bootstrapCommandLogging() throws -> ManageLogFormat {
    let environment = ProcessInfo.processInfo.environment
    let format = try environment["LOG_FORMAT"].map { text in
        guard let format = ManageLogFormat(rawValue: text.trimmingSpaces().lowercased()) else {
            throw ManageError(description: "LOG_FORMAT must be text or json, got '\(text)'")
        }
        return format
    } ?? .text
    let level = environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    let handler = ManageProject.current.logHandler
    LoggingSystem.bootstrap { handler($0, format, level) }
    return format
}

/// `migrate`'s progress: Django's lines on standard output, and with LOG_FORMAT=json also one
/// log object per line on standard error (step, time, duration), for log collectors.
func migrationProgress(_ logger: Logger, format: ManageLogFormat) -> (String) -> Void {
    let started = ContinuousClock.now
    return { line in
        writeLine(line)
        guard format == .json else { return }
        let elapsed = ContinuousClock.now - started
        logger.info("\(line.trimmingSpaces())", metadata: ["elapsed_ms": .stringConvertible(Int(elapsed.seconds * 1000))])
    }
}

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Updates the database schema: applies pending migrations, or moves to a target.",
        discussion: """
            With no arguments, applies every pending migration. `migrate myproject 0002` moves forward or \
            backward to that migration (backward runs the down parts); `migrate myproject zero` unapplies all.
            """
    )

    @Argument(help: "The app label (default: every app).") var appLabel: String?
    @Argument(help: "A migration name or unique prefix (0002), or 'zero'.") var migrationName: String?
    @OptionGroup var directory: MigrationsDirectoryOption
    @Flag(help: "Print the operations that would run; change nothing.") var plan = false
    @Flag(name: .customLong("check"), help: "Exit 1 when migrations are unapplied; apply nothing (for deploy scripts).") var checkUnapplied = false
    @Flag(help: "Record the migrations as applied (or unapplied) without running their SQL.") var fake = false
    @Flag(name: .customLong("fake-initial"),
          help: "Record the initial migration without running it when all its tables exist already (refused when only some do, or their columns differ).")
    var fakeInitial = false
    @Option(name: .customLong("lock-timeout"), help: "Seconds to wait for another migrate to finish.") var lockTimeout = 600
    @Option(name: .customLong("lock-lease"),
            help: "Seconds the lock stays ours without a heartbeat: how soon another migrate takes over after this one is killed (default $MIGRATION_LOCK_LEASE or 60).")
    var lockLease: Int?
    @Option(help: "auto (statement by statement on CockroachDB, one transaction per migration otherwise), transaction, or statement (force CockroachDB's mode, to test it on PostgreSQL).")
    var mode: ExecutionMode = .auto

    enum ExecutionMode: String, ExpressibleByArgument, CaseIterable {
        case auto, transaction, statement
        var strategy: ExecutionStrategy? {
            switch self {
            case .auto: nil
            case .transaction: .singleTransaction
            case .statement: .statementByStatement
            }
        }
    }

    func run() throws {
        if let appLabel { try checkAppLabels([appLabel]) }
        let leaseSeconds = lockLease ?? ProcessInfo.processInfo.environment["MIGRATION_LOCK_LEASE"].flatMap { Int($0) } ?? 60
        guard leaseSeconds >= 1 else { throw ValidationError("--lock-lease must be at least 1 second.") }
        let target: MigrationTarget = switch migrationName {
        case nil: .latest
        case "zero"?: .zero
        case let name?: .named(name)
        }
        let format: ManageLogFormat
        do {
            format = try bootstrapCommandLogging()
        } catch {
            throw commandFailure(error)
        }
        try requireDatabase()
        let output = migrationProgress(Logger(label: "manage.migrate"), format: format)
        do {
            if plan {
                let steps = try Migrator.plan(connectionString: databaseURL, directory: directory.url, others: directory.others,
                                              to: target, app: appLabel, output: writeLine)
                if checkUnapplied && !steps.isEmpty { throw ExitCode(1) }
            } else if checkUnapplied {
                // Django's --check: silent, the exit status says it.
                let steps = try Migrator.pendingSteps(connectionString: databaseURL, directory: directory.url, others: directory.others,
                                                      to: target, app: appLabel)
                if !steps.isEmpty { throw ExitCode(1) }
            } else {
                try Migrator.migrate(connectionString: databaseURL, directory: directory.url, others: directory.others, to: target, app: appLabel,
                                     fake: fake, fakeInitial: fakeInitial, lockTimeout: .seconds(lockTimeout),
                                     lockLease: .seconds(leaseSeconds),
                                     strategy: mode.strategy, output: output)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw commandFailure(error)
        }
    }
}

struct ShowMigrationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "showmigrations",
        abstract: "Lists the migrations and whether each is applied ([X]), not ([ ]), or partly ([~], a statement-by-statement run that stopped midway)."
    )

    @Argument(help: "App labels (default: every app in the history, Django's own included).") var appLabels: [String] = []
    @OptionGroup var directory: MigrationsDirectoryOption
    @Flag(name: [.short, .customLong("list")], help: "Each app's migrations and whether they are applied (the default).") var list = false
    @Flag(name: [.short, .customLong("plan")],
          help: "Every migration in the order migrate applies them ([X]  myproject.0001_initial); with -v 2, each one's parents.")
    var plan = false
    @Option(name: [.short, .customLong("verbosity")], help: "2 shows each migration's parents with --plan.") var verbosity = 1

    func validate() throws {
        if list && plan { throw ValidationError("--list and --plan cannot be used together.") }
    }

    func run() throws {
        try requireDatabase()
        do {
            if plan {
                try Migrator.showPlan(connectionString: databaseURL, directory: directory.url, others: directory.others, apps: appLabels,
                                      verbosity: verbosity)
                    .forEach(writeLine)
                return
            }
            for app in appLabels.isEmpty ? [nil] : appLabels.map(Optional.some) {
                let lines = try Migrator.showMigrations(connectionString: databaseURL, directory: directory.url, others: directory.others, app: app)
                if lines.isEmpty, let app {
                    throw ValidationError("App '\(app)' could not be found: it has no migrations here and none in the history.")
                }
                lines.forEach(writeLine)
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw commandFailure(error)
        }
    }
}

struct SquashMigrationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "squashmigrations",
        abstract: "Squashes an app's migrations up to a given one into a new migration that replaces them. Needs no database.",
        discussion: """
            `squashmigrations myproject 0004` writes 0001_squashed_0004_<name>.sql, which replaces 0001 to 0004 with their \
            operations optimised (a model created then given a field is one CREATE TABLE; a field added then removed is \
            nothing). A new database applies it alone; one that has the originals counts it as applied. Keep the \
            originals until every database has them applied, then delete them.
            """
    )

    @Argument(help: "The app label ('myproject' for the bank).") var appLabel: String
    @Argument(help: "The first migration to squash (default: the app's first), then the last.") var names: [String]
    @OptionGroup var directory: MigrationsDirectoryOption
    @Flag(name: .customLong("no-optimize"), help: "Do not optimise the operations.") var noOptimize = false
    @Flag(name: [.customLong("no-input"), .customLong("noinput")], help: "Ask nothing.") var noInput = false
    @Option(name: .customLong("squashed-name"), help: "The name of the squashed migration, after its number.") var squashedName: String?

    func validate() throws {
        guard (1...2).contains(names.count) else { throw ValidationError("Give the last migration to squash, or the first and the last.") }
    }

    func run() throws {
        try checkAppLabels([appLabel])
        let interactive = !noInput && isatty(0) != 0
        do {
            try SquashMigrations.squash(
                directory: directory.url(of: appLabel), others: directory.others(than: appLabel), app: appLabel, end: names[names.count - 1], start: names.count == 2 ? names[0] : nil,
                squashedName: squashedName, optimize: !noOptimize,
                proceed: {
                    guard interactive else { return true }
                    Output.standardOutput("Do you wish to proceed? [y/N] ")
                    return ["y", "yes"].contains(readLine()?.trimmingSpaces().lowercased() ?? "")
                },
                output: writeLine)
        } catch {
            throw commandFailure(error)
        }
    }
}

struct OptimizeMigrationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimizemigration",
        abstract: "Optimises one migration's operations and writes its file again (before it is applied anywhere). Needs no database."
    )

    @Argument(help: "The app label ('myproject' for the bank).") var appLabel: String
    @Argument(help: "A migration name or unique prefix (0002).") var migrationName: String
    @OptionGroup var directory: MigrationsDirectoryOption
    @Flag(help: "Exit 1 when the migration can be optimised; write nothing.") var check = false

    func run() throws {
        try checkAppLabels([appLabel])
        let optimizable: Bool
        do {
            optimizable = try SquashMigrations.optimizeMigration(directory: directory.url(of: appLabel), others: directory.others(than: appLabel),
                                                                 app: appLabel, name: migrationName,
                                                                 check: check, output: writeLine)
        } catch {
            throw commandFailure(error)
        }
        if check && optimizable { throw ExitCode(1) }
    }
}

struct SQLMigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sqlmigrate",
        abstract: "Prints the SQL of a migration (its down part with --backwards). Needs no database."
    )

    @Argument(help: "The app label ('myproject' for the bank).") var appLabel: String
    @Argument(help: "A migration name or unique prefix (0001).") var migrationName: String
    @OptionGroup var directory: MigrationsDirectoryOption
    @Flag(help: "Print the SQL that unapplies the migration.") var backwards = false

    func run() throws {
        try checkAppLabels([appLabel])
        do {
            writeLine(try Migrator.sql(directory: directory.url, others: directory.others, migration: migrationName, app: appLabel,
                                       backwards: backwards))
        } catch {
            throw commandFailure(error)
        }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Checks the models and the database: exits 1 on changes no migration holds, or schema drift.",
        discussion: """
            Checks that the model declarations are valid and have no changes missing from the migrations, \
            then (unless --skip-database) that the live schema matches what the applied migrations describe.
            """
    )

    @OptionGroup var directory: MigrationsDirectoryOption
    @Flag(name: .customLong("skip-database"), help: "Check the declarations and files only.") var skipDatabase = false

    func run() throws {
        var problems: [String] = []
        if !skipDatabase { try requireDatabase() }
        do {
            for app in directory.apps {
                let pending = try MakeMigrations.pendingOperations(appLabel: app.label, models: app.models, directory: app.migrationsDirectory,
                                                                   others: directory.others(than: app.label))
                if !pending.isEmpty {
                    problems.append("Your models in app '\(app.label)' have changes that are not yet reflected in a migration (run 'manage makemigrations'):")
                    problems += pending.map { "  - \($0.description)" }
                }
            }
            if !skipDatabase {
                let drift = try Migrator.schemaDifferences(connectionString: databaseURL, directory: directory.url, others: directory.others)
                if !drift.isEmpty {
                    problems.append("The database schema differs from what the applied migrations describe:")
                    problems += drift.map { "  - \($0.description)" }
                    if drift.contains(where: { $0.fix != nil }) {
                        problems.append("'manage sqlalign' prints the SQL that brings the database in line (review it, then run it with psql).")
                    }
                }
                let unapplied = try Migrator.unappliedMigrations(connectionString: databaseURL, directory: directory.url, others: directory.others)
                if !unapplied.isEmpty {
                    writeLine("Note: \(unapplied.count) unapplied migration(s): \(unapplied.joined(separator: ", ")). Run 'manage migrate' to apply them.")
                }
            }
        } catch {
            throw commandFailure(error)
        }
        if problems.isEmpty {
            writeLine("System check identified no issues (0 silenced).")
        } else {
            for line in problems { Output.standardError(line + "\n") }
            throw ExitCode(1)
        }
    }
}

struct SQLAlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sqlalign",
        abstract: "Prints the SQL that brings the live schema in line with the applied migrations. Runs nothing.",
        discussion: """
            For a database another tool built, such as the Python tutorial's Django app: widens integer ids to \
            BIGINT (PostgreSQL; on CockroachDB they are INT8 already), recreates foreign keys with the ON DELETE \
            rule the migrations say (Django 5.2 leaves them NO ACTION and cascades in Python), and adds missing \
            indexes. What it cannot mend is listed as comments. Review the SQL, then run it: \
            manage sqlalign | psql "$DATABASE_URL". On PostgreSQL it is one transaction.
            """
    )

    @OptionGroup var directory: MigrationsDirectoryOption

    func run() throws {
        try requireDatabase()
        do {
            writeLine(try Migrator.alignmentSQL(connectionString: databaseURL, directory: directory.url, others: directory.others))
        } catch {
            throw commandFailure(error)
        }
    }
}

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Checks migration files for SQL that is unsafe on CockroachDB. Needs no database.",
        discussion: """
            Lints every file in the migrations folder, or the named ones (a name, a unique prefix such as 0002, \
            or a file name), hand-edited files included; each file is read against the ones migrate applies before \
            it, whatever their app (column types, indexes). Findings name the file and line, the statement, the rule and the fix. \
            Silence a rule with a comment: "-- lint: allow <rule-id>" right before a statement (that statement), \
            or in the header before "-- migrate:up" (the whole file). \
            Exit status: 0, unless --check and an error was found (or --strict and any finding).
            """
    )

    @Argument(help: "Migrations to lint (default: all).") var migrations: [String] = []
    @OptionGroup var directory: MigrationsDirectoryOption
    @Flag(help: "Exit 1 when an error is found (for CI).") var check = false
    @Flag(help: "With --check, warnings fail too.") var strict = false
    @Flag(help: "List the rules and exit.") var rules = false

    func run() throws {
        if rules {
            for rule in LintRule.all {
                writeLine("\(rule.id) (\(rule.severity.rawValue)\(rule.checksDownPart ? "" : ", up part only")): \(rule.summary)")
                writeLine("    fix: \(rule.fix)")
            }
            return
        }
        let result: (files: [String], findings: [LintFinding])
        do {
            // Every app's folder, in the order migrate applies them; named files are the first app's.
            result = try MigrationLinter.lintProject(directory.apps.map(\.migrationsDirectory), only: migrations)
        } catch {
            throw commandFailure(error)
        }
        for finding in result.findings { writeLine(finding.description) }
        let errors = result.findings.filter { $0.severity == .error }.count
        let warnings = result.findings.count - errors
        writeLine("Linted \(result.files.count) migration(s): \(errors) error(s), \(warnings) warning(s).")
        if check && (errors > 0 || (strict && warnings > 0)) { throw ExitCode(1) }
    }
}

/// A refusal of the command line or the environment, printed as a CommandError line.
struct ManageError: Error, CustomStringConvertible {
    var description: String
}
