/// `SMALLINT` (16-bit on both servers).
public struct SmallIntegerField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: Int16? = nil, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .smallInteger, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: value.map { .integer(Int64($0)) })
    }

    public struct Kind: FieldType {
        public static let typeName = "SmallIntegerField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .smallInt }
        public func defaultProblem(_ value: FieldDefault) -> String? { integerDefaultProblem(value, in: Int64(Int16.min)...Int64(Int16.max)) }
        public func parseDefault(_ text: String) -> FieldDefault? { Int16(text).map { .integer(Int64($0)) } }
    }
}

extension FieldKind {
    public static let smallInteger = FieldKind(SmallIntegerField.Kind())
}

extension ColumnType {
    /// Widens to `INTEGER` and `BIGINT` in place.
    public static let smallInt = ColumnType(sql: "SMALLINT", postgreSQL: .init("smallint"), cockroachDB: .init("smallint"),
                                            widensInto: ["INTEGER", "BIGINT"])
}

extension FieldType {
    /// An integer default within `range`, or why not.
    func integerDefaultProblem(_ value: FieldDefault, in range: ClosedRange<Int64>) -> String? {
        guard case .integer(let n) = value else { return defaultDoesNotFit }
        return range.contains(n) ? nil : "default \(n) is outside \(range.lowerBound)...\(range.upperBound)"
    }
}
