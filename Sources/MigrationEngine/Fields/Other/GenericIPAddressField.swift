/// `INET` (an IPv4 or IPv6 address, as Django's on PostgreSQL).
public struct GenericIPAddressField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .genericIPAddress, null: null, unique: unique, dbIndex: dbIndex)
    }

    public struct Kind: FieldType {
        public static let typeName = "GenericIPAddressField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .inet }
    }
}

extension FieldKind {
    public static let genericIPAddress = FieldKind(GenericIPAddressField.Kind())
}

extension ColumnType {
    public static let inet = ColumnType(sql: "INET", postgreSQL: .init("inet"), cockroachDB: .init("inet"))
}
