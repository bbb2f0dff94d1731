/// `BIGINT` (64-bit).
public struct BigIntegerField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: Int64? = nil, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .bigInteger, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: value.map(FieldDefault.integer))
    }

    public struct Kind: FieldType {
        public static let typeName = "BigIntegerField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .bigInt }

        public func defaultProblem(_ value: FieldDefault) -> String? {
            if case .integer = value { return nil }
            return defaultDoesNotFit
        }

        public func parseDefault(_ text: String) -> FieldDefault? { Int64(text).map(FieldDefault.integer) }
    }
}

extension FieldKind {
    public static let bigInteger = FieldKind(BigIntegerField.Kind())
}

extension ColumnType {
    public static let bigInt = ColumnType(sql: "BIGINT", postgreSQL: .init("bigint"), cockroachDB: .init("bigint"))
}
