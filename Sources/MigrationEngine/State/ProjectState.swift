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
