/// The schema of one app as plain data: what the models are, with no database and no SQL.
///
/// Like Django's `ProjectState`, it is rebuilt by replaying the operations recorded in the
/// migration files (`Operation.stateForwards`), and made from the Swift declarations
/// (`ProjectState(appLabel:models:)`); the autodetector compares two of them.
public struct ProjectState: Equatable, Sendable {
    public var appLabel: String
    /// The models, keyed by their lowercased name (Django's model key).
    public var models: [String: ModelState]

    public init(appLabel: String, models: [ModelState] = []) {
        self.appLabel = appLabel
        self.models = Dictionary(models.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The model with this name, whatever its case.
    public func model(_ name: String) -> ModelState? { models[name.lowercased()] }

    /// The models in a stable order (by key).
    public var sortedModels: [ModelState] { models.keys.sorted().map { models[$0]! } }

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
    public func joinColumns(of model: ModelState, field: FieldState) -> (from: String, to: String) {
        let target = field.kind.target?.lowercased() ?? ""
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

    public init(name: String, fields: [FieldState], table: String? = nil,
                uniqueTogether: [[String]] = [], indexes: [IndexState] = []) {
        self.name = name
        self.fields = fields
        self.table = table
        self.uniqueTogether = ModelState.normalized(uniqueTogether)
        self.indexes = indexes.sorted { $0.name < $1.name }
    }

    /// Equal when the fields are the same, in any order: a field added later sits last in the
    /// replayed state (and last in the table), wherever it is declared.
    public static func == (a: ModelState, b: ModelState) -> Bool {
        a.name == b.name && a.table == b.table && a.uniqueTogether == b.uniqueTogether && a.indexes == b.indexes
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
        case name, fields, table = "db_table", uniqueTogether = "unique_together", indexes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decode(String.self, forKey: .name),
            fields: try c.decode([FieldState].self, forKey: .fields),
            table: try c.decodeIfPresent(String.self, forKey: .table),
            uniqueTogether: try c.decodeIfPresent([[String]].self, forKey: .uniqueTogether) ?? [],
            indexes: try c.decodeIfPresent([IndexState].self, forKey: .indexes) ?? []
        )
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(fields, forKey: .fields)
        try c.encodeIfPresent(table, forKey: .table)
        if !uniqueTogether.isEmpty { try c.encode(uniqueTogether, forKey: .uniqueTogether) }
        if !indexes.isEmpty { try c.encode(indexes, forKey: .indexes) }
    }
}

/// A named index over some fields (Django's `Meta.indexes`).
public struct IndexState: Codable, Equatable, Sendable {
    public var name: String
    public var fields: [String]

    public init(name: String, fields: [String]) {
        self.name = name
        self.fields = fields
    }
}

/// What ON DELETE does for a foreign key.
public enum OnDelete: String, Codable, Sendable, CaseIterable {
    case cascade = "CASCADE"
    case setNull = "SET NULL"
    case restrict = "RESTRICT"
}

/// The kind of a field and its type parameters.
public enum FieldKind: Equatable, Sendable {
    /// An auto-incrementing 64-bit primary key (`BIGSERIAL`). The project keeps every id 64-bit:
    /// CockroachDB makes `SERIAL` an `INT8` anyway, so PostgreSQL is made to agree.
    case autoField
    /// The same as `autoField` (`BIGSERIAL`), under Django's other name.
    case bigAutoField
    case char(maxLength: Int)
    case text
    case integer
    case bigInteger
    case decimal(digits: Int, places: Int)
    case boolean
    case dateTime
    case foreignKey(to: String, onDelete: OnDelete)
    case manyToMany(to: String)

    /// The Django class name, used in the migration file and in messages.
    public var typeName: String {
        switch self {
        case .autoField: return "AutoField"
        case .bigAutoField: return "BigAutoField"
        case .char: return "CharField"
        case .text: return "TextField"
        case .integer: return "IntegerField"
        case .bigInteger: return "BigIntegerField"
        case .decimal: return "DecimalField"
        case .boolean: return "BooleanField"
        case .dateTime: return "DateTimeField"
        case .foreignKey: return "ForeignKey"
        case .manyToMany: return "ManyToManyField"
        }
    }

    /// The model a relation points at.
    public var target: String? {
        switch self {
        case .foreignKey(let to, _), .manyToMany(let to): return to
        default: return nil
        }
    }

    public var isAuto: Bool { self == .autoField || self == .bigAutoField }
    public var isManyToMany: Bool { if case .manyToMany = self { return true } else { return false } }
    public var isForeignKey: Bool { if case .foreignKey = self { return true } else { return false } }
}

/// A column default, written into the table definition as a SQL literal.
public enum FieldDefault: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    /// A decimal in plain notation (`"0.00"`), checked when declared.
    case decimal(String)
    case boolean(Bool)
    /// The current time when the row is inserted (`now()`).
    case now
}

/// One field of a model.
public struct FieldState: Equatable, Sendable {
    public var name: String
    public var kind: FieldKind
    public var null: Bool
    public var primaryKey: Bool
    public var unique: Bool
    public var dbIndex: Bool
    public var defaultValue: FieldDefault?

    public init(name: String, kind: FieldKind, null: Bool = false, primaryKey: Bool = false,
                unique: Bool = false, dbIndex: Bool = false, defaultValue: FieldDefault? = nil) {
        self.name = name
        self.kind = kind
        self.null = null
        self.primaryKey = primaryKey
        self.unique = unique
        self.dbIndex = dbIndex
        self.defaultValue = defaultValue
    }

