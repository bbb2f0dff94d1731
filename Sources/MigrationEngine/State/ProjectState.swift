/// The schema of one app as plain data: what the models are, with no database and no SQL.
///
/// Like Django's `ProjectState`, it is rebuilt by replaying the operations recorded in the
/// migration files (`Operation.stateForwards`), and made from the Swift declarations
/// (`ProjectState(appLabel:models:)`); the autodetector compares two of them.
public struct ProjectState: Equatable, Sendable {
    public var appLabel: String
    /// The models, keyed by their lowercased name (Django's model key).
    public var models: [String: ModelState]
    /// Other apps' models that this app's relations may point at (`catalog.Book`), keyed by
    /// `<app>.<model>` lowercased, each named so and with its table set: their tables are
    /// another app's, never created, changed or dropped by this app's migrations.
    public var related: [String: ModelState] = [:]

    public init(appLabel: String, models: [ModelState] = []) {
        self.appLabel = appLabel
        self.models = Dictionary(models.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The model with this name, whatever its case; `<app>.<Model>` names another app's model
    /// (or this app's own).
    public func model(_ name: String) -> ModelState? {
        let key = name.lowercased()
        guard let dot = key.firstIndex(of: ".") else { return models[key] }
        if key[..<dot] == appLabel.lowercased() { return models[String(key[key.index(after: dot)...])] }
        return related[key]
    }

    /// This state with `others`' models as the targets its relations may name across apps.
    public func relating(to others: [ProjectState]) -> ProjectState {
        var state = self
        for other in others where other.appLabel != appLabel {
            for model in other.models.values {
                var copy = model
                copy.table = other.tableName(of: model)
                copy.name = "\(other.appLabel).\(model.name)"
                state.related[copy.key] = copy
            }
        }
        return state
    }

    /// The models in a stable order (by key).
    public var sortedModels: [ModelState] { models.sorted { $0.key < $1.key }.map(\.value) }

    /// The table that holds a model: its `table` override, or Django's `<app label>_<model name lowercased>`.
    public func tableName(of model: ModelState) -> String {
        model.table ?? "\(appLabel)_\(model.key)"
    }

    /// The join table of a many-to-many field: `<model table>_<field name>`.
    public func joinTableName(of model: ModelState, field: FieldState) -> String {
        "\(tableName(of: model))_\(field.name)"
    }

    /// The join table's two columns: `<model>_id` and `<target>_id` (`from_<model>_id` and
    /// `to_<model>_id` when a model points at itself), as Django names them.
    /// A target in another app (`catalog.Book`) names its column by the model alone (`book_id`).
    public func joinColumns(of model: ModelState, field: FieldState) -> (from: String, to: String) {
        var target = field.kind.target?.lowercased() ?? ""
        if let dot = target.firstIndex(of: ".") {
            let app = target[..<dot]
            target = String(target[target.index(after: dot)...])
            if app != appLabel.lowercased() { return ("\(model.key)_id", "\(target)_id") }
        }
        if target == model.key { return ("from_\(model.key)_id", "to_\(model.key)_id") }
        return ("\(model.key)_id", "\(target)_id")
    }

    /// The primary key field of a model (every valid model has exactly one).
    public func primaryKey(of model: ModelState) -> FieldState? { model.fields.first { $0.primaryKey } }
}

/// One model: its name, fields in declaration order, and model options.
public struct ModelState: Codable, Equatable, Sendable {
    public var name: String
    public var fields: [FieldState]
    /// A table name override (Django's `db_table`); nil means `<app>_<model lowercased>`.
    public var table: String?
    /// Sets of fields whose values are unique together; each a list of field names.
    public var uniqueTogether: [[String]]
    public var indexes: [IndexState]
    /// Django's `Meta.constraints`, by name.
    public var constraints: [ConstraintState]
    /// Django's `db_table_comment`: `COMMENT ON TABLE`.
    public var tableComment: String?
    /// Django's `managed`: false for a table something else creates and changes; the model is
    /// known (relations to it, its state), and no migration writes SQL for it.
    public var managed: Bool

    public init(name: String, fields: [FieldState], table: String? = nil,
                uniqueTogether: [[String]] = [], indexes: [IndexState] = [], constraints: [ConstraintState] = [],
                tableComment: String? = nil, managed: Bool = true) {
        self.name = name
        self.fields = fields
        self.table = table
        self.uniqueTogether = ModelState.normalized(uniqueTogether)
        self.indexes = indexes.sorted { $0.name < $1.name }
        self.constraints = constraints.sorted { $0.name < $1.name }
        self.tableComment = tableComment
        self.managed = managed
    }

    /// Equal when the fields are the same, in any order: a field added later sits last in the
    /// replayed state (and last in the table), wherever it is declared.
    public static func == (a: ModelState, b: ModelState) -> Bool {
        a.name == b.name && a.table == b.table && a.uniqueTogether == b.uniqueTogether && a.indexes == b.indexes
            && a.constraints == b.constraints && a.tableComment == b.tableComment && a.managed == b.managed
            && a.fields.sorted { $0.name < $1.name } == b.fields.sorted { $0.name < $1.name }
    }

    /// The lowercased name: Django's model key, the table suffix and the join column prefix.
    public var key: String { name.lowercased() }

    public func field(_ name: String) -> FieldState? { fields.first { $0.name == name } }

    /// Unique-together sets sorted, so two declarations that differ only in order are equal.
    static func normalized(_ sets: [[String]]) -> [[String]] {
        sets.sorted { $0.joined(separator: ",") < $1.joined(separator: ",") }
    }

    enum CodingKeys: String, CodingKey {
        case name, fields, table = "db_table", uniqueTogether = "unique_together", indexes, constraints
        case tableComment = "db_table_comment", managed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decode(String.self, forKey: .name),
            fields: try c.decode([FieldState].self, forKey: .fields),
            table: try c.decodeIfPresent(String.self, forKey: .table),
            uniqueTogether: try c.decodeIfPresent([[String]].self, forKey: .uniqueTogether) ?? [],
            indexes: try c.decodeIfPresent([IndexState].self, forKey: .indexes) ?? [],
            constraints: try c.decodeIfPresent([ConstraintState].self, forKey: .constraints) ?? [],
            tableComment: try c.decodeIfPresent(String.self, forKey: .tableComment),
            managed: try c.decodeIfPresent(Bool.self, forKey: .managed) ?? true
        )
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(fields, forKey: .fields)
        try c.encodeIfPresent(table, forKey: .table)
        if !uniqueTogether.isEmpty { try c.encode(uniqueTogether, forKey: .uniqueTogether) }
        if !indexes.isEmpty { try c.encode(indexes, forKey: .indexes) }
        if !constraints.isEmpty { try c.encode(constraints, forKey: .constraints) }
        try c.encodeIfPresent(tableComment, forKey: .tableComment)
        if !managed { try c.encode(false, forKey: .managed) }
    }
}

/// A named constraint of a model (Django's `Meta.constraints`): a `UniqueConstraint` over fields,
/// partial when it has a condition (SQL), or a `CheckConstraint` with its condition (SQL).
public struct ConstraintState: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case unique = "UniqueConstraint"
        case check = "CheckConstraint"
    }

    public var kind: Kind
    public var name: String
    /// The unique fields (empty for a check).
    public var fields: [String]
    public var condition: String?

    public init(kind: Kind, name: String, fields: [String] = [], condition: String? = nil) {
        self.kind = kind
        self.name = name
        self.fields = fields
        self.condition = condition
    }

    enum CodingKeys: String, CodingKey { case kind = "type", name, fields, condition }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kind: try c.decode(Kind.self, forKey: .kind), name: try c.decode(String.self, forKey: .name),
                  fields: try c.decodeIfPresent([String].self, forKey: .fields) ?? [],
                  condition: try c.decodeIfPresent(String.self, forKey: .condition))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(name, forKey: .name)
        if !fields.isEmpty { try c.encode(fields, forKey: .fields) }
        try c.encodeIfPresent(condition, forKey: .condition)
    }
}

