/// `DECIMAL(maxDigits, decimalPlaces)`; a default is given as text ("0.00") so it stays exact.
public struct DecimalField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, maxDigits: Int, decimalPlaces: Int, null: Bool = false, default value: String? = nil,
                unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .decimal(digits: maxDigits, places: decimalPlaces), null: null,
                           unique: unique, dbIndex: dbIndex, defaultValue: value.map(FieldDefault.decimal))
    }

    public struct Kind: FieldType {
        public static let typeName = "DecimalField"
        public var digits: Int
        public var places: Int

        public init(digits: Int, places: Int) {
            self.digits = digits
            self.places = places
        }

        public init(parameters: FieldParameters) throws {
            digits = try parameters.decode(Int.self, forKey: "max_digits")
            places = try parameters.decode(Int.self, forKey: "decimal_places")
        }

        public func encode(parameters: inout FieldParameterWriter) throws {
            try parameters.encode(digits, forKey: "max_digits")
            try parameters.encode(places, forKey: "decimal_places")
        }

        public var columnType: ColumnType? { .decimal(digits, places) }

        public func defaultProblem(_ value: FieldDefault) -> String? {
            guard case .decimal(let text) = value else { return defaultDoesNotFit }
            return FieldDefault.isPlainDecimal(text) ? nil : "default '\(text)' is not a plain decimal"
        }

        /// Plain notation with at most `places` decimals and `digits - places` integer digits.
        public func parseDefault(_ text: String) -> FieldDefault? {
            guard FieldDefault.isPlainDecimal(text) else { return nil }
            let parts = (text.hasPrefix("-") ? text.dropFirst() : text[...]).split(separator: ".", omittingEmptySubsequences: false)
            let fraction = parts.count > 1 ? parts[1].count : 0
            return fraction <= places && parts[0].count <= digits - places ? .decimal(text) : nil
        }

        public func problems(of field: FieldState, in model: ModelState, of state: ProjectState) -> [String] {
            var problems: [String] = []
            if digits < 1 || digits > 1000 { problems.append("max digits \(digits) must be between 1 and 1000") }
            if places < 0 { problems.append("decimal places \(places) must not be negative") }
            if places > digits { problems.append("decimal places \(places) exceed max digits \(digits)") }
            return problems
        }
    }
}

extension FieldKind {
    public static func decimal(digits: Int, places: Int) -> FieldKind { FieldKind(DecimalField.Kind(digits: digits, places: places)) }
}

extension ColumnType {
    /// `numeric` with that precision and scale on both servers. Every change of either rewrites.
    public static func decimal(_ precision: Int, _ scale: Int) -> ColumnType {
        let shown = InformationSchemaType("numeric", numericPrecision: precision, numericScale: scale)
        return ColumnType(sql: "DECIMAL(\(precision), \(scale))", postgreSQL: shown, cockroachDB: shown, family: "DECIMAL")
    }
}
