import CLibPQ

/// The rows of one statement. It owns libpq's `PGresult`, which is immutable once made and so
/// safe to read from any thread.
public final class QueryResult: @unchecked Sendable, RandomAccessCollection {
    let result: OpaquePointer
    public let count: Int
    public let columnCount: Int

    init(_ result: OpaquePointer) {
        self.result = result
        self.count = Int(PQntuples(result))
        self.columnCount = Int(PQnfields(result))
    }

    deinit { PQclear(result) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> Row { Row(result: self, index: Int32(position)) }

    /// Rows changed by an INSERT/UPDATE/DELETE (from the command tag).
    public var rowsAffected: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public var columnNames: [String] {
        (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
    }

    /// The index of a named column, if the result has one.
    public func columnIndex(_ name: String) -> Int? {
        let i = Int(PQfnumber(result, name))
        return i >= 0 ? i : nil
    }
}

/// One row of a `QueryResult`. Columns are read by position (cheapest) or by name.
public struct Row: @unchecked Sendable {
    let result: QueryResult
    let index: Int32

    public func isNull(_ column: Int) -> Bool { PQgetisnull(result.result, index, Int32(column)) == 1 }

    /// The column's bytes in text format, straight from libpq's buffer, valid while `body` runs.
    public func withText<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        let length = Int(PQgetlength(result.result, index, Int32(column)))
        let pointer = UnsafeRawPointer(PQgetvalue(result.result, index, Int32(column))!)
        return try body(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: length))
    }

    /// Decodes a non-null column. NULL or text that is not a `T` is a `DatabaseError.decoding`.
    public func decode<T: SQLDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        guard column >= 0, column < result.columnCount else {
            throw DatabaseError.decoding("column \(column) out of range (\(result.columnCount) columns)")
        }
        if isNull(column) {
            throw DatabaseError.decoding("column \(columnName(column)) is NULL, expected \(T.sqlTypeName)")
        }
        guard let value = withText(column, T.decode(sqlText:)) else {
            let text = withText(column) { String(decoding: $0, as: UTF8.self) }
            throw DatabaseError.decoding("column \(columnName(column)) holds \"\(text.prefix(40))\", not a \(T.sqlTypeName)")
        }
        return value
    }

    /// Decodes a column that may be NULL.
    public func decode<T: SQLDecodable>(_ type: T?.Type, at column: Int) throws -> T? {
        if column < result.columnCount, isNull(column) { return nil }
        return try decode(T.self, at: column)
    }

    /// Decodes a column by name.
    public func decode<T: SQLDecodable>(_ type: T.Type = T.self, named name: String) throws -> T {
        guard let column = result.columnIndex(name) else { throw DatabaseError.decoding("no column named \(name)") }
        return try decode(T.self, at: column)
    }

    public func decode<T: SQLDecodable>(_ type: T?.Type, named name: String) throws -> T? {
        guard let column = result.columnIndex(name) else { throw DatabaseError.decoding("no column named \(name)") }
        return try decode(T?.self, at: column)
    }

    func columnName(_ column: Int) -> String { String(cString: PQfname(result.result, Int32(column))) }
}
