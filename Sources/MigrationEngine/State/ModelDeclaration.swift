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
