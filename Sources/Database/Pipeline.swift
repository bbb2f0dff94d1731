import CLibPQ

/// A statement and its parameters in libpq's text format: prepared on the connection under
/// `name`, or unnamed (its SQL sent each time) once the connection's cache of prepared
/// statements is full.
struct Statement {
    var sql: String
    var name: String?
    var parameters: [String?]
}

/// One query of a pipeline.
enum PipelineQuery {
    /// SQL text without parameters: BEGIN, COMMIT.
    case text(String)
    case statement(Statement)
}

/// The server's answers to a pipeline, query by query. It owns libpq's results and frees them
/// when it goes, except one handed on with `detach`.
final class PipelineAnswers {
    /// How many of the queries libpq queued, in order, before one could not be: only a queued
    /// query can have reached the server.
    let queued: Int
    /// Whether the reading got to the sync's result: the server finished with every query (and,
    /// for statements sent without BEGIN, with the implicit transaction's commit at the sync).
    let synced: Bool
    private var results: [[OpaquePointer]]

    init(queued: Int, synced: Bool, results: [[OpaquePointer]]) {
        self.queued = queued
        self.synced = synced
        self.results = results
    }

    /// Every result of query `index` that was read, in order (an implicit transaction's commit
    /// error comes after its statement's result).
    func all(_ index: Int) -> [OpaquePointer] { results[index] }

    deinit { results.joined().forEach { PQclear($0) } }

    /// The first result of query `index`, if the server's answer to it was read.
    func first(_ index: Int) -> OpaquePointer? { results[index].first }

    /// Hands `result` (the first of query `index`) on to a `QueryResult`, which frees it later.
    func detach(_ index: Int, _ result: OpaquePointer) -> QueryResult {
        results[index].removeAll { $0 == result }
        return QueryResult(result)
    }
}

extension Connection {
    /// Sends `queries` in one round trip (libpq pipeline mode, one sync) and reads the answers up
    /// to the sync: the one place that reads a pipeline. nil when pipeline mode cannot be entered
    /// (the caller then sends the queries one at a time).
    ///
    /// The reading stops at the sync's result; each query's answers end with a NULL; a NULL on a
    /// connection libpq found broken ends the reading early, as do more results than any query
    /// gives (a guard). Results left unread make the connection useless: then it is closed.
    func pipeline(_ handle: OpaquePointer, _ queries: [PipelineQuery]) -> PipelineAnswers? {
        guard PQenterPipelineMode(handle) == 1 else { return nil }
        var queued = 0
        for query in queries {
            guard send(handle, query) else { break }
            queued += 1
        }
        var results = Array(repeating: [OpaquePointer](), count: queries.count)
        var synced = false
        if queued == queries.count, PQpipelineSync(handle) == 1 {
            var query = 0
            for _ in 0..<(4 * queries.count + 4) {
                guard let result = PQgetResult(handle) else {
                    if PQstatus(handle) != CONNECTION_OK { break }
                    query += 1
                    continue
                }
                if PQresultStatus(result) == PGRES_PIPELINE_SYNC { PQclear(result); synced = true; break }
                // After the last query's end, before the sync: the implicit transaction's commit
                // failed (a statement sent without BEGIN commits at the sync). It belongs to that
                // statement; dropping it would report a rolled-back write as committed.
                results[min(query, results.count - 1)].append(result)
            }
        }
        if PQexitPipelineMode(handle) != 1 { close(because: Connection.lastError(handle)) }
        return PipelineAnswers(queued: queued, synced: synced, results: results)
    }

    /// Queues one query of a pipeline; false if libpq could not.
    private func send(_ handle: OpaquePointer, _ query: PipelineQuery) -> Bool {
        switch query {
        case .text(let sql):
            return PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1
        case .statement(let statement):
            return withCStrings(statement.parameters) { values in
                if let name = statement.name {
                    return PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
                }
                return PQsendQueryParams(handle, statement.sql, Int32(values.count), nil, values, nil, nil, 0)
            } == 1
        }
    }
}
