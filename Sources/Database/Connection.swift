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
    /// The number in the name of the statement prepared last.
    private var lastStatementNumber = 0
    /// Why the connection was closed, when it was not the caller's doing (for messages).
    private var closedBecause: String?
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

    /// Closes a connection that cannot go on (a pipeline's answers were left unread).
    func close(because reason: String) {
        close()
        closedBecause = reason
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

    /// On PostgreSQL, turns sequential scans off for this session wherever an index can serve
    /// (`enable_seqscan = off`); on CockroachDB, which has no such setting, does nothing.
    ///
    /// Why: under SERIALIZABLE, PostgreSQL's sequential scan takes a predicate lock on the whole
    /// table, and every concurrent write to it is then a read/write conflict. Its planner picks
    /// one for a table it believes tiny: after an autoanalyze that ran while a table was (nearly)
    /// empty, the foreign key check of each new order row scanned all of `myproject_orders`, and
    /// concurrent orders conflicted on it until the next analyze (the README's performance section
    /// has the figures). PostgreSQL's documentation on serializable isolation
    /// advises encouraging index scans for this reason. CockroachDB locks the rows it reads.
    public func preferIndexScans() throws {
        guard try serverKind() == .postgreSQL else { return }
        try run("SET enable_seqscan = off")
    }

    /// Runs one statement with parameters (`$1`, `$2`, ...). The statement is prepared on first use
    /// and the prepared form reused on this connection afterwards.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any SQLEncodable] = []) throws -> QueryResult {
        try execute(sql, texts: parameters.map { $0.sqlValue.text })
    }

    /// `execute` with the parameters in libpq's text format. A prepared statement the server lost
    /// or must plan again is prepared again and the statement rerun, when nothing else ran in the
    /// transaction it failed: it ran on its own, or right after the BEGIN sent with it. Otherwise
    /// the error is thrown (the statement is prepared again on next use, and the retry wrapper
    /// reruns the whole transaction).
    func execute(_ sql: String, texts: [String?]) throws -> QueryResult {
        let handle = try liveHandle()
        let begin = pendingBegin
        do {
            return try executeOnce(handle, sql, texts)
        } catch let DatabaseError.server(error) where error.isStalePreparedStatement {
            forgetPrepared(sql, after: error)
            guard begin != nil || transactionStatus == .idle else { throw DatabaseError.server(error) }
            if begin != nil {
                rollbackQuietly()
                pendingBegin = begin
            }
            return try executeOnce(try liveHandle(), sql, texts)
        }
    }

    /// Prepares `sql` if it is new, then runs it; a pending BEGIN goes with it in one round trip.
    private func executeOnce(_ handle: OpaquePointer, _ sql: String, _ texts: [String?]) throws -> QueryResult {
        let statement = Statement(sql: sql, name: try preparedName(handle, sql, parameterCount: texts.count), parameters: texts)
        guard let begin = pendingBegin else { return try runAlone(handle, statement) }
        pendingBegin = nil
        guard let answers = pipeline(handle, [.text(begin), .statement(statement)]) else {
            _ = try check(PQexec(handle, begin))
            return try runAlone(handle, statement)
        }
        guard let beginAnswer = answers.first(0), let answer = answers.first(1) else {
            throw DatabaseError.connection(lostMessage)
        }
        // BEGIN's error is the one that counts: the server skipped the statement after it.
        if let failure = failure(of: beginAnswer) { throw failure }
        if PQresultStatus(answer) == PGRES_PIPELINE_ABORTED {
            throw DatabaseError.connection("the statement was skipped by the server")
        }
        if let failure = failure(of: answer) { throw failure }
        return answers.detach(1, answer)
    }

    private func runAlone(_ handle: OpaquePointer, _ statement: Statement) throws -> QueryResult {
        try check(withCStrings(statement.parameters) { values in
            if let name = statement.name {
                return PQexecPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
            }
            return PQexecParams(handle, statement.sql, Int32(values.count), nil, values, nil, nil, 0)
        })
    }

    /// Runs SQL text as-is through the simple query protocol: no parameters, several statements
    /// allowed (a migration file, BEGIN, COMMIT). Returns the last statement's result.
    @discardableResult
    public func run(_ sql: String) throws -> QueryResult {
        let handle = try liveHandle()
        try flushPendingBegin(handle)
        return try check(PQexec(handle, sql))
    }

    /// Starts a transaction whose BEGIN travels with the first statement: `execute` sends both in
    /// one round trip (pipeline mode); `run` sends the BEGIN first. Until then
    /// `transactionStatus` says `.inTransaction`, and a rollback just forgets the BEGIN.
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
        _ = try check(PQexec(handle, begin))
    }

    /// The prepared statement name for `sql` on this connection, preparing it (one round trip,
    /// once per connection) if needed: the one place statements are prepared. nil past the
    /// cache's limit (the statement is then sent unnamed, with its SQL, each time).
    private func preparedName(_ handle: OpaquePointer, _ sql: String, parameterCount: Int) throws -> String? {
        if let name = preparedStatements[sql] { return name }
        guard preparedStatements.count < Connection.preparedStatementLimit else { return nil }
        // Names are never reused: a statement forgotten after a stale plan still exists on the
        // server (until the connection closes), and a new one must not collide with it.
        lastStatementNumber += 1
        let name = "s\(lastStatementNumber)"
        _ = try check(PQprepare(handle, name, sql, Int32(parameterCount), nil))
        preparedStatements[sql] = name
        return name
    }

    /// Forgets what the server no longer has, after `error` (`isStalePreparedStatement`): every
    /// statement after 26000 (the session was reset: DISCARD ALL, a pooler in between), only this
    /// one after a stale plan. Each is prepared again on next use.
    private func forgetPrepared(_ sql: String, after error: ServerError) {
        if error.sqlState == "26000" {
            preparedStatements.removeAll()
        } else {
            preparedStatements[sql] = nil
        }
    }

    /// One attempt of a transaction of a single statement: `begin`, the statement and COMMIT sent
    /// together in one round trip (pipeline mode, one sync), instead of one round trip for BEGIN
    /// with the statement and another for COMMIT. A prepared statement the server lost or must
    /// plan again is prepared again and the attempt redone at once (it rolled back: nothing ran).
    /// Falls back to the general path when pipeline mode is unavailable.
    func attemptSingleStatementTransaction(_ options: TransactionOptions, _ sql: String,
                                           _ parameters: [any SQLEncodable]) -> Result<QueryResult, PhasedError> {
        let texts = parameters.map { $0.sqlValue.text }
        let outcome = attemptPipelinedTransaction(options, sql, texts)
        guard case .failure(let failure) = outcome, failure.phase == .body,
              case DatabaseError.server(let error) = failure.error, error.isStalePreparedStatement else { return outcome }
        forgetPrepared(sql, after: error)
        return attemptPipelinedTransaction(options, sql, texts)
    }

    private func attemptPipelinedTransaction(_ options: TransactionOptions, _ sql: String,
                                             _ texts: [String?]) -> Result<QueryResult, PhasedError> {
        let answers: PipelineAnswers
        do {
            let handle = try liveHandle()
            try flushPendingBegin(handle)
            let statement = Statement(sql: sql, name: try preparedName(handle, sql, parameterCount: texts.count), parameters: texts)
            let queries: [PipelineQuery] = options.implicit
                ? [.statement(statement)] : [.text(options.beginStatement), .statement(statement), .text("COMMIT")]
            guard let sent = pipeline(handle, queries) else {
                return attemptTransaction(options) { try $0.execute(sql, texts: texts) }
            }
            answers = sent
        } catch {
            return .failure(PhasedError(error: error, phase: .begin))
        }
        return options.implicit ? implicitOutcome(answers, readOnly: options.readOnly) : transactionOutcome(answers)
    }

    /// What the answers to a statement sent alone (an implicit transaction, committed by the
    /// server at the sync, after the statement's result was sent) say happened:
    ///
    /// - the statement failed: the server rolled it back (`.body`: 40001 is retried);
    /// - it succeeded, then an error came before the sync: the commit failed (`.commit`: 40001 is
    ///   retried, a lost connection leaves the outcome unknown);
    /// - it succeeded and the connection was lost before the sync: a write's commit may or may
    ///   not have happened (unknown); a read has its rows.
    private func implicitOutcome(_ answers: PipelineAnswers, readOnly: Bool) -> Result<QueryResult, PhasedError> {
        let lost = PhasedError(error: DatabaseError.connection(lostMessage), phase: readOnly ? .body : .commit)
        guard answers.queued == 1 else {
            return .failure(PhasedError(error: DatabaseError.connection(lostMessage), phase: .begin))
        }
        let results = answers.all(0)
        guard let statement = results.first else { return .failure(lost) }
        guard Connection.succeeded(statement) else {
            guard let reported = serverReported(statement) else { return .failure(lost) }
            return .failure(PhasedError(error: reported, phase: .body))
        }
        if let commitFailure = results.dropFirst().first(where: { !Connection.succeeded($0) }) {
            guard let reported = serverReported(commitFailure) else { return .failure(lost) }
            return .failure(PhasedError(error: reported, phase: readOnly ? .body : .commit))
        }
        guard answers.synced || readOnly else { return .failure(lost) }
        return .success(answers.detach(0, statement))
    }

    /// What the answers to BEGIN, the statement and COMMIT say happened, with the phase each error
    /// belongs to, as `attemptTransaction` reports it:
    ///
    /// - BEGIN or the statement failed: the server skipped the rest, nothing was committed
    ///   (`.begin`/`.body`; a connection the server closed while running the statement, as a
    ///   terminated backend, is a `.body` connection error: retried on a new connection).
    /// - COMMIT failed (`.commit`: 40001 is retried, 40003 is an unknown outcome).
    /// - Once COMMIT has gone to the server, a connection lost without the statement's and
    ///   COMMIT's answers leaves the outcome unknown (`.commit`), never retried.
    private func transactionOutcome(_ answers: PipelineAnswers) -> Result<QueryResult, PhasedError> {
        guard answers.queued == 3 else {
            // COMMIT never left: nothing can have been committed.
            rollbackQuietly()
            return .failure(PhasedError(error: DatabaseError.connection(lostMessage), phase: .begin))
        }
        for (index, phase) in [(0, TransactionPhase.begin), (1, .body)] {
            guard let result = answers.first(index), !Connection.succeeded(result) else { continue }
            guard let reported = serverReported(result) else { break }  // no answer from the server
            rollbackQuietly()
            return .failure(PhasedError(error: reported, phase: phase))
        }
        guard let statement = answers.first(1), Connection.succeeded(statement), let commit = answers.first(2) else {
            // Lost once COMMIT was sent, without the server's answer to it: it may have happened.
            return .failure(PhasedError(error: DatabaseError.connection(lostMessage), phase: .commit))
        }
        guard Connection.succeeded(commit) else {
            if isOpen, transactionStatus != .idle { rollbackQuietly() }
            return .failure(PhasedError(error: serverReported(commit) ?? DatabaseError.connection(lostMessage), phase: .commit))
        }
        return .success(answers.detach(1, statement))
    }

    /// What a failed result of a pipeline stands for: the server's error, or a lost connection if
    /// the server closed it (a terminated backend's FATAL included). nil when the server did not
    /// answer at all (libpq's own "server closed the connection unexpectedly"): then nothing says
    /// how far the server got.
    private func serverReported(_ result: OpaquePointer) -> Error? {
        guard let serverError = Connection.serverError(from: result) else { return nil }
        if !isOpen { return DatabaseError.connection(serverError.message) }
        return DatabaseError.server(serverError)
    }

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw DatabaseError.connection("the connection is closed") }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw DatabaseError.connection("the connection to the server was lost")
        }
        return handle
    }

    /// Turns a libpq result into a `QueryResult` (which frees it later) or throws its error.
    private func check(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else { throw DatabaseError.connection(lostMessage) }
        if let failure = failure(of: result) {
            PQclear(result)
            throw failure
        }
        return QueryResult(result)
    }

    /// The error a result stands for; nil if it succeeded. Leaves the result to its owner.
    private func failure(of result: OpaquePointer) -> DatabaseError? {
        guard !Connection.succeeded(result) else { return nil }
        let error = Connection.serverError(from: result)
        if !isOpen {
            preparedStatements.removeAll()
            // A fatal error from the server side (terminated backend, shutdown) is still a lost
            // connection to the caller, whatever SQLSTATE came with it.
            return .connection(error.map { $0.message } ?? lostMessage)
        }
        guard let error else { return .connection(lostMessage) }
        return .server(error)
    }

    private static func succeeded(_ result: OpaquePointer) -> Bool {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE: return true
        default: return false
        }
    }

    /// libpq's account of why the connection failed, or why it was closed.
    private var lostMessage: String {
        if let handle { return Connection.lastError(handle) }
        return closedBecause ?? "the connection to the server was lost"
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

    static func lastError(_ handle: OpaquePointer) -> String {
        let message = String(cString: PQerrorMessage(handle)).trimmingSpacesAndNewlines()
        return message.isEmpty ? "the connection to the server was lost" : message
    }
}

/// Calls `body` with a C array of NUL-terminated copies of `strings` (nil stays NULL).
func withCStrings<T>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

private func withCStringArray<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    withCStrings(strings + [nil]) { array in array.withUnsafeBufferPointer { body($0.baseAddress!) } }
}
