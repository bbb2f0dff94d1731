/// Declaring models in Swift, the way a Django `models.py` does:
///
/// ```swift
/// Model("Orders") {
///     AutoField("id", primaryKey: true)
///     DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
///     ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true)
///     ManyToManyField("product", to: "Products")
/// }
/// ```
///
/// A model without a primary key gets Django's implicit `id` (`BigAutoField`). Declarations are
/// checked with `ModelValidation.validate` before anything is written.
public struct Model: Sendable {
    public var name: String
    public var fields: [FieldState]
    public var table: String?
    public var uniqueTogether: [[String]]
    public var indexes: [Index]

    /// - Parameters:
    ///   - table: the table name, if not `<app label>_<name lowercased>` (Django's `db_table`).
    ///   - uniqueTogether: sets of field names whose values are unique together.
    ///   - indexes: extra indexes over one or more fields.
    public init(_ name: String, table: String? = nil, uniqueTogether: [[String]] = [], indexes: [Index] = [],
                @FieldsBuilder fields: () -> [FieldState]) {
        self.name = name
        self.fields = fields()
        self.table = table
        self.uniqueTogether = uniqueTogether
        self.indexes = indexes
    }

    /// The model as state data, with the implicit `id` added when no field is the primary key and
    /// unnamed indexes named like Django does.
    public func state(appLabel: String) -> ModelState {
        var fields = self.fields
        if !fields.contains(where: \.primaryKey) && !fields.contains(where: { $0.name == "id" }) {
            fields.insert(FieldState(name: "id", kind: .bigAutoField, primaryKey: true), at: 0)
        }
        let table = self.table ?? "\(appLabel)_\(name.lowercased())"
        let indexes = self.indexes.map { index in
            IndexState(name: index.name ?? Index.defaultName(table: table, columns: index.fields.map { field in
                fields.first { $0.name == field }?.column ?? field
            }), fields: index.fields)
        }
        return ModelState(name: name, fields: fields, table: self.table, uniqueTogether: uniqueTogether, indexes: indexes)
    }
}

/// An index in a model's options; without a name it is named like Django's
/// `<table[:11]>_<first column[:7]>_<hash>_idx`.
public struct Index: Sendable {
    public var name: String?
    public var fields: [String]

    public init(fields: [String], name: String? = nil) {
        self.fields = fields
        self.name = name
    }

    static func defaultName(table: String, columns: [String]) -> String {
        "\(table.prefix(11))_\(columns.first.map { String($0.prefix(7)) } ?? "")_\(Names.hash(table, columns))_idx"
    }
}

@resultBuilder
public enum FieldsBuilder {
    public static func buildExpression(_ field: FieldState) -> [FieldState] { [field] }
    public static func buildExpression(_ fields: [FieldState]) -> [FieldState] { fields }
    public static func buildExpression(_ field: some FieldDeclaration) -> [FieldState] { [field.state] }
    public static func buildBlock(_ parts: [FieldState]...) -> [FieldState] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [FieldState]?) -> [FieldState] { part ?? [] }
    public static func buildEither(first: [FieldState]) -> [FieldState] { first }
    public static func buildEither(second: [FieldState]) -> [FieldState] { second }
    public static func buildArray(_ parts: [[FieldState]]) -> [FieldState] { parts.flatMap { $0 } }
}

/// Anything that declares one field.
public protocol FieldDeclaration: Sendable {
    var state: FieldState { get }
}

/// An auto-incrementing 64-bit primary key (`BIGSERIAL`).
public struct AutoField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, primaryKey: Bool = true) {
        state = FieldState(name: name, kind: .autoField, primaryKey: primaryKey)
    }
}

/// The same as `AutoField`, under Django's other name (`BIGSERIAL`).
public struct BigAutoField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, primaryKey: Bool = true) {
        state = FieldState(name: name, kind: .bigAutoField, primaryKey: primaryKey)
    }
}

/// `VARCHAR(maxLength)`.
public struct CharField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, maxLength: Int, null: Bool = false, default value: String? = nil,
                unique: Bool = false, dbIndex: Bool = false, primaryKey: Bool = false) {
        state = FieldState(name: name, kind: .char(maxLength: maxLength), null: null, primaryKey: primaryKey,
                           unique: unique, dbIndex: dbIndex, defaultValue: value.map(FieldDefault.string))
    }
}

/// `TEXT`.
public struct TextField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: String? = nil, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .text, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: value.map(FieldDefault.string))
    }
}

/// `INTEGER` (32-bit).
public struct IntegerField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: Int32? = nil, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .integer, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: value.map { .integer(Int64($0)) })
    }
}

/// `BIGINT` (64-bit).
public struct BigIntegerField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: Int64? = nil, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .bigInteger, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: value.map(FieldDefault.integer))
    }
}

/// `DECIMAL(maxDigits, decimalPlaces)`; a default is given as text ("0.00") so it stays exact.
public struct DecimalField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, maxDigits: Int, decimalPlaces: Int, null: Bool = false, default value: String? = nil,
                unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .decimal(digits: maxDigits, places: decimalPlaces), null: null,
                           unique: unique, dbIndex: dbIndex, defaultValue: value.map(FieldDefault.decimal))
    }
}

/// `BOOLEAN`.
public struct BooleanField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: Bool? = nil, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .boolean, null: null, dbIndex: dbIndex, defaultValue: value.map(FieldDefault.boolean))
    }
}

/// `TIMESTAMPTZ`; `defaultNow` fills it with the insert time (`DEFAULT now()`).
public struct DateTimeField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, defaultNow: Bool = false, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .dateTime, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: defaultNow ? .now : nil)
    }
}