    /// The column name: `<name>_id` for a foreign key (Django's attname), the name otherwise.
    /// Many-to-many fields have no column.
    public var column: String { kind.isForeignKey ? "\(name)_id" : name }

    /// Whether the field is a column of its model's table (a many-to-many field is a join table).
    public var hasColumn: Bool { !kind.isManyToMany }

    /// Whether the column gets a plain index: `dbIndex`, or a foreign key (Django indexes those),
    /// unless it is unique or the primary key already.
    public var wantsIndex: Bool { (dbIndex || kind.isForeignKey) && !unique && !primaryKey && hasColumn }

    /// The same field under another name (for rename detection).
    func renamed(_ newName: String) -> FieldState {
        var copy = self
        copy.name = newName
        return copy
    }

    /// A short description for questions: "a CharField".
    var article: String {
        let name = kind.typeName
        return (["A", "E", "I", "O", "U"].contains(name.first.map(String.init) ?? "") ? "an " : "a ") + name
    }
}

extension FieldState: Codable {
    enum CodingKeys: String, CodingKey {
        case name, type, null, primaryKey = "primary_key", unique, dbIndex = "db_index", defaultValue = "default"
        case maxLength = "max_length", maxDigits = "max_digits", decimalPlaces = "decimal_places"
        case to, onDelete = "on_delete"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        let kind: FieldKind
        switch type {
        case "AutoField": kind = .autoField
        case "BigAutoField": kind = .bigAutoField
        case "CharField": kind = .char(maxLength: try c.decode(Int.self, forKey: .maxLength))
        case "TextField": kind = .text
        case "IntegerField": kind = .integer
        case "BigIntegerField": kind = .bigInteger
        case "DecimalField":
            kind = .decimal(digits: try c.decode(Int.self, forKey: .maxDigits),
                            places: try c.decode(Int.self, forKey: .decimalPlaces))
        case "BooleanField": kind = .boolean
        case "DateTimeField": kind = .dateTime
        case "ForeignKey":
            kind = .foreignKey(to: try c.decode(String.self, forKey: .to),
                               onDelete: try c.decode(OnDelete.self, forKey: .onDelete))
        case "ManyToManyField": kind = .manyToMany(to: try c.decode(String.self, forKey: .to))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown field type \(type)")
        }
        self.init(
            name: try c.decode(String.self, forKey: .name),
            kind: kind,
            null: try c.decodeIfPresent(Bool.self, forKey: .null) ?? false,
            primaryKey: try c.decodeIfPresent(Bool.self, forKey: .primaryKey) ?? false,
            unique: try c.decodeIfPresent(Bool.self, forKey: .unique) ?? false,
            dbIndex: try c.decodeIfPresent(Bool.self, forKey: .dbIndex) ?? false,
            defaultValue: try c.decodeIfPresent(FieldDefault.self, forKey: .defaultValue)
        )
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind.typeName, forKey: .type)
        switch kind {
        case .char(let maxLength): try c.encode(maxLength, forKey: .maxLength)
        case .decimal(let digits, let places):
            try c.encode(digits, forKey: .maxDigits)
            try c.encode(places, forKey: .decimalPlaces)
        case .foreignKey(let to, let onDelete):
            try c.encode(to, forKey: .to)
            try c.encode(onDelete, forKey: .onDelete)
        case .manyToMany(let to): try c.encode(to, forKey: .to)
        default: break
        }
        if null { try c.encode(true, forKey: .null) }
        if primaryKey { try c.encode(true, forKey: .primaryKey) }
        if unique { try c.encode(true, forKey: .unique) }
        if dbIndex { try c.encode(true, forKey: .dbIndex) }
        try c.encodeIfPresent(defaultValue, forKey: .defaultValue)
    }
}

extension FieldDefault: Codable {
    /// Encoded as a one-key object: `{"string": "x"}`, `{"integer": 1}`, `{"decimal": "0.00"}`,
    /// `{"boolean": true}`, `{"now": true}`.
    enum CodingKeys: String, CodingKey { case string, integer, decimal, boolean, now }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let v = try c.decodeIfPresent(String.self, forKey: .string) { self = .string(v) }
        else if let v = try c.decodeIfPresent(Int64.self, forKey: .integer) { self = .integer(v) }
        else if let v = try c.decodeIfPresent(String.self, forKey: .decimal) {
            guard FieldDefault.isPlainDecimal(v) else {
                throw DecodingError.dataCorruptedError(forKey: .decimal, in: c, debugDescription: "not a decimal: \(v)")
            }
            self = .decimal(v)
        }
        else if let v = try c.decodeIfPresent(Bool.self, forKey: .boolean) { self = .boolean(v) }
        else if c.contains(.now) { self = .now }
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown default"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .string(let v): try c.encode(v, forKey: .string)
        case .integer(let v): try c.encode(v, forKey: .integer)
        case .decimal(let v): try c.encode(v, forKey: .decimal)
        case .boolean(let v): try c.encode(v, forKey: .boolean)
        case .now: try c.encode(true, forKey: .now)
        }
    }

    /// Digits with at most one dot and an optional leading minus: "12", "-0.50".
    static func isPlainDecimal(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("-") { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
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
