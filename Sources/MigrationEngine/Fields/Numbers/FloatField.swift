/// `DOUBLE PRECISION` (`FLOAT8` on CockroachDB); a default is kept as the plain decimal text it
/// was given ("1.5"), so the file says exactly what the database gets.
public struct FloatField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: String? = nil, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .float, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: value.map(FieldDefault.decimal))
    }

    public struct Kind: FieldType {
        public static let typeName = "FloatField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .doublePrecision }

        public func defaultProblem(_ value: FieldDefault) -> String? {
            guard case .decimal(let text) = value else { return defaultDoesNotFit }
            return FieldDefault.isPlainDecimal(text) ? nil : "default '\(text)' is not a plain decimal"
        }

        public func parseDefault(_ text: String) -> FieldDefault? { FieldDefault.isPlainDecimal(text) ? .decimal(text) : nil }
    }
}

extension FieldKind {
    public static let float = FieldKind(FloatField.Kind())
}

extension ColumnType {
    public static let doublePrecision = ColumnType(sql: "DOUBLE PRECISION", postgreSQL: .init("double precision"),
                                                   cockroachDB: .init("double precision"))
}