/// A foreign key: column `<name>_id` referencing the target's primary key, indexed.
public struct ForeignKey: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, to model: String, onDelete: OnDelete, null: Bool = false, unique: Bool = false) {
        state = FieldState(name: name, kind: .foreignKey(to: model, onDelete: onDelete), null: null, unique: unique)
    }
}

/// A many-to-many relation: a join table `<app>_<model>_<name>` with columns `id`,
/// `<model>_id` and `<target>_id`, unique together.
public struct ManyToManyField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, to model: String) {
        state = FieldState(name: name, kind: .manyToMany(to: model))
    }
}

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
    public static func state(appLabel: String, models: [Model]) throws -> ProjectState {
        var states = models.map { $0.state(appLabel: appLabel) }
        let problems = validate(appLabel: appLabel, models: states)
        // Relations name their target as it is declared, whatever case the declaration used.
        let names = Dictionary(states.map { ($0.key, $0.name) }, uniquingKeysWith: { first, _ in first })
        for i in states.indices {
            states[i].fields = states[i].fields.map { field in
                var field = field
                switch field.kind {
                case .foreignKey(let to, let onDelete): field.kind = .foreignKey(to: names[to.lowercased()] ?? to, onDelete: onDelete)
                case .manyToMany(let to): field.kind = .manyToMany(to: names[to.lowercased()] ?? to)
                default: break
                }
                return field
            }
        }
        guard problems.isEmpty else { throw ModelValidationError(problems: problems) }
        return ProjectState(appLabel: appLabel, models: states)
    }

    /// Every problem in a set of model states (also used on states replayed from files).
    public static func validate(appLabel: String, models: [ModelState]) -> [String] {
        var problems: [String] = []
        if !SQLWriter.isPlainIdentifier(appLabel) { problems.append("app label '\(appLabel)' is not a plain identifier") }
        let keys = Set(models.map(\.key))
        var seenModels = Set<String>()
        let state = ProjectState(appLabel: appLabel, models: models)
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
                problems += fieldProblems(field, at: at, model: model, keys: keys, state: state)
            }
            for set in model.uniqueTogether {
                if set.count < 2 { problems.append("\(where_): unique together \(set) needs at least two fields") }
                for name in set where model.field(name)?.hasColumn != true {
                    problems.append("\(where_): unique together names unknown field '\(name)'")
                }
            }
            var indexNames = Set<String>()
            for index in model.indexes {
                if !indexNames.insert(index.name).inserted { problems.append("\(where_): index \(index.name) declared twice") }
                if !SQLWriter.isPlainIdentifier(index.name) || index.name.utf8.count > maxIdentifierLength {
                    problems.append("\(where_): index name '\(index.name)' is not a plain identifier of at most \(maxIdentifierLength) characters")
                }
                if index.fields.isEmpty { problems.append("\(where_): index \(index.name) has no fields") }
                for name in index.fields where model.field(name)?.hasColumn != true {
                    problems.append("\(where_): index \(index.name) names unknown field '\(name)'")
                }
            }
        }
        return problems
    }

    static func fieldProblems(_ field: FieldState, at: String, model: ModelState, keys: Set<String>, state: ProjectState) -> [String] {
        var problems: [String] = []
        switch field.kind {
        case .char(let maxLength) where maxLength < 1:
            problems.append("\(at): max length \(maxLength) must be at least 1")
        case .decimal(let digits, let places):
            if digits < 1 || digits > 1000 { problems.append("\(at): max digits \(digits) must be between 1 and 1000") }
            if places < 0 { problems.append("\(at): decimal places \(places) must not be negative") }
            if places > digits { problems.append("\(at): decimal places \(places) exceed max digits \(digits)") }
        case .foreignKey(let to, let onDelete):
            if !keys.contains(to.lowercased()) { problems.append("\(at): foreign key to unknown model '\(to)'") }
            else if let target = state.model(to), state.primaryKey(of: target)?.kind.isManyToMany ?? false {
                problems.append("\(at): target has no usable primary key")
            }
            if onDelete == .setNull && !field.null { problems.append("\(at): on delete SET NULL needs null: true") }
        case .manyToMany(let to):
            if !keys.contains(to.lowercased()) { problems.append("\(at): many-to-many to unknown model '\(to)'") }
            if field.null || field.unique || field.primaryKey || field.defaultValue != nil || field.dbIndex {
                problems.append("\(at): a many-to-many field takes no null, unique, primary key, index or default")
            }
            if model.key.count + field.name.count + state.appLabel.count + 2 > maxIdentifierLength {
                problems.append("\(at): join table name is longer than \(maxIdentifierLength) characters")
            }
        default:
            break
        }
        if field.kind.isAuto && !field.primaryKey { problems.append("\(at): an auto field must be the primary key") }
        if field.primaryKey && field.null { problems.append("\(at): a primary key cannot be null") }
        if let value = field.defaultValue {
            switch (field.kind, value) {
            case (.char(let maxLength), .string(let text)):
                if text.count > maxLength { problems.append("\(at): default is longer than max length \(maxLength)") }
            case (.text, .string), (.integer, .integer), (.bigInteger, .integer), (.boolean, .boolean), (.dateTime, .now):
                break
            case (.decimal, .decimal(let text)):
                if !FieldDefault.isPlainDecimal(text) { problems.append("\(at): default '\(text)' is not a plain decimal") }
            default:
                problems.append("\(at): default does not fit a \(field.kind.typeName)")
            }
            if case .string(let text) = value, text.contains("*/") || text.contains("/*") || text.contains("\u{0}") {
                problems.append("\(at): default contains '/*', '*/' or NUL, which a migration file cannot hold")
            }
        }
        return problems
    }
}
