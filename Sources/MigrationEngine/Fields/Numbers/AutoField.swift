/// An auto-incrementing 64-bit primary key (`BIGSERIAL`). The project keeps every id 64-bit:
/// CockroachDB makes `SERIAL` an `INT8` anyway, so PostgreSQL is made to agree.
public struct AutoField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, primaryKey: Bool = true) {
        state = FieldState(name: name, kind: .autoField, primaryKey: primaryKey)
    }

    public struct Kind: FieldType {
        public static let typeName = "AutoField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .bigSerial }
        /// A foreign key to it is a plain `BIGINT`.
        public var referenceColumnType: ColumnType? { .bigInt }
        public var isAutoIncrement: Bool { true }
    }
}

extension FieldKind {
    public static let autoField = FieldKind(AutoField.Kind())
}

extension ColumnType {
    /// On PostgreSQL a `BIGINT` numbered by a sequence; on CockroachDB an `INT8` that defaults to
    /// `unique_rowid()` (its default `serial_normalization`). Both show as `bigint`.
    public static let bigSerial = ColumnType(sql: "BIGSERIAL", postgreSQL: .init("bigint"), cockroachDB: .init("bigint"))
}
