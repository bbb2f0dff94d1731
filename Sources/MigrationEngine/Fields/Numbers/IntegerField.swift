/// `INTEGER` (32-bit on PostgreSQL; on CockroachDB `INTEGER` is `INT8` unless `default_int_size`
/// is 4).
public struct IntegerField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: Int32? = nil, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .integer, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: value.map { .integer(Int64($0)) })
    }

    public struct Kind: FieldType {
        public static let typeName = "IntegerField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .integer }

        public func defaultProblem(_ value: FieldDefault) -> String? {
            if case .integer = value { return nil }
            return defaultDoesNotFit
        }

        public func parseDefault(_ text: String) -> FieldDefault? { Int32(text).map { .integer(Int64($0)) } }
    }
}

extension FieldKind {
    public static let integer = FieldKind(IntegerField.Kind())
}

extension ColumnType {
    /// Widens to `BIGINT` in place.
    public static let integer = ColumnType(sql: "INTEGER", postgreSQL: .init("integer"), cockroachDB: .init("bigint"),
                                           widensInto: ["BIGINT"])
}
