/// Everything the engine knows about one kind of field, in one place, as Django keeps it in a
/// `Field` subclass: its name in migration files, its parameters in their JSON, its column type
/// (the DDL, and what `information_schema` shows for it on PostgreSQL and CockroachDB), which
/// defaults it takes and their SQL, what a value typed at makemigrations' prompt means, and what
/// is wrong with its parameters.
///
/// Each kind is one file in this folder, holding the declaration models are written with
/// (`CharField("name", maxLength: 250)`) and its `Kind`, which conforms to this. A new kind is
/// such a file, its line in `FieldKind.all`, and a test.
public protocol FieldType: Hashable, Sendable {
    /// Django's class name: the field's `"type"` in a migration file, and its name in messages.
    static var typeName: String { get }

    /// Reads the kind's parameters (`max_length`, ...) from the field's JSON object.
    init(parameters: FieldParameters) throws
    /// Writes them (keys are sorted when the file is written).
    func encode(parameters: inout FieldParameterWriter) throws

    /// The column's type; nil for a kind whose column type comes from elsewhere (a foreign key
    /// takes its target's) or that has no column (a many-to-many field has a join table).
    var columnType: ColumnType? { get }
    /// The type of a column that refers to a field of this kind (a foreign key to it).
    /// Default: `columnType`.
    var referenceColumnType: ColumnType? { get }

    /// Why a declared default does not fit this kind, or nil when it does.
    /// Default: no default fits.
    func defaultProblem(_ value: FieldDefault) -> String?
    /// A default as SQL, in `DEFAULT ...`. Default: `FieldDefault.sql`.
    func defaultSQL(_ value: FieldDefault) -> String
    /// A one-off default typed at makemigrations' prompt or given with `--default` (already
    /// trimmed), or nil when it does not fit. Default: nothing fits.
    func parseDefault(_ text: String) -> FieldDefault?
    /// What the prompt for a one-off default adds after the kind's name (`, "now"`). Default: "".
    var defaultPromptHint: String { get }

    /// What is wrong with the field's parameters (each without the `app.Model.field: ` prefix).
    /// Default: nothing.
    func problems(of field: FieldState, in model: ModelState, of state: ProjectState) -> [String]

    /// The model a relation points at, and how. Default: nil, not a relation.
    var relation: FieldRelation? { get }
    /// The same kind pointing at `model` (a relation whose target is renamed). Default: itself.
    func retargeted(to model: String) -> Self
    /// Whether the database numbers the column itself (it must then be the primary key, and
    /// an added one needs no value for existing rows). Default: false.
    var isAutoIncrement: Bool { get }

    /// Django's `data_type_check_constraints`: a CHECK the column always has, `%(column)s`
    /// standing for its quoted name (`%(column)s >= 0`). Default: none.
    var columnCheck: String? { get }
    /// Whether a field of this kind is unique whatever its declaration says (a one-to-one
    /// relation). Default: false.
    var impliesUnique: Bool { get }
    /// The access method of the column's plain index when it is not the default B-tree (`GIN`
    /// for `JSONB`, which older CockroachDB cannot use as a B-tree key). Default: nil.
    var indexMethod: String? { get }
}

extension FieldType {
    public var referenceColumnType: ColumnType? { columnType }
    public func defaultProblem(_ value: FieldDefault) -> String? { defaultDoesNotFit }
    public func defaultSQL(_ value: FieldDefault) -> String { value.sql }
    public func parseDefault(_ text: String) -> FieldDefault? { nil }
    public var defaultPromptHint: String { "" }
    public func problems(of field: FieldState, in model: ModelState, of state: ProjectState) -> [String] { [] }
    public var relation: FieldRelation? { nil }
    public func retargeted(to model: String) -> Self { self }
    public var isAutoIncrement: Bool { false }
    public var columnCheck: String? { nil }
    public var impliesUnique: Bool { false }
    public var indexMethod: String? { nil }

    /// Whether `other` is this same kind with the same parameters.
    func isEqual(to other: any FieldType) -> Bool { (other as? Self) == self }
}

/// What a relation field points at: a foreign key (a column referring to the target's primary
/// key) or a many-to-many relation (a join table).
public enum FieldRelation: Hashable, Sendable {
    case foreignKey(to: String, onDelete: OnDelete)
    case manyToMany(to: String)

    /// The target model's name, as declared.
    public var target: String {
        switch self {
        case .foreignKey(let to, _), .manyToMany(let to): return to
        }
    }
}

/// A key of a field's JSON object, by its Django name (`max_length`).
public struct FieldCodingKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// A field kind's parameters as read from its JSON object.
public struct FieldParameters {
    let container: KeyedDecodingContainer<FieldCodingKey>

    public func decode<T: Decodable>(_ type: T.Type, forKey key: String) throws -> T {
        try container.decode(type, forKey: FieldCodingKey(key))
    }

    public func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: String) throws -> T? {
        try container.decodeIfPresent(type, forKey: FieldCodingKey(key))
    }
}

/// Where a field kind writes its parameters into its JSON object.
public struct FieldParameterWriter {
    var container: KeyedEncodingContainer<FieldCodingKey>

    public mutating func encode<T: Encodable>(_ value: T, forKey key: String) throws {
        try container.encode(value, forKey: FieldCodingKey(key))
    }
}

extension FieldType {
    /// The message for a default of the wrong sort.
    var defaultDoesNotFit: String { "default does not fit a \(Self.typeName)" }
}
