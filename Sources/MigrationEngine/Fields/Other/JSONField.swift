/// `JSONB`. Its plain index (`dbIndex`) is an inverted one (`USING GIN`, which both servers
/// accept): older CockroachDB cannot key a B-tree on `JSONB`, so it cannot be unique or the
/// primary key here either.
public struct JSONField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .json, null: null, dbIndex: dbIndex)
    }

    public struct Kind: FieldType {
        public static let typeName = "JSONField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .jsonb }
        public var indexMethod: String? { "GIN" }

        public func problems(of field: FieldState, in model: ModelState, of state: ProjectState) -> [String] {
            field.unique || field.primaryKey ? ["a JSONField cannot be unique or the primary key (CockroachDB indexes JSONB only with an inverted index)"] : []
        }
    }
}

extension FieldKind {
    public static let json = FieldKind(JSONField.Kind())
}

extension ColumnType {
    public static let jsonb = ColumnType(sql: "JSONB", postgreSQL: .init("jsonb"), cockroachDB: .init("jsonb"))
}
