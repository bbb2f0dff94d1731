import ArgumentParser
import BankApp
import Database
import Foundation
import MigrationEngine

/// Where the migration files are: `--migrations-dir`, else `MIGRATIONS_DIR`, else `./Migrations`.
struct MigrationsDirectoryOption: ParsableArguments {
    @Option(name: .customLong("migrations-dir"), help: "The migrations folder (default: $MIGRATIONS_DIR or ./Migrations).")
    var path: String?

    var url: URL {
        let path = self.path ?? ProcessInfo.processInfo.environment["MIGRATIONS_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "Migrations"
        return URL(fileURLWithPath: path)
    }
}

/// Prints a failure as Django does ("CommandError: ..."), on one line, and exits non-zero.
func commandFailure(_ error: Error) -> ExitCode {
    let message = String(describing: error).split(separator: "\n").joined(separator: " ")
    FileHandle.standardError.write(Data("CommandError: \(message)\n".utf8))
    return ExitCode(1)
}

/// Checks that the app labels named on the command line are the bank's.
func checkAppLabels(_ labels: [String]) throws {
    for label in labels where label != BankModels.appLabel {
        throw ValidationError("App '\(label)' could not be found. Is it in INSTALLED_APPS? (The only app is '\(BankModels.appLabel)'.)")
    }
}

struct MakeMigrationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "makemigrations",
        abstract: "Creates new migrations from the changes to the model declarations.",
        discussion: "Needs no database: the current state comes from replaying the files in the migrations folder."
    )

    @Argument(help: "App labels (only 'myproject').") var appLabels: [String] = []
    @OptionGroup var directory: MigrationsDirectoryOption
    @Option(name: [.short, .customLong("name")], help: "The migration's name, after its number.") var name: String?
    @Flag(help: "Create an empty migration to write by hand.") var empty = false
    @Flag(name: .customLong("dry-run"), help: "Show what would be written; write nothing.") var dryRun = false
    @Flag(help: "Exit 1 if the models have changes no migration holds; write nothing.") var check = false
    @Flag(name: [.customLong("no-input"), .customLong("noinput")], help: "Ask nothing: no renames, no one-off defaults.") var noInput = false
    @Option(name: .customLong("rename"), help: ArgumentHelp("Answer yes to a rename question: Old=New for a model, model.old=new for a field.", valueName: "rename"))
    var renames: [String] = []
    @Option(name: .customLong("default"), help: ArgumentHelp("A one-off value for existing rows of a new NOT NULL field: model.field=value.", valueName: "default"))
    var defaults: [String] = []
    @Option(name: [.short, .customLong("verbosity")], help: "3 prints the file on a dry run.") var verbosity = 1

    func run() throws {
        try checkAppLabels(appLabels)
        do {
            let fallback: Questioner = noInput || isatty(0) == 0 ? NonInteractiveQuestioner() : InteractiveQuestioner()
            let questioner = ScriptedQuestioner(renames: renames, defaults: try ScriptedQuestioner.parseDefaults(defaults), fallback: fallback)
            let outcome = try MakeMigrations.run(
                appLabel: BankModels.appLabel, models: BankModels.all, directory: directory.url,
                options: .init(name: name, empty: empty, dryRun: dryRun, check: check, verbosity: verbosity),
                questioner: questioner)
            if check && outcome.hasChanges { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw commandFailure(error)
        }
    }
}

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate")
}
struct ShowMigrationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "showmigrations")
}
struct SQLMigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sqlmigrate")
}
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check")
}
