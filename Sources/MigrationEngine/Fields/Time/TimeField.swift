/// `TIME` (without time zone, as Django's); `defaultNow` fills it with the time of the insert in
/// the session's time zone (`DEFAULT LOCALTIME`, a `time` on both servers).
public struct TimeField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, defaultNow: Bool = false, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .time, null: null, unique: unique, dbIndex: dbIndex, defaultValue: defaultNow ? .now : nil)
    }

    public struct Kind: FieldType {
        public static let typeName = "TimeField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .time }
        public func defaultProblem(_ value: FieldDefault) -> String? { value == .now ? nil : defaultDoesNotFit }
        public func defaultSQL(_ value: FieldDefault) -> String { value == .now ? "LOCALTIME" : value.sql }
        public func parseDefault(_ text: String) -> FieldDefault? { text.lowercased() == "now" ? .now : nil }
        public var defaultPromptHint: String { ", \"now\"" }
    }
}

extension FieldKind {
    public static let time = FieldKind(TimeField.Kind())
}

extension ColumnType {
    public static let time = ColumnType(sql: "TIME", postgreSQL: .init("time without time zone"),
                                        cockroachDB: .init("time without time zone"))
}
