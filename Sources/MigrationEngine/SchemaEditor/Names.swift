/// Django's naming of indexes and constraints (`BaseDatabaseSchemaEditor._create_index_name`),
/// with a SHA-256 digest where Django uses MD5, kept within PostgreSQL's 63 characters.
enum Names {
    static let maxLength = 63

    /// The 8 hex digits that tell apart names made from the same table and columns' prefixes.
    static func hash(_ table: String, _ columns: [String]) -> String {
        String(SHA256Hex.of(([table] + columns).joined(separator: "\u{0}")).prefix(8))
    }

    static func indexName(_ table: String, _ columns: [String], suffix: String = "") -> String {
        var hashSuffix = hash(table, columns) + suffix
        let name = "\(table)_\(columns.joined(separator: "_"))_\(hashSuffix)"
        if name.count <= maxLength { return name }
        if hashSuffix.count > maxLength / 3 { hashSuffix = String(hashSuffix.prefix(maxLength / 3)) }
        let other = (maxLength - hashSuffix.count) / 2 - 1
        var short = "\(table.prefix(other))_\(columns.joined(separator: "_").prefix(other))_\(hashSuffix)"
        if short.first == "_" || short.first?.isNumber == true { short = "D" + short.dropLast() }
        return short
    }
}
