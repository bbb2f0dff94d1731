/// Django's `SmallAutoField`: `SMALLSERIAL`. On PostgreSQL a `smallint` numbered by a sequence
/// (ids stop at 32,767); on CockroachDB every serial becomes `INT8 DEFAULT unique_rowid()`
/// (`serial_normalization = rowid`), so the id is not small there and its values are large.
/// A foreign key to it is a `BIGINT`, which holds the id on both servers.
public struct SmallAutoField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, primaryKey: Bool = true) {
        state = FieldState(name: name, kind: .smallAutoField, primaryKey: primaryKey)
    }

    public struct Kind: FieldType {
        public static let typeName = "SmallAutoField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .smallSerial }
        public var referenceColumnType: ColumnType? { .bigInt }
        public var isAutoIncrement: Bool { true }
    }
}

extension FieldKind {
    public static let smallAutoField = FieldKind(SmallAutoField.Kind())
}

extension ColumnType {
    /// `smallint` on PostgreSQL, `bigint` on CockroachDB (a `unique_rowid()` id).
    public static let smallSerial = ColumnType(sql: "SMALLSERIAL", postgreSQL: .init("smallint"), cockroachDB: .init("bigint"))
}
