#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every question makemigrations may ask, in one place (Django's `MigrationQuestioner`).
///
/// - `InteractiveQuestioner` asks on a terminal ("Did you rename ...? [y/N]").
/// - `NonInteractiveQuestioner` (`--no-input`) answers no to renames and refuses a NOT NULL
///   field that has no default, as Django does.
/// - `ScriptedQuestioner` answers from explicit answers (`--rename`, `--default`) and passes
///   every other question on.
public protocol Questioner {
    /// Whether model `old` was renamed to `new` (same fields, new name).
    func askRenameModel(app: String, from old: ModelState, to new: ModelState) -> Bool
    /// Whether field `old` of `model` was renamed to `new` (same definition, new name).
    func askRenameField(app: String, model: ModelState, from old: FieldState, to new: FieldState) -> Bool
    /// A value for existing rows when a NOT NULL field without a default is added to a model.
    func askNotNullAddition(app: String, model: ModelState, field: FieldState) throws -> FieldDefault
    /// Whether to merge two branches that both change `overlapping` (`model.field`s, or whole
    /// models); MergeMigration.swift holds the answers.
    func askMerge(app: String, overlapping: [String]) throws -> Bool
    /// A value for the existing NULLs when a nullable field without a default turns NOT NULL, or
    /// nil to leave them to be handled by hand before `migrate` (Django's "Ignore for now").
    func askNotNullAlteration(app: String, model: ModelState, field: FieldState) throws -> FieldDefault?
}

/// Asked questions that cannot be answered: makemigrations stops, writing nothing.
public struct QuestionerError: Error, CustomStringConvertible {
    public var description: String
}

extension Questioner {
    static func notNullMessage(model: ModelState, field: FieldState) -> String {
        "It is impossible to add a non-nullable field '\(field.name)' to \(model.key) without specifying a default. "
            + "This is because the database needs something to populate existing rows."
    }

    static func notNullAlterationMessage(model: ModelState, field: FieldState) -> String {
        "It is impossible to change a nullable field '\(field.name)' on \(model.key) to non-nullable without providing a default. "
            + "This is because the database needs something to populate existing rows."
    }

    /// The value a person typed for a field's one-off default, or nil if it does not fit the type.
    /// What it means is the field kind's to say (`FieldType.parseDefault`).
    static func parseDefault(_ text: String, for field: FieldState) -> FieldDefault? {
        field.kind.type.parseDefault(text.trimmingSpaces())
    }
}

/// Answers every question the way Django's `--no-input` does: no renames, and no NOT NULL field
/// without a default.
public struct NonInteractiveQuestioner: Questioner {
    public init() {}
    public func askRenameModel(app: String, from old: ModelState, to new: ModelState) -> Bool { false }
    public func askRenameField(app: String, model: ModelState, from old: FieldState, to new: FieldState) -> Bool { false }
    public func askNotNullAddition(app: String, model: ModelState, field: FieldState) throws -> FieldDefault {
        throw QuestionerError(description: Self.notNullMessage(model: model, field: field)
            + " Give the field a default or null: true, or pass --default \(model.key).\(field.name)=VALUE.")
    }
    public func askNotNullAlteration(app: String, model: ModelState, field: FieldState) throws -> FieldDefault? {
        throw QuestionerError(description: Self.notNullAlterationMessage(model: model, field: field)
            + " Give the field a default or keep null: true, or pass --default \(model.key).\(field.name)=VALUE.")
    }
}

/// Asks on a terminal: reads answers with `readLine`, writes prompts with `write`.
public struct InteractiveQuestioner: Questioner {
    let readLine: () -> String?
    let write: (String) -> Void

    public init(readLine: @escaping () -> String? = { Swift.readLine() }, write: @escaping (String) -> Void = { print($0, terminator: "") }) {
        self.readLine = readLine
        self.write = write
    }

    public func askRenameModel(app: String, from old: ModelState, to new: ModelState) -> Bool {
        yesNo("Did you rename the \(app).\(old.name) model to \(new.name)? [y/N] ")
    }

    public func askRenameField(app: String, model: ModelState, from old: FieldState, to new: FieldState) -> Bool {
        yesNo("Did you rename \(model.key).\(old.name) to \(model.key).\(new.name) (\(new.article))? [y/N] ")
    }

