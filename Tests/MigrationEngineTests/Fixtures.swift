import Foundation
import MigrationEngine
import Testing

/// Foundation has an `Operation` too.
typealias Operation = MigrationEngine.Operation

/// The tutorial's models, declared as Sources/BankApp/Models.swift does (this target does not
/// depend on BankApp): the committed 0001_initial.sql must come out of them byte for byte.
enum Fixtures {
    static let app = "myproject"

    static let bank: [Model] = [
        Model("Customers") {
            AutoField("id", primaryKey: true)
            CharField("name", maxLength: 250)
        },
        Model("Products") {
            AutoField("id", primaryKey: true)
            CharField("name", maxLength: 250)
            DecimalField("price", maxDigits: 18, decimalPlaces: 2)
        },
        Model("Orders") {
            AutoField("id", primaryKey: true)
            DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
            ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true)
            ManyToManyField("product", to: "Products")
        },
    ]

    static func state(_ models: [Model]) throws -> ProjectState {
        try ModelValidation.state(appLabel: app, models: models)
    }

    /// A new empty folder under /tmp, removed by the caller's `defer`.
    static func temporaryDirectory() -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("mig-test-\(UUID().uuidString.prefix(12))", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func remove(_ url: URL) { try? FileManager.default.removeItem(at: url) }

    /// makemigrations without questions; returns the written file's name (nil: no changes).
    @discardableResult
    static func makeMigration(_ models: [Model], in directory: URL, name: String? = nil, empty: Bool = false,
                              questioner: Questioner = NonInteractiveQuestioner()) throws -> String? {
        let outcome = try MakeMigrations.run(appLabel: app, models: models, directory: directory,
                                             options: .init(name: name, empty: empty), questioner: questioner, output: { _ in })
        if case .migration(let fileName, _, _) = outcome { return fileName }
        return nil
    }

    /// Replaces the SQL parts of a migration file, keeping its header.
    static func rewrite(_ directory: URL, _ fileName: String, up: String, down: String) throws {
        let url = directory.appendingPathComponent(fileName)
        let text = try String(contentsOf: url, encoding: .utf8)
        let header = text.components(separatedBy: "\n-- migrate:up\n")[0]
        try Data((header + "\n-- migrate:up\n" + up + "\n-- migrate:down\n/*\n" + down + "\n*/\n").utf8).write(to: url)
    }

    /// The package's Migrations folder.
    static var committedMigrations: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Migrations")
    }
}

/// Lines collected from an `output` closure, safe across threads.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ line: String) { lock.lock(); storage.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return storage }
    var text: String { all.joined(separator: "\n") }
}

/// Answers for an interactive questioner, and the prompts it wrote.
final class ScriptedInput: @unchecked Sendable {
    var answers: [String]
    var prompts = ""
    init(_ answers: [String]) { self.answers = answers }
    var questioner: InteractiveQuestioner {
        InteractiveQuestioner(readLine: { self.answers.isEmpty ? nil : self.answers.removeFirst() }, write: { self.prompts += $0 })
    }
}

/// Answers "Ignore for now" when a nullable field turns NOT NULL (the existing NULLs are the
/// user's to handle), and passes every other question on.
struct IgnoringNullAlterations: Questioner {
    var answers: Questioner
    func askRenameModel(app: String, from old: ModelState, to new: ModelState) -> Bool { answers.askRenameModel(app: app, from: old, to: new) }
    func askRenameField(app: String, model: ModelState, from old: FieldState, to new: FieldState) -> Bool {
        answers.askRenameField(app: app, model: model, from: old, to: new)
    }
    func askNotNullAddition(app: String, model: ModelState, field: FieldState) throws -> FieldDefault {
        try answers.askNotNullAddition(app: app, model: model, field: field)
    }
    func askNotNullAlteration(app: String, model: ModelState, field: FieldState) throws -> FieldDefault? { nil }
    func askMerge(app: String, overlapping: [String]) throws -> Bool { try answers.askMerge(app: app, overlapping: overlapping) }
}
