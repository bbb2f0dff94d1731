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
    public var constraints: [ConstraintState]
    public var tableComment: String?
    public var managed: Bool

    /// - Parameters:
    ///   - table: the table name, if not `<app label>_<name lowercased>` (Django's `db_table`).
    ///   - uniqueTogether: sets of field names whose values are unique together.
    ///   - indexes: extra indexes over one or more fields.
    ///   - constraints: `UniqueConstraint` and `CheckConstraint` values (Django's `constraints`).
    ///   - tableComment: Django's `db_table_comment`.
    ///   - managed: Django's `managed`; false for a table migrations do not create or change.
    public init(_ name: String, table: String? = nil, uniqueTogether: [[String]] = [], indexes: [Index] = [],
                constraints: [ConstraintState] = [], tableComment: String? = nil, managed: Bool = true,
                @FieldsBuilder fields: () -> [FieldState]) {
        self.name = name
        self.fields = fields()
        self.table = table
        self.uniqueTogether = uniqueTogether
        self.indexes = indexes
        self.constraints = constraints
        self.tableComment = tableComment
        self.managed = managed
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
            let keys = index.fields.map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 }
            // A descending column is named "-column" in the hash, as Django does, so that the
            // name tells it from the ascending index.
            let hashed = index.fields.map { entry in
                let key = entry.hasPrefix("-") ? String(entry.dropFirst()) : entry
                let column = fields.first { $0.name == key }?.column ?? key
                return entry.hasPrefix("-") ? "-" + column : column
            }
            return IndexState(name: index.name ?? Index.defaultName(table: table, columns: hashed), fields: keys,
                              descending: index.fields.filter { $0.hasPrefix("-") }.map { String($0.dropFirst()) },
                              condition: index.condition, include: index.include, expressions: index.expressions)
        }
        return ModelState(name: name, fields: fields, table: self.table, uniqueTogether: uniqueTogether, indexes: indexes,
                          constraints: constraints, tableComment: tableComment, managed: managed)
    }
}

/// An index in a model's options; without a name it is named like Django's
/// `<table[:11]>_<first column[:7]>_<hash>_idx`. A field written `"-name"` is in descending
/// order; `condition` (SQL) makes it a partial index; `include` stores more fields in it
/// (`INCLUDE (...)`, CockroachDB's `STORING`).
public struct Index: Sendable {
    public var name: String?
    public var fields: [String]
    public var condition: String?
    public var include: [String]
    public var expressions: [IndexExpression] = []

    public init(fields: [String], name: String? = nil, condition: String? = nil, include: [String] = []) {
        self.fields = fields
        self.name = name
        self.condition = condition
        self.include = include
    }

    /// An expression index, Django's `Index(Lower("name"), name="...")`: named, as Django requires.
    public init(_ expressions: IndexExpression..., name: String, condition: String? = nil, include: [String] = []) {
        self.fields = []
        self.name = name
        self.condition = condition
        self.include = include
        self.expressions = expressions
    }

    static func defaultName(table: String, columns: [String]) -> String {
        let first = columns.first.map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 }
        return "\(table.prefix(11))_\(first.map { String($0.prefix(7)) } ?? "")_\(Names.hash(table, columns))_idx"
    }
}

/// Django's `UniqueConstraint(fields=[...], name=..., condition=...)`, the condition as SQL.
public func UniqueConstraint(fields: [String], name: String, condition: String? = nil) -> ConstraintState {
    ConstraintState(kind: .unique, name: name, fields: fields, condition: condition)
}

/// Django's `CheckConstraint(condition=..., name=...)`, the condition as SQL.
public func CheckConstraint(condition: String, name: String) -> ConstraintState {
    ConstraintState(kind: .check, name: name, condition: condition)
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
