/// Declarations that cannot become a schema, every problem named.
public struct ModelValidationError: Error, CustomStringConvertible, Equatable {
    public var problems: [String]
    public var description: String {
        "invalid model declarations: " + problems.joined(separator: "; ")
    }
}

public enum ModelValidation {
    /// PostgreSQL truncates identifiers longer than this; CockroachDB does not, so refuse them.
    static let maxIdentifierLength = 63

    /// Checks declarations and returns their state, or throws every problem found, each named
    /// `<app>.<Model>.<field>: ...`.
    /// `related` holds the other apps' models that relations may name (`catalog.Book`).
    public static func state(appLabel: String, models: [Model], related: [String: ModelState] = [:]) throws -> ProjectState {
        var states = models.map { $0.state(appLabel: appLabel) }
        let problems = validate(appLabel: appLabel, models: states, related: related)
        // Relations name their target as it is declared, whatever case the declaration used.
        let names = Dictionary(states.map { ($0.key, $0.name) }, uniquingKeysWith: { first, _ in first })
        for i in states.indices {
            states[i].fields = states[i].fields.map { field in
                guard let target = field.kind.target else { return field }
                var field = field
                field.kind = field.kind.retargeted(to: names[target.lowercased()] ?? target)
                return field
            }
        }
        guard problems.isEmpty else { throw ModelValidationError(problems: problems) }
        var state = ProjectState(appLabel: appLabel, models: states)
        state.related = related
        return state
    }

    /// Every problem in a set of model states (also used on states replayed from files).
    public static func validate(appLabel: String, models: [ModelState], related: [String: ModelState] = [:]) -> [String] {
        var problems: [String] = []
        if !SQLWriter.isPlainIdentifier(appLabel) { problems.append("app label '\(appLabel)' is not a plain identifier") }
        var seenModels = Set<String>()
        var state = ProjectState(appLabel: appLabel, models: models)
        state.related = related
        var tables: [String: String] = [:]
        for model in models {
            let where_ = "\(appLabel).\(model.name)"
            if !seenModels.insert(model.key).inserted { problems.append("\(where_): model declared twice") }
            if !SQLWriter.isPlainIdentifier(model.name) { problems.append("\(where_): model name is not a plain identifier") }
            let table = state.tableName(of: model)
            if let other = tables[table], other != model.name {
                problems.append("\(where_): table \(table) is also the table of \(other)")
            }
            tables[table] = model.name
            if !SQLWriter.isPlainIdentifier(table) || table.utf8.count > maxIdentifierLength {
                problems.append("\(where_): table name '\(table)' is not a plain identifier of at most \(maxIdentifierLength) characters")
            }
            let primaryKeys = model.fields.filter(\.primaryKey)
            if primaryKeys.count > 1 {
                problems.append("\(where_): \(primaryKeys.count) primary keys (\(primaryKeys.map(\.name).joined(separator: ", "))); a model has one")
            } else if primaryKeys.isEmpty {
                problems.append("\(where_): no primary key")
            }
            var names = Set<String>(), columns = Set<String>()
            for field in model.fields {
                let at = "\(where_).\(field.name)"
                if !names.insert(field.name).inserted {
                    problems.append("\(at): field declared twice")
                } else if field.hasColumn && !columns.insert(field.column).inserted {
                    problems.append("\(at): column \(field.column) clashes with another field's column")
                }
                if !SQLWriter.isPlainIdentifier(field.name) || field.column.utf8.count > maxIdentifierLength {
                    problems.append("\(at): field name is not a plain identifier of at most \(maxIdentifierLength) characters")
                }
                problems += fieldProblems(field, at: at, model: model, state: state)
            }
            for set in model.uniqueTogether {
                if set.count < 2 { problems.append("\(where_): unique together \(set) needs at least two fields") }
                for name in set where model.field(name)?.hasColumn != true {
                    problems.append("\(where_): unique together names unknown field '\(name)'")
                }
            }
            var constraintNames = Set<String>()
            for constraint in model.constraints {
                let what = "\(where_): constraint \(constraint.name)"
                if !constraintNames.insert(constraint.name).inserted { problems.append("\(what) declared twice") }
                if !SQLWriter.isPlainIdentifier(constraint.name) || constraint.name.utf8.count > maxIdentifierLength {
                    problems.append("\(what): name is not a plain identifier of at most \(maxIdentifierLength) characters")
                }
                if constraint.kind == .unique && constraint.fields.isEmpty { problems.append("\(what) has no fields") }
                if constraint.kind == .check && constraint.condition == nil { problems.append("\(what) has no condition") }
                for name in constraint.fields where model.field(name)?.hasColumn != true {
                    problems.append("\(what) names unknown field '\(name)'")
                }
                if let condition = constraint.condition, condition.isEmpty || !fitsInAFile(condition) {
                    problems.append("\(what) has an empty condition, or one with '/*', '*/' or NUL")
                }
            }
            if let comment = model.tableComment, !fitsInAFile(comment) {
                problems.append("\(where_): db table comment contains '/*', '*/' or NUL, which a migration file cannot hold")
            }
            var indexNames = Set<String>()
            for index in model.indexes {
                if !indexNames.insert(index.name).inserted { problems.append("\(where_): index \(index.name) declared twice") }
                if !SQLWriter.isPlainIdentifier(index.name) || index.name.utf8.count > maxIdentifierLength {
                    problems.append("\(where_): index name '\(index.name)' is not a plain identifier of at most \(maxIdentifierLength) characters")
                }
                if index.fields.isEmpty && index.expressions.isEmpty { problems.append("\(where_): index \(index.name) has no fields") }
                if !index.fields.isEmpty && !index.expressions.isEmpty {
                    problems.append("\(where_): index \(index.name) has both fields and expressions (Django's Index takes one or the other)")
                }
                for problem in index.expressions.compactMap(\.problem) { problems.append("\(where_): index \(index.name): \(problem)") }
                for name in index.allFields where model.field(name)?.hasColumn != true {
                    problems.append("\(where_): index \(index.name) names unknown field '\(name)'")
                }
                if let condition = index.condition, condition.isEmpty || !fitsInAFile(condition) {
                    problems.append("\(where_): index \(index.name) has an empty condition, or one with '/*', '*/' or NUL")
                }
            }
        }
        return problems
    }