/// A named index over some fields (Django's `Meta.indexes`): the key fields in order, those of
/// them in descending order (Django's `"-field"`), a condition (a partial index, Django's
/// `condition=Q(...)` as SQL) and fields stored in the index beside the key (`include`).
public struct IndexState: Codable, Equatable, Sendable {
    public var name: String
    public var fields: [String]
    public var descending: [String]
    public var condition: String?
    public var include: [String]
    /// The key of an expression index (Django's `Index(Lower("name"), name=...)`); `fields` is
    /// then empty.
    public var expressions: [IndexExpression]

    public init(name: String, fields: [String], descending: [String] = [], condition: String? = nil, include: [String] = [],
                expressions: [IndexExpression] = []) {
        self.name = name
        self.fields = fields
        self.descending = descending.sorted()
        self.condition = condition
        self.include = include
        self.expressions = expressions
    }

    /// Every field the index names: its key, its expressions' fields and its included fields.
    public var allFields: [String] { fields + expressions.map(\.field) + include }

    enum CodingKeys: String, CodingKey { case name, fields, descending, condition, include, expressions }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), fields: try c.decode([String].self, forKey: .fields),
                  descending: try c.decodeIfPresent([String].self, forKey: .descending) ?? [],
                  condition: try c.decodeIfPresent(String.self, forKey: .condition),
                  include: try c.decodeIfPresent([String].self, forKey: .include) ?? [],
                  expressions: try c.decodeIfPresent([IndexExpression].self, forKey: .expressions) ?? [])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(fields, forKey: .fields)
        if !descending.isEmpty { try c.encode(descending, forKey: .descending) }
        try c.encodeIfPresent(condition, forKey: .condition)
        if !include.isEmpty { try c.encode(include, forKey: .include) }
        if !expressions.isEmpty { try c.encode(expressions, forKey: .expressions) }
    }

    /// The same index with a field renamed.
    func renaming(_ rename: (String) -> String) -> IndexState {
        IndexState(name: name, fields: fields.map(rename), descending: descending.map(rename), condition: condition, include: include.map(rename),
                   expressions: expressions.map { var e = $0; e.field = rename(e.field); return e })
    }
}

