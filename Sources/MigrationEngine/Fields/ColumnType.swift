import Database

/// A column's type, as both servers take it in DDL and as each shows it in
/// `information_schema.columns`, with what changing it to another type means. Each field kind
/// names its own (in its file); two column types are the same when their DDL is.
public struct ColumnType: Sendable, Equatable, CustomStringConvertible {
    /// The type in DDL, the same text on PostgreSQL and CockroachDB: `VARCHAR(250)`.
    public let sql: String
    /// What `information_schema.columns` shows for a column of this type on PostgreSQL...
    public let postgreSQL: InformationSchemaType
    /// ... and on CockroachDB (where `INTEGER` is `INT8` under the default `default_int_size`).
    public let cockroachDB: InformationSchemaType
    /// The type without its width (`VARCHAR`), for telling which changes happen in place.
    let family: String
    /// A width within the family that holds every value of a narrower one (`VARCHAR`'s length).
    let width: Int?
    /// Families a column of this type changes into in place, whatever the width.
    let widensInto: [String]

    public init(sql: String, postgreSQL: InformationSchemaType, cockroachDB: InformationSchemaType,
                family: String? = nil, width: Int? = nil, widensInto: [String] = []) {
        self.sql = sql
        self.postgreSQL = postgreSQL
        self.cockroachDB = cockroachDB
        self.family = family ?? sql
        self.width = width
        self.widensInto = widensInto
    }

    public static func == (a: ColumnType, b: ColumnType) -> Bool { a.sql == b.sql }

    public var description: String { sql }

    /// What `information_schema.columns` shows for this type on `server` (PostgreSQL's when the
    /// server is not known).
    public func informationSchemaType(on server: ServerKind) -> InformationSchemaType {
        server == .cockroachDB ? cockroachDB : postgreSQL
    }

    /// Whether changing a column to `other` keeps every value and rewrites nothing, so that a plain
    /// `ALTER COLUMN ... TYPE` runs in place on CockroachDB as well: a wider width of the same
    /// family, or a family this one widens into. Any other change is Django's conversion,
    /// `ALTER COLUMN ... TYPE t USING col::t` (`SchemaEditor`), which CockroachDB runs only as a
    /// "general" type change (`manage lint` says so).
    func widensInPlace(to other: ColumnType) -> Bool {
        if other.family == family, let width, let otherWidth = other.width { return otherWidth >= width }
        return widensInto.contains(other.family)
    }

    /// Whether the column is an auto id (`SERIAL` and its widths): not a type `ALTER COLUMN ...
    /// TYPE` can give or take, since it stands for a column, a sequence and a default.
    var isSerial: Bool { family.hasSuffix("SERIAL") }
}

/// A column type as `information_schema.columns` describes it: `data_type`,
/// `character_maximum_length`, `numeric_precision` and `numeric_scale` (the last three only
/// where they say something about the declared type).
public struct InformationSchemaType: Hashable, Sendable, CustomStringConvertible {
    public var dataType: String
    public var characterMaximumLength: Int?
    public var numericPrecision: Int?
    public var numericScale: Int?

    public init(_ dataType: String, characterMaximumLength: Int? = nil, numericPrecision: Int? = nil, numericScale: Int? = nil) {
        self.dataType = dataType
        self.characterMaximumLength = characterMaximumLength
        self.numericPrecision = numericPrecision
        self.numericScale = numericScale
    }

    /// `character varying(250)`, `numeric(18,2)`, `bigint`.
    public var description: String {
        if let length = characterMaximumLength { return "\(dataType)(\(length))" }
        if let p = numericPrecision, let s = numericScale { return "\(dataType)(\(p),\(s))" }
        return dataType
    }
}
