import Hummingbird
import NIOCore

/// A list response streamed in keyset batches: `WHERE id > last ORDER BY id LIMIT n`, each
/// batch its own short read-only transaction, written to the client as it arrives, so memory
/// stays flat however many rows there are and no transaction stays open while the client reads.
///
/// The first batch is read before the response starts, so a database that is down still gets
/// a proper 503. A failure after that cannot change the status any more: the body throws, and
/// the server closes the connection without the closing `]` (the client sees a truncated body,
/// never a well-formed partial list).
struct ListStream<Record: JSONRepresentable & Sendable>: Sendable {
    /// Reads up to `limit` records with ids above `after`, and reports its attempts.
    let fetch: @Sendable (_ after: Int64, _ limit: Int) async throws -> [Record]
    let id: @Sendable (Record) -> Int64
    let batchSize: Int

    func response(for query: ListQuery, head: Bool) async throws -> Response {
        let limit = query.limit ?? Int.max
        let first = try await fetch(query.after, min(batchSize, limit))
        let headers: HTTPFields = [.contentType: JSONResponse.contentType]
        if head {
            // Headers only; no Content-Length, as the GET would stream.
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await writer.finish(nil) })
        }
        let fetch = self.fetch, id = self.id, batchSize = self.batchSize
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var batch = first
            var remaining = limit
            var buffer = JSONResponse.elements(batch, leadingSeparator: false)
            var opening = ByteBuffer(string: "[")
            opening.writeImmutableBuffer(buffer)
            try await writer.write(opening)
            remaining -= batch.count
            while batch.count == batchSize, remaining > 0, let last = batch.last {
                batch = try await fetch(id(last), min(batchSize, remaining))
                remaining -= batch.count
                buffer = JSONResponse.elements(batch, leadingSeparator: true)
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
            try await writer.write(ByteBuffer(string: "]"))
            try await writer.finish(nil)
        })
    }
}
