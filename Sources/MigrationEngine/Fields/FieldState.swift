/// One field of a model: its name, kind and the options every kind takes.
public struct FieldState: Equatable, Sendable {
    public var name: String
    public var kind: FieldKind
    public var null: Bool
    public var primaryKey: Bool
    public var unique: Bool
    public var dbIndex: Bool
    /// The lasting database default, `DEFAULT ...` in the table (Django's `db_default`).
    public var defaultValue: FieldDefault?
    /// Django's `default`, which the database does not keep: it fills the existing rows when the
    /// column is added (`ADD COLUMN ... DEFAULT`, then `DROP DEFAULT`) or turns NOT NULL. Rows
    /// inserted later must carry a value (there is no ORM to supply it).
    public var fillDefault: FieldDefault?
    /// The column name, when not Django's (`db_column`).
    public var dbColumn: String?
    /// The column's comment (`db_comment`: `COMMENT ON COLUMN`).
    public var dbComment: String?
    /// Recorded only, as Django does: the reverse accessor's name has no schema effect.
    public var relatedName: String?
    /// Recorded only (value, label) pairs: Django writes no constraint for them, and neither does
    /// this project (a CHECK would make every new choice a schema change).
    public var choices: [[String]]?

    public init(name: String, kind: FieldKind, null: Bool = false, primaryKey: Bool = false,
                unique: Bool = false, dbIndex: Bool = false, defaultValue: FieldDefault? = nil,
                fillDefault: FieldDefault? = nil, dbColumn: String? = nil, dbComment: String? = nil,
                relatedName: String? = nil, choices: [[String]]? = nil) {
        self.name = name
        self.kind = kind
        self.null = null
        self.primaryKey = primaryKey
        self.unique = unique
        self.dbIndex = dbIndex
        self.defaultValue = defaultValue
        self.fillDefault = fillDefault
        self.dbColumn = dbColumn
        self.dbComment = dbComment
        self.relatedName = relatedName
        self.choices = choices
    }

    /// The column name: `db_column` when given, else `<name>_id` for a foreign key (Django's
    /// attname) and the name otherwise. Many-to-many fields have no column.
    public var column: String { dbColumn ?? (kind.isForeignKey ? "\(name)_id" : name) }

    /// Whether the field is a column of its model's table (a many-to-many field is a join table).
    public var hasColumn: Bool { !kind.isManyToMany }

    /// Whether the column is unique: declared so, or of a kind that always is (a one-to-one relation).
    public var isUnique: Bool { unique || kind.type.impliesUnique }

    /// Whether the column gets a plain index: `dbIndex`, or a foreign key (Django indexes those),
    /// unless it is unique or the primary key already.
    public var wantsIndex: Bool { (dbIndex || kind.isForeignKey) && !isUnique && !primaryKey && hasColumn }

    /// The default as SQL, as the field's kind writes it.
    var defaultSQL: String? { defaultValue.map(kind.type.defaultSQL) }

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
    /// The keys every field has; a kind's own parameters sit beside them (`FieldType.encode(parameters:)`).
    private enum Key {
        static let name = FieldCodingKey("name"), type = FieldCodingKey("type"), null = FieldCodingKey("null")
        static let primaryKey = FieldCodingKey("primary_key"), unique = FieldCodingKey("unique")
        static let dbIndex = FieldCodingKey("db_index"), defaultValue = FieldCodingKey("default")
        static let fillDefault = FieldCodingKey("fill_default"), dbColumn = FieldCodingKey("db_column")
        static let dbComment = FieldCodingKey("db_comment"), relatedName = FieldCodingKey("related_name")
        static let choices = FieldCodingKey("choices")
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: FieldCodingKey.self)
        let typeName = try c.decode(String.self, forKey: Key.type)
        guard let type = FieldKind.named(typeName) else {
            throw DecodingError.dataCorruptedError(forKey: Key.type, in: c, debugDescription: "unknown field type \(typeName)")
        }
        self.init(
            name: try c.decode(String.self, forKey: Key.name),
            kind: FieldKind(try type.init(parameters: FieldParameters(container: c))),
            null: try c.decodeIfPresent(Bool.self, forKey: Key.null) ?? false,
            primaryKey: try c.decodeIfPresent(Bool.self, forKey: Key.primaryKey) ?? false,
            unique: try c.decodeIfPresent(Bool.self, forKey: Key.unique) ?? false,
            dbIndex: try c.decodeIfPresent(Bool.self, forKey: Key.dbIndex) ?? false,
            defaultValue: try c.decodeIfPresent(FieldDefault.self, forKey: Key.defaultValue),
            fillDefault: try c.decodeIfPresent(FieldDefault.self, forKey: Key.fillDefault),
            dbColumn: try c.decodeIfPresent(String.self, forKey: Key.dbColumn),
            dbComment: try c.decodeIfPresent(String.self, forKey: Key.dbComment),
            relatedName: try c.decodeIfPresent(String.self, forKey: Key.relatedName),
            choices: try c.decodeIfPresent([[String]].self, forKey: Key.choices)
        )
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: FieldCodingKey.self)
        try c.encode(name, forKey: Key.name)
        try c.encode(kind.typeName, forKey: Key.type)
        var parameters = FieldParameterWriter(container: c)
        try kind.type.encode(parameters: &parameters)
        c = parameters.container
        if null { try c.encode(true, forKey: Key.null) }
        if primaryKey { try c.encode(true, forKey: Key.primaryKey) }
        if unique { try c.encode(true, forKey: Key.unique) }
        if dbIndex { try c.encode(true, forKey: Key.dbIndex) }
        try c.encodeIfPresent(defaultValue, forKey: Key.defaultValue)
        try c.encodeIfPresent(fillDefault, forKey: Key.fillDefault)
        try c.encodeIfPresent(dbColumn, forKey: Key.dbColumn)
        try c.encodeIfPresent(dbComment, forKey: Key.dbComment)
        try c.encodeIfPresent(relatedName, forKey: Key.relatedName)
        try c.encodeIfPresent(choices, forKey: Key.choices)
    }
}
