/// `UUID`; `defaultRandom` gives it `DEFAULT gen_random_uuid()` (built into both servers), the
/// primary key CockroachDB recommends: ids spread over the key space instead of piling on one
/// range. A foreign key to it is a `UUID`.
public struct UUIDField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, primaryKey: Bool = false, null: Bool = false, defaultRandom: Bool = false,
                unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .uuid, null: null, primaryKey: primaryKey, unique: unique, dbIndex: dbIndex,
                           defaultValue: defaultRandom ? .randomUUID : nil)
    }

    public struct Kind: FieldType {
        public static let typeName = "UUIDField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .uuid }
        public func defaultProblem(_ value: FieldDefault) -> String? { value == .randomUUID ? nil : defaultDoesNotFit }
        /// "uuid": a new random one for each existing row.
        public func parseDefault(_ text: String) -> FieldDefault? { text.lowercased() == "uuid" ? .randomUUID : nil }
        public var defaultPromptHint: String { ", \"uuid\" for a random one per row" }
    }
}

extension FieldKind {
    public static let uuid = FieldKind(UUIDField.Kind())
}

extension ColumnType {
    public static let uuid = ColumnType(sql: "UUID", postgreSQL: .init("uuid"), cockroachDB: .init("uuid"))
}
