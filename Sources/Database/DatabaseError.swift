/// What the server said about a failed statement, from libpq's `PQresultErrorField`.
public struct ServerError: Sendable, Equatable, CustomStringConvertible {
    public var sqlState: String
    public var severity: String
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?

    public init(sqlState: String, severity: String = "ERROR", message: String, detail: String? = nil,
                hint: String? = nil, constraint: String? = nil, table: String? = nil, column: String? = nil) {
        self.sqlState = sqlState
        self.severity = severity
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
    }

    public var description: String {
        var text = "\(severity): \(message) (SQLSTATE \(sqlState))"
        if let detail { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        return text
    }

    /// 40001: the transaction must be rerun from the start (CockroachDB's "restart transaction").
    public var isSerializationFailure: Bool { sqlState == "40001" }
    /// 40003: the statement may or may not have taken effect (CockroachDB's ambiguous result).
    public var isAmbiguousResult: Bool { sqlState == "40003" }
    /// The prepared statement must be prepared again: the server no longer has it (26000: the
    /// session was reset by DISCARD ALL or a pooler in between), or its plan no longer fits the
    /// tables (0A000 "cached plan must not change result type", after a schema change). The
    /// statement that failed did nothing.
    public var isStalePreparedStatement: Bool {
        sqlState == "26000" || (sqlState == "0A000" && message.contains("cached plan must not change result type"))
    }
    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
}

/// Every failure the database layer reports.
public enum DatabaseError: Error, Sendable, CustomStringConvertible {
    /// The server answered with an error.
    case server(ServerError)
    /// No connection could be made, or the one in use was lost.
    case connection(String)
    /// A value could not be decoded into the Swift type asked for.
    case decoding(String)
    /// The pool had no connection free within its acquire timeout.
    case poolTimeout(seconds: Double)
    /// The pool was shut down.
    case poolClosed
    /// A transaction kept conflicting (40001) through every attempt the retry policy allowed.
    case retriesExhausted(attempts: Int, last: ServerError)
    /// The commit may or may not have happened (40003, or the connection was lost during COMMIT):
    /// never retried blindly.
    case outcomeUnknown(String)

    public var description: String {
        switch self {
        case .server(let error): return error.description
        case .connection(let message): return "connection failed: \(message)"
        case .decoding(let message): return "decoding failed: \(message)"
        case .poolTimeout(let seconds): return "no database connection free within \(seconds) s"
        case .poolClosed: return "the connection pool is shut down"
        case .retriesExhausted(let attempts, let last):
            return "transaction still conflicting after \(attempts) attempts: \(last.message)"
        case .outcomeUnknown(let message): return "transaction outcome unknown: \(message)"
        }
    }

    /// The server-side error, if this is one.
    public var serverError: ServerError? {
        if case .server(let error) = self { return error }
        return nil
    }

    /// True for failures that mean "the database is not available right now" (an API answers 503).
    public var isUnavailable: Bool {
        switch self {
        case .connection, .poolTimeout, .poolClosed, .retriesExhausted, .outcomeUnknown: return true
        case .server(let error):
            // Class 08 (connection exception), 57P01-03 (admin shutdown, crash shutdown, cannot connect now).
            return error.sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(error.sqlState)
        case .decoding: return false
        }
    }
}
