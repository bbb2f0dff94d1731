/// `VARCHAR(maxLength)`.
public struct CharField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, maxLength: Int, null: Bool = false, default value: String? = nil,
                unique: Bool = false, dbIndex: Bool = false, primaryKey: Bool = false) {
        state = FieldState(name: name, kind: .char(maxLength: maxLength), null: null, primaryKey: primaryKey,
                           unique: unique, dbIndex: dbIndex, defaultValue: value.map(FieldDefault.string))
    }

    public struct Kind: FieldType {
        public static let typeName = "CharField"
        public var maxLength: Int

        public init(maxLength: Int) { self.maxLength = maxLength }
        public init(parameters: FieldParameters) throws { maxLength = try parameters.decode(Int.self, forKey: "max_length") }
        public func encode(parameters: inout FieldParameterWriter) throws { try parameters.encode(maxLength, forKey: "max_length") }

        public var columnType: ColumnType? { .varchar(maxLength) }

        public func defaultProblem(_ value: FieldDefault) -> String? {
            guard case .string(let text) = value else { return defaultDoesNotFit }
            return text.count > maxLength ? "default is longer than max length \(maxLength)" : nil
        }

        public func parseDefault(_ text: String) -> FieldDefault? { text.count <= maxLength ? .string(text) : nil }

        public func problems(of field: FieldState, in model: ModelState, of state: ProjectState) -> [String] {
            maxLength < 1 ? ["max length \(maxLength) must be at least 1"] : []
        }
    }
}

extension FieldKind {
    public static func char(maxLength: Int) -> FieldKind { FieldKind(CharField.Kind(maxLength: maxLength)) }
}

extension ColumnType {
    /// `character varying` of that length on both servers. A longer length, or `TEXT`, holds
    /// every value: those changes happen in place.
    public static func varchar(_ length: Int) -> ColumnType {
        let shown = InformationSchemaType("character varying", characterMaximumLength: length)
        return ColumnType(sql: "VARCHAR(\(length))", postgreSQL: shown, cockroachDB: shown,
                          family: "VARCHAR", width: length, widensInto: ["TEXT"])
    }
}
