/// A column default, written into the table definition as a SQL literal.
public enum FieldDefault: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    /// A decimal in plain notation (`"0.00"`), checked when declared.
    case decimal(String)
    case boolean(Bool)
    /// The current time when the row is inserted (`now()`).
    case now
    /// A new random UUID for each row (`gen_random_uuid()`, built into both servers).
    case randomUUID

    /// The value as SQL, the same on both servers: a quoted literal, a number, `TRUE`, `now()`.
    public var sql: String {
        switch self {
        case .string(let text): return SQLWriter.literal(text)
        case .integer(let n): return String(n)
        case .decimal(let text): return text
        case .boolean(let b): return b ? "TRUE" : "FALSE"
        case .now: return "now()"
        case .randomUUID: return "gen_random_uuid()"
        }
    }

    /// Digits with at most one dot and an optional leading minus: "12", "-0.50".
    static func isPlainDecimal(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("-") { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }
}

extension FieldDefault: Codable {
    /// Encoded as a one-key object: `{"string": "x"}`, `{"integer": 1}`, `{"decimal": "0.00"}`,
    /// `{"boolean": true}`, `{"now": true}`, `{"uuid": true}`.
    enum CodingKeys: String, CodingKey { case string, integer, decimal, boolean, now, uuid }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let v = try c.decodeIfPresent(String.self, forKey: .string) { self = .string(v) }
        else if let v = try c.decodeIfPresent(Int64.self, forKey: .integer) { self = .integer(v) }
        else if let v = try c.decodeIfPresent(String.self, forKey: .decimal) {
            guard FieldDefault.isPlainDecimal(v) else {
                throw DecodingError.dataCorruptedError(forKey: .decimal, in: c, debugDescription: "not a decimal: \(v)")
            }
            self = .decimal(v)
        }
        else if let v = try c.decodeIfPresent(Bool.self, forKey: .boolean) { self = .boolean(v) }
        else if c.contains(.now) { self = .now }
        else if c.contains(.uuid) { self = .randomUUID }
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown default"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .string(let v): try c.encode(v, forKey: .string)
        case .integer(let v): try c.encode(v, forKey: .integer)
        case .decimal(let v): try c.encode(v, forKey: .decimal)
        case .boolean(let v): try c.encode(v, forKey: .boolean)
        case .now: try c.encode(true, forKey: .now)
        case .randomUUID: try c.encode(true, forKey: .uuid)
        }
    }
}