    static func fieldProblems(_ field: FieldState, at: String, model: ModelState, state: ProjectState) -> [String] {
        var problems = field.kind.type.problems(of: field, in: model, of: state).map { "\(at): \($0)" }
        if field.kind.isAuto && !field.primaryKey { problems.append("\(at): an auto field must be the primary key") }
        if field.primaryKey && field.null { problems.append("\(at): a primary key cannot be null") }
        for value in [field.defaultValue, field.fillDefault].compactMap({ $0 }) {
            if let problem = field.kind.type.defaultProblem(value) { problems.append("\(at): \(problem)") }
            if case .string(let text) = value, !fitsInAFile(text) {
                problems.append("\(at): default contains '/*', '*/' or NUL, which a migration file cannot hold")
            }
        }
        if let column = field.dbColumn, !SQLWriter.isPlainIdentifier(column) {
            problems.append("\(at): db column '\(column)' is not a plain identifier")
        }
        if let comment = field.dbComment, !fitsInAFile(comment) {
            problems.append("\(at): db comment contains '/*', '*/' or NUL, which a migration file cannot hold")
        }
        if field.relatedName != nil && field.kind.target == nil { problems.append("\(at): related name on a field that is no relation") }
        if !field.hasColumn && (field.dbColumn != nil || field.dbComment != nil || field.fillDefault != nil) {
            problems.append("\(at): a many-to-many field has no column for db column, db comment or default")
        }
        if let choices = field.choices, choices.contains(where: { $0.count != 2 }) {
            problems.append("\(at): each choice is a (value, label) pair")
        }
        return problems
    }

    /// Text a migration file can hold: its down part sits in a `/* ... */` comment.
    static func fitsInAFile(_ text: String) -> Bool {
        !(text.contains("*/") || text.contains("/*") || text.contains("\u{0}"))
    }
}
