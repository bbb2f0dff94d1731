/// What Django's `CharField` subclasses share: a `VARCHAR(max_length)` column, string defaults
/// that fit it. `EmailField`, `SlugField` and `URLField` differ only in their name and default
/// length, so a change between them and a `CharField` of the same length changes no SQL.
public protocol VarcharKind: FieldType {
    var maxLength: Int { get }
    init(maxLength: Int)
}

extension VarcharKind {
    public init(parameters: FieldParameters) throws { self.init(maxLength: try parameters.decode(Int.self, forKey: "max_length")) }
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
