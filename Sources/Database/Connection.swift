import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which server is on the other end, from `SELECT version()`.
public enum ServerKind: String, Sendable {
    case cockroachDB = "CockroachDB"
    case postgreSQL = "PostgreSQL"
    case unknown
}

/// One libpq connection. Every call blocks the calling thread until the server answers.
///
/// A libpq connection is not thread-safe: only one thread may use it at a time. The pool
/// guarantees that by leasing each connection to one closure at a time, which is why the type
/// is marked `@unchecked Sendable`; code that opens a connection itself must do the same.
public final class Connection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// SQL text to prepared statement name, for statements this connection has prepared.
    private var preparedStatements: [String: String] = [:]
    private static let preparedStatementLimit = 512
    private var cachedServerKind: ServerKind?
    /// A BEGIN not sent yet: it goes with the next statement, in one round trip (libpq pipeline
    /// mode), instead of costing a round trip of its own. See `beginLazily`.
    private var pendingBegin: String?
    private let connectionString: String
    /// The connection string with any password masked, for messages.
    public let redactedConnectionString: String
    /// When the connection was opened (for the pool's max lifetime).
    public let openedAt: ContinuousClock.Instant

    /// Opens a connection from a libpq connection string or URI (every libpq keyword and `PG*`
    /// variable works as libpq defines). Unless the string or `PGCONNECT_TIMEOUT` says otherwise,
    /// connecting gives up after 5 seconds rather than hanging.
    public init(connectionString: String) throws {
        self.connectionString = connectionString
        redactedConnectionString = ConnectionString.redacted(connectionString)
        openedAt = .now
        var keywords = ["dbname"], values = [connectionString]
        if getenv("PGCONNECT_TIMEOUT") == nil {
            // Listed first, so a connect_timeout in the string itself overrides it.
            keywords.insert("connect_timeout", at: 0)
            values.insert("5", at: 0)
        }
        handle = withCStringArray(keywords) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let handle else { throw DatabaseError.connection("out of memory opening a connection") }
        guard PQstatus(handle) == CONNECTION_OK else {
            // libpq may quote the string, or the piece it could not parse, in its message.
            let message = ConnectionString.scrub(Connection.lastError(handle), of: connectionString)
            PQfinish(handle)
            self.handle = nil
            throw DatabaseError.connection(message)
        }
        // Notices (e.g. "table does not exist, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit { close() }

    /// Closes the connection; further calls fail with `DatabaseError.connection`.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        pendingBegin = nil
        preparedStatements.removeAll()
    }

    /// Drops the connection and opens it again with the same settings (libpq's `PQreset`).
    public func reconnect() throws {
        pendingBegin = nil
        preparedStatements.removeAll()
        cachedServerKind = nil
        guard let handle else { throw DatabaseError.connection("the connection is closed") }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw DatabaseError.connection(ConnectionString.scrub(Connection.lastError(handle), of: connectionString))
        }
    }

    /// False once the connection is closed or libpq has seen it break.
    public var isOpen: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server process serving this connection (for `pg_terminate_backend` in tests).
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    public enum TransactionStatus: Sendable { case idle, active, inTransaction, failedTransaction, unknown }

    public var transactionStatus: TransactionStatus {
        guard let handle else { return .unknown }
        if pendingBegin != nil, PQstatus(handle) == CONNECTION_OK { return .inTransaction }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .failedTransaction
        default: return .unknown
        }
    }

    /// Checks, without a round trip, that the server has not closed the connection while it sat
    /// idle. An idle connection gets nothing unasked but for rare notices; a terminated backend or
    /// a server shutting down sends an error and closes, which makes the socket readable. So any
    /// readable data marks the connection as not worth reusing.
    public func looksHealthy() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK, transactionStatus == .idle else { return false }
        let socket = PQsocket(handle)
        guard socket >= 0 else { return false }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// Which server this is, asked once per connection.
    public func serverKind() throws -> ServerKind {
        if let cachedServerKind { return cachedServerKind }
        let version = try execute("SELECT version()").first.map { try $0.decode(String.self, at: 0) } ?? ""
        let kind: ServerKind = version.hasPrefix("CockroachDB") ? .cockroachDB
            : version.hasPrefix("PostgreSQL") ? .postgreSQL : .unknown
        cachedServerKind = kind
        return kind
    }

    /// Runs one statement with parameters (`$1`, `$2`, ...). The statement is prepared on first use
    /// and the prepared form reused on this connection afterwards.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any SQLEncodable] = []) throws -> QueryResult {
        let handle = try liveHandle()
        let texts = parameters.map { $0.sqlValue.text }
        if let begin = pendingBegin, let name = preparedStatements[sql] {
            pendingBegin = nil
            return try runPipelined(handle, begin: begin, name: name, texts)
        }
        try flushPendingBegin(handle)
        if let name = preparedStatements[sql] {
            do {
                return try runPrepared(handle, name: name, texts)
            } catch let DatabaseError.server(error) where error.sqlState == "26000" {
                // The server forgot it (DISCARD ALL, a pooler in between): prepare again.
                preparedStatements[sql] = nil
            }
        }
        if preparedStatements.count >= Connection.preparedStatementLimit {
            return try check(withCStrings(texts) { values in
                PQexecParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
            }, handle)
        }
        let name = "s\(preparedStatements.count + 1)"
        _ = try check(PQprepare(handle, name, sql, Int32(texts.count), nil), handle)
        preparedStatements[sql] = name
        return try runPrepared(handle, name: name, texts)
    }

    /// Runs SQL text as-is through the simple query protocol: no parameters, several statements
    /// allowed (a migration file, BEGIN, COMMIT). Returns the last statement's result.
    @discardableResult
    public func run(_ sql: String) throws -> QueryResult {
        let handle = try liveHandle()
        try flushPendingBegin(handle)
        return try check(PQexec(handle, sql), handle)
    }

    /// Starts a transaction whose BEGIN travels with the first statement: `execute` of a statement
    /// already prepared on this connection sends both in one round trip (pipeline mode); anything
    /// else sends the BEGIN first, as `run` would. Until then `transactionStatus` says
    /// `.inTransaction`, and a rollback just forgets the BEGIN.
    func beginLazily(_ statement: String) throws {
        let handle = try liveHandle()
        try flushPendingBegin(handle)
        pendingBegin = statement
    }

    /// Forgets a BEGIN not sent yet (the transaction never started on the server). False if none.
    func dropPendingBegin() -> Bool {
        guard pendingBegin != nil else { return false }
        pendingBegin = nil
        return true
    }

    private func flushPendingBegin(_ handle: OpaquePointer) throws {
        guard let begin = pendingBegin else { return }
        pendingBegin = nil
        _ = try check(PQexec(handle, begin), handle)
    }

    /// BEGIN and a prepared statement in one round trip: pipeline mode, both sent, one sync, the
    /// results read in order. A failed BEGIN fails the statement too (the server skips it).
    private func runPipelined(_ handle: OpaquePointer, begin: String, name: String, _ texts: [String?]) throws -> QueryResult {
        guard PQenterPipelineMode(handle) == 1 else {
            _ = try check(PQexec(handle, begin), handle)
            return try runPrepared(handle, name: name, texts)
        }
        let sent = PQsendQueryParams(handle, begin, 0, nil, nil, nil, nil, 0) == 1
            && withCStrings(texts, { values in PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0) }) == 1
            && PQpipelineSync(handle) == 1
        // Every result up to the sync, in order: BEGIN's, the statement's (each followed by a
        // NULL), then PGRES_PIPELINE_SYNC. Read them all so the connection is clean afterwards.
        var results: [OpaquePointer] = []
        var ends = 0  // the NULL that ends each query's results
        while sent, ends <= 2 {
            guard let result = PQgetResult(handle) else {
                ends += 1
                if PQstatus(handle) != CONNECTION_OK { break }
                continue
            }
            if PQresultStatus(result) == PGRES_PIPELINE_SYNC { PQclear(result); break }
            results.append(result)
        }
        PQexitPipelineMode(handle)
        guard sent, results.count == 2 else {
            results.forEach { PQclear($0) }
            if PQstatus(handle) != CONNECTION_OK || !sent {
                preparedStatements.removeAll()
                throw DatabaseError.connection(Connection.lastError(handle))
            }
            throw DatabaseError.connection("unexpected pipeline results from the server")
        }
        // BEGIN's outcome first: its error is the one that counts.
        if PQresultStatus(results[0]) != PGRES_COMMAND_OK {
            PQclear(results[1])
            _ = try check(results[0], handle)  // throws
        } else {
            PQclear(results[0])
        }
        if PQresultStatus(results[1]) == PGRES_PIPELINE_ABORTED {
            PQclear(results[1])
            throw DatabaseError.connection("the statement was skipped by the server")
        }
        return try check(results[1], handle)
    }

    /// The prepared statement name for `sql` on this connection, preparing it (one round trip,
    /// once per connection) if needed; nil past the cache's limit.
    private func preparedName(_ handle: OpaquePointer, _ sql: String, parameterCount: Int) throws -> String? {
        if let name = preparedStatements[sql] { return name }
        guard preparedStatements.count < Connection.preparedStatementLimit else { return nil }
        let name = "s\(preparedStatements.count + 1)"
        _ = try check(PQprepare(handle, name, sql, Int32(parameterCount), nil), handle)
        preparedStatements[sql] = name
        return name
    }

    /// One attempt of a transaction of a single statement: `begin`, the statement and COMMIT sent
    /// together in one round trip (pipeline mode, one sync), instead of one round trip for BEGIN
    /// with the statement and another for COMMIT. The error comes with the phase it belongs to, as
    /// `attemptTransaction` reports it, from what the server answered:
    ///
    /// - BEGIN or the statement failed: the server skipped the rest, nothing was committed
    ///   (`.begin`/`.body`; a connection the server closed while running the statement, as a
    ///   terminated backend, is a `.body` connection error: retried on a new connection).
    /// - COMMIT failed (`.commit`: 40001 is retried, 40003 is an unknown outcome).
    /// - Once COMMIT has gone to the server, a connection lost without the statement's and
    ///   COMMIT's answers leaves the outcome unknown (`.commit`), never retried.
    ///
    /// Falls back to the general path when the statement cannot be prepared (cache limit) or
    /// pipeline mode is unavailable.
    func attemptSingleStatementTransaction(_ options: TransactionOptions, _ sql: String,
                                           _ parameters: [any SQLEncodable]) -> Result<QueryResult, PhasedError> {
        let handle: OpaquePointer
        let name: String?
        do {
            handle = try liveHandle()
            try flushPendingBegin(handle)
            name = try preparedName(handle, sql, parameterCount: parameters.count)
        } catch {
            return .failure(PhasedError(error: error, phase: .begin))
        }
        guard let name, PQenterPipelineMode(handle) == 1 else {
            return attemptTransaction(options, { try $0.execute(sql, parameters) })
        }
        let texts = parameters.map { $0.sqlValue.text }
        // Queued in order, sent by the sync. Only once COMMIT is queued can it reach the server.
        var queued = PQsendQueryParams(handle, options.beginStatement, 0, nil, nil, nil, nil, 0) == 1
            && withCStrings(texts, { values in PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0) }) == 1
        var commitQueued = false
        if queued {
            commitQueued = PQsendQueryParams(handle, "COMMIT", 0, nil, nil, nil, nil, 0) == 1
            queued = commitQueued && PQpipelineSync(handle) == 1
        }
        // The results of BEGIN, the statement and COMMIT, in order (each query's end marked by a
        // NULL), then PGRES_PIPELINE_SYNC. A broken connection ends the reading early.
        var results: [[OpaquePointer]] = [[], [], []]
        var query = 0, read = 0
        while queued, read < 16 {
            guard let result = PQgetResult(handle) else {
                if PQstatus(handle) != CONNECTION_OK { break }
                query += 1
                continue
            }
            read += 1
            if PQresultStatus(result) == PGRES_PIPELINE_SYNC { PQclear(result); break }
            if query < 3 { results[query].append(result) } else { PQclear(result) }
        }
        if PQexitPipelineMode(handle) != 1 { close() }  // results left unread: not reusable
        defer { results.joined().forEach { PQclear($0) } }
        if !isOpen { preparedStatements.removeAll() }
        let lost = { () -> Error in
            DatabaseError.connection(self.handle.map { Connection.lastError($0) } ?? "the connection to the server was lost")
        }
        /// The first result of query `index` (0 BEGIN, 1 the statement, 2 COMMIT), if answered.
        func answer(_ index: Int) -> OpaquePointer? { results[index].first }
        func failed(_ result: OpaquePointer) -> Bool {
            let status = PQresultStatus(result)
            return status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY
        }
        /// What a failed result stands for: the server's error, or a lost connection if the
        /// server closed it (a terminated backend's FATAL included). nil when the server did not
        /// answer at all (libpq's own "server closed the connection unexpectedly"): then nothing
        /// says whether it got as far as COMMIT.
        func error(of result: OpaquePointer) -> Error? {
            guard let serverError = Connection.serverError(from: result) else { return nil }
            if !isOpen { return DatabaseError.connection(serverError.message) }
            return DatabaseError.server(serverError)
        }

        guard commitQueued else {
            // COMMIT never left: nothing can have been committed.
            rollbackQuietly()
            return .failure(PhasedError(error: lost(), phase: .begin))
        }
        // A failure the server reported for BEGIN or the statement: it skipped the rest.
        for (index, phase) in [(0, TransactionPhase.begin), (1, .body)] {
            guard let result = answer(index), failed(result) else { continue }
            guard let reported = error(of: result) else { break }  // no answer from the server
            rollbackQuietly()
            return .failure(PhasedError(error: reported, phase: phase))
        }
        guard let statement = answer(1), !failed(statement), let commit = answer(2) else {
            // Lost once COMMIT was sent, without the server's answer to it: it may have happened.
            return .failure(PhasedError(error: lost(), phase: .commit))
        }
        if failed(commit) {
            if isOpen, transactionStatus != .idle { rollbackQuietly() }
            return .failure(PhasedError(error: error(of: commit) ?? lost(), phase: .commit))
        }
        results[1].removeFirst()  // the statement's result outlives this call (not cleared above)
        return .success(QueryResult(statement))
    }

    private func runPrepared(_ handle: OpaquePointer, name: String, _ texts: [String?]) throws -> QueryResult {
        try check(withCStrings(texts) { values in
            PQexecPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
        }, handle)
    }

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw DatabaseError.connection("the connection is closed") }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw DatabaseError.connection("the connection to the server was lost")
        }
        return handle
    }

    /// Turns a libpq result into a `QueryResult` or the matching `DatabaseError`.
    private func check(_ result: OpaquePointer?, _ handle: OpaquePointer) throws -> QueryResult {
        guard let result else {
            throw DatabaseError.connection(Connection.lastError(handle))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return QueryResult(result)
        default:
            let error = Connection.serverError(from: result)
            PQclear(result)
            if PQstatus(handle) != CONNECTION_OK {
                preparedStatements.removeAll()
                // A fatal error from the server side (terminated backend, shutdown) is still a
                // lost connection to the caller, whatever SQLSTATE came with it.
                throw DatabaseError.connection(error.map { $0.message } ?? Connection.lastError(handle))
            }
            guard let error else { throw DatabaseError.connection(Connection.lastError(handle)) }
            throw DatabaseError.server(error)
        }
    }

    private static func serverError(from result: OpaquePointer) -> ServerError? {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        guard let sqlState = field(CLIBPQ_DIAG_SQLSTATE) else { return nil }
        return ServerError(
            sqlState: sqlState,
            severity: field(CLIBPQ_DIAG_SEVERITY) ?? "ERROR",
            message: field(CLIBPQ_DIAG_MESSAGE_PRIMARY) ?? "unknown error",
            detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL),
            hint: field(CLIBPQ_DIAG_MESSAGE_HINT),
            constraint: field(CLIBPQ_DIAG_CONSTRAINT_NAME),
            table: field(CLIBPQ_DIAG_TABLE_NAME),
            column: field(CLIBPQ_DIAG_COLUMN_NAME)
        )
    }

    private static func lastError(_ handle: OpaquePointer) -> String {
        let message = String(cString: PQerrorMessage(handle)).trimmingSpacesAndNewlines()
        return message.isEmpty ? "the connection to the server was lost" : message
    }
}

/// Calls `body` with a C array of NUL-terminated copies of `strings` (nil stays NULL).
private func withCStrings<T>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

private func withCStringArray<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    withCStrings(strings + [nil]) { array in array.withUnsafeBufferPointer { body($0.baseAddress!) } }
}