    public func askNotNullAddition(app: String, model: ModelState, field: FieldState) throws -> FieldDefault {
        write(Self.notNullMessage(model: model, field: field) + "\n")
        write("Please select a fix:\n")
        write(" 1) Provide a one-off default now (will be set on all existing rows)\n")
        write(" 2) Quit, and add a default or null: true to the field's declaration\n")
        while true {
            write("Select an option: ")
            guard let answer = readLine()?.trimmingSpaces() else { break }
            if answer == "2" { break }
            guard answer == "1" else { write("Please select a valid option.\n"); continue }
            while true {
                write("Please enter the default value for \(field.name) (\(field.kind.typeName)\(field.kind.type.defaultPromptHint)): ")
                guard let text = readLine() else { throw QuestionerError(description: "no default given for \(model.key).\(field.name)") }
                if let value = Self.parseDefault(text, for: field) { return value }
                write("That is not a valid \(field.kind.typeName) value.\n")
            }
        }
        throw QuestionerError(description: "no default given for \(model.key).\(field.name)")
    }

    public func askNotNullAlteration(app: String, model: ModelState, field: FieldState) throws -> FieldDefault? {
        write(Self.notNullAlterationMessage(model: model, field: field) + "\n")
        write("Please select a fix:\n")
        write(" 1) Provide a one-off default now (will be set on all existing rows with a null value for this column)\n")
        write(" 2) Ignore for now. Existing rows that contain NULL values will have to be handled manually, for example with an UPDATE in a migration of its own before this one.\n")
        write(" 3) Quit, and add a default to the field's declaration\n")
        while true {
            write("Select an option: ")
            guard let answer = readLine()?.trimmingSpaces() else { break }
            if answer == "3" { break }
            if answer == "2" { return nil }
            guard answer == "1" else { write("Please select a valid option.\n"); continue }
            return try askValue(model: model, field: field)
        }
        throw QuestionerError(description: "no default given for \(model.key).\(field.name)")
    }

    private func askValue(model: ModelState, field: FieldState) throws -> FieldDefault {
        while true {
            write("Please enter the default value for \(field.name) (\(field.kind.typeName)\(field.kind.type.defaultPromptHint)): ")
            guard let text = readLine() else { throw QuestionerError(description: "no default given for \(model.key).\(field.name)") }
            if let value = Self.parseDefault(text, for: field) { return value }
            write("That is not a valid \(field.kind.typeName) value.\n")
        }
    }

    /// "y"/"yes" is yes; "n"/"no" or an empty line (or end of input) is no; anything else asks again.
    func yesNo(_ prompt: String) -> Bool {
        write(prompt)
        while true {
            guard let answer = readLine()?.trimmingSpaces().lowercased() else { return false }
            switch answer {
            case "y", "yes": return true
            case "", "n", "no": return false
            default: write("Please answer yes or no: ")
            }
        }
    }
}

/// Explicit answers for scripts, given up front; any question they do not answer goes to
/// `fallback` (non-interactive by default).
///
/// - `renames`: `"Old=New"` for a model, `"model.old=new"` for a field (model names in any case).
/// - `defaults`: `"model.field"` to the one-off value's text.
public struct ScriptedQuestioner: Questioner {
    public var renames: Set<String>
    public var defaults: [String: String]
    public var fallback: Questioner

    public init(renames: [String] = [], defaults: [String: String] = [:], fallback: Questioner = NonInteractiveQuestioner()) {
        self.renames = Set(renames.map { $0.lowercased() })
        self.defaults = Dictionary(defaults.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.fallback = fallback
    }

    /// Parses `--default model.field=value` arguments.
    public static func parseDefaults(_ arguments: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), argument[..<equals].contains(".") else {
                throw QuestionerError(description: "--default takes model.field=value, not '\(argument)'")
            }
            result[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
        }
        return result
    }

    public func askRenameModel(app: String, from old: ModelState, to new: ModelState) -> Bool {
        renames.contains("\(old.key)=\(new.key)") || fallback.askRenameModel(app: app, from: old, to: new)
    }

    public func askRenameField(app: String, model: ModelState, from old: FieldState, to new: FieldState) -> Bool {
        renames.contains("\(model.key).\(old.name.lowercased())=\(new.name.lowercased())")
            || fallback.askRenameField(app: app, model: model, from: old, to: new)
    }

    public func askNotNullAddition(app: String, model: ModelState, field: FieldState) throws -> FieldDefault {
        guard let value = try given(model: model, field: field) else {
            return try fallback.askNotNullAddition(app: app, model: model, field: field)
        }
        return value
    }

    public func askNotNullAlteration(app: String, model: ModelState, field: FieldState) throws -> FieldDefault? {
        guard let value = try given(model: model, field: field) else {
            return try fallback.askNotNullAlteration(app: app, model: model, field: field)
        }
        return value
    }

    /// The `--default` for this field, nil when none was given.
    private func given(model: ModelState, field: FieldState) throws -> FieldDefault? {
        guard let text = defaults["\(model.key).\(field.name.lowercased())"] else { return nil }
        guard let value = Self.parseDefault(text, for: field) else {
            throw QuestionerError(description: "--default \(model.key).\(field.name)=\(text): not a valid \(field.kind.typeName) value")
        }
        return value
    }
}