/// One key part of an expression index: a function of one field, from a small closed list rather
/// than any SQL, so that the SQL, its record and the drift check's reading of `pg_indexes` stay
/// exact on both servers (CockroachDB has expression indexes since v21.2).
/// Django's `Lower("name")` is `.lower("name")`, `Upper("name")` is `.upper("name")`,
/// `Cast("code", output_field=TextField())` is `.cast("code", as: .text)`, and
/// `Lower("name").desc()` is `.lower("name", descending: true)`.
public struct IndexExpression: Codable, Equatable, Sendable {
    public enum Function: String, Codable, Sendable {
        case lower, upper, cast
    }

    public var function: Function
    public var field: String
    public var descending: Bool
    /// A cast's column type, as DDL (`TEXT`, `VARCHAR(20)`); nil for the other functions.
    public var type: String?

    public init(_ function: Function, _ field: String, descending: Bool = false, type: String? = nil) {
        self.function = function
        self.field = field
        self.descending = descending
        self.type = type
    }

    public static func lower(_ field: String, descending: Bool = false) -> IndexExpression { .init(.lower, field, descending: descending) }
    public static func upper(_ field: String, descending: Bool = false) -> IndexExpression { .init(.upper, field, descending: descending) }
    /// Django's `Cast(field, output_field=...)`: the field's value as the column type of `kind`.
    public static func cast(_ field: String, as kind: FieldKind, descending: Bool = false) -> IndexExpression {
        .init(.cast, field, descending: descending, type: kind.type.columnType?.sql ?? "")
    }

    enum CodingKeys: String, CodingKey { case function, field, descending, type }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try c.decode(Function.self, forKey: .function), try c.decode(String.self, forKey: .field),
                  descending: try c.decodeIfPresent(Bool.self, forKey: .descending) ?? false,
                  type: try c.decodeIfPresent(String.self, forKey: .type))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(function, forKey: .function)
        try c.encode(field, forKey: .field)
        if descending { try c.encode(true, forKey: .descending) }
        try c.encodeIfPresent(type, forKey: .type)
    }

    /// `lower("name")`, `("code"::TEXT)`: the column quoted.
    func sql(column: String) -> String {
        if function == .cast { return "(\(SQLWriter.quote(column))::\(type ?? ""))" }
        return "\(function.rawValue)(\(SQLWriter.quote(column)))"
    }

    /// Django's wording: `Lower(F(name))`, `Cast(F(code), TEXT)`.
    var djangoDescription: String {
        let function = self.function.rawValue.prefix(1).uppercased() + self.function.rawValue.dropFirst()
        return "\(function)(F(\(field))\(type.map { ", \($0)" } ?? ""))"
    }

    /// Why the expression cannot be written, or nil: a cast needs a plain column type (letters,
    /// digits and spaces, then widths), which an auto id is not; the other functions take none.
    var problem: String? {
        guard function == .cast else { return type == nil ? nil : "\(function.rawValue) takes no type" }
        guard let type, type.wholeMatch(of: /[A-Z][A-Z0-9 ]*(\([0-9, ]+\))?/) != nil, !type.hasSuffix("SERIAL") else {
            return "cast of \(field) to '\(type ?? "")', not a column type of a field kind"
        }
        return nil
    }
}

extension String {
    /// Whether `lowercased() == key`, compared byte by byte without making the lowercased copy
    /// when both are ASCII (model names are); any other text gets the exact comparison. The
    /// per-operation checks over every relation of a state called `lowercased()` hundreds of
    /// thousands of times for 200 models.
    func lowercasedEquals(_ key: String) -> Bool {
        let answer = utf8.withContiguousStorageIfAvailable { a in
            key.utf8.withContiguousStorageIfAvailable { b in String.asciiLowercasedEquals(a, b) }
        }
        if let answer, let answer, let answer { return answer }
        return lowercased() == key
    }

    /// nil when either is not ASCII.
    private static func asciiLowercasedEquals(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard a.allSatisfy({ $0 < 0x80 }), b.allSatisfy({ $0 < 0x80 }) else { return nil }
        guard a.count == b.count else { return false }
        for i in 0..<a.count where (a[i] &- 0x41 < 26 ? a[i] | 0x20 : a[i]) != b[i] { return false }
        return true
    }
}
