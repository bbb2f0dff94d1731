import Database
import Hummingbird
import Logging
import NIOCore

/// The API's request handling: the contract's checks in its order of precedence, then one
/// thin handler per endpoint over `BankService`.
///
/// Order (docs/API.md, "Edge cases, settled"): Host 400 (HostCheckMiddleware, before this),
/// unknown path 404, 405 with Allow, 413 (or 408, body incomplete), 415, malformed body 400,
/// bad id in the path 400, missing row 404.
struct BankAPI: HTTPResponder {
    typealias Context = BankRequestContext

    static let maximumBodySize = 1 << 20

    let service: BankService
    let listBatchSize: Int

    func respond(to request: Request, context: Context) async throws -> Response {
        do {
            return try await route(request, context: context)
        } catch {
            if case DatabaseError.retriesExhausted(let attempts, _) = error {
                context.stats.recordTransaction(attempts: attempts)
            }
            return APIError.from(error, logger: context.logger).response
        }
    }

    private func route(_ request: Request, context: Context) async throws -> Response {
        let routing = context.routing ?? Routing(request.head.path ?? "/")
        let target = routing.target
        guard let route = routing.route else { throw APIError.unknownPath }
        let method = request.method
        guard route.allowedMethods.contains(method) else {
            throw APIError.methodNotAllowed(method, allow: route.allowedMethods)
        }
        let body = try await collectBody(request)
        if method == .post || method == .put || body.readableBytes > 0 {
            try checkContentType(request.headers[.contentType])
        }
        let head = method == .head
        switch (route, method) {
        case (.ping, _):
            var response = Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                                    body: ResponseBody(byteBuffer: ByteBuffer(string: "swift/libpq")))
            if head { response = response.createHeadResponse() }
            return response

        case (.openAPI, _):
            let response = Response(status: .ok, headers: [.contentType: "application/json"],
                                    body: ResponseBody(byteBuffer: OpenAPIDocument.bytes))
            return head ? response.createHeadResponse() : response

        case (.collection(let resource), .get), (.collection(let resource), .head):
            return try await list(resource, query: ListQuery.parse(target.query), head: head, stats: context.stats)

        case (.collection(let resource), .post):
            let json = try RequestBodyParser.object(body.readableBytesView)
            return try await create(resource, json: json, stats: context.stats)

        case (.item(let resource, let rawID), .get), (.item(let resource, let rawID), .head):
            let response = try await show(resource, id: try Self.pathID(rawID), stats: context.stats)
            return head ? response.createHeadResponse() : response

        case (.item(let resource, let rawID), .put):
            let json = try RequestBodyParser.object(body.readableBytesView)
            return try await update(resource, id: try Self.pathID(rawID), json: json, stats: context.stats)

        case (.item(let resource, let rawID), .delete):
            return try await delete(resource, id: try Self.pathID(rawID), stats: context.stats)

        default:
            throw APIError.methodNotAllowed(method, allow: route.allowedMethods)
        }
    }

    // MARK: Checks before the handlers

    /// The body, at most 1 MiB (a larger Content-Length is refused before reading anything).
    /// A body that ends early (the client went away, or `RequestBodyDeadlineHandler` cut it off
    /// and already answered) is `incompleteBody`: logged as such, not as an unexpected error.
    private func collectBody(_ request: Request) async throws -> ByteBuffer {
        let limit = Self.maximumBodySize
        if let length = request.headers[.contentLength], let size = Int(length), size > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        var collected = ByteBuffer()
        var parts = request.body.makeAsyncIterator()
        while true {
            let part: ByteBuffer?
            do {
                part = try await parts.next()
            } catch {
                throw APIError.incompleteBody
            }
            guard let part else { return collected }
            guard collected.readableBytes + part.readableBytes <= limit else { throw APIError.payloadTooLarge(limit: limit) }
            collected.writeImmutableBuffer(part)
        }
    }

    /// JSON (`application/json`, `application/<x>+json`, with any parameters) or no content type.
    static func isJSONContentType(_ value: String?) -> Bool {
        guard let value else { return true }
        let mediaType = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .trimmingSpaces().lowercased()
        if mediaType.isEmpty { return value.trimmingSpaces().isEmpty }
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    private func checkContentType(_ value: String?) throws(APIError) {
        guard Self.isJSONContentType(value) else { throw .unsupportedMediaType }
    }

    static func pathID(_ raw: Substring) throws(APIError) -> Int64 {
        guard let id = Identifier.parse(digits: raw) else {
            throw .badRequest("'\(raw.prefix(40))' is not a valid id (a positive 64-bit integer)")
        }
        return id
    }

    // MARK: Handlers

    private func recorded<T>(_ committed: Committed<T>, _ stats: RequestStats) -> T {
        stats.recordTransaction(attempts: committed.attempts)
        return committed.value
    }

    private func list(_ resource: Resource, query: ListQuery, head: Bool, stats: RequestStats) async throws -> Response {
        let service = self.service
        switch resource {
        case .customer:
            return try await ListStream(fetch: { after, limit in
                let committed = try await service.customers(after: after, limit: limit)
                stats.recordTransaction(attempts: committed.attempts)
                return committed.value
            }, id: \.id, batchSize: listBatchSize).response(for: query, head: head)
        case .product:
            return try await ListStream(fetch: { after, limit in
                let committed = try await service.products(after: after, limit: limit)
                stats.recordTransaction(attempts: committed.attempts)
                return committed.value
            }, id: \.id, batchSize: listBatchSize).response(for: query, head: head)
        case .order:
            return try await ListStream(fetch: { after, limit in
                let committed = try await service.orders(after: after, limit: limit)
                stats.recordTransaction(attempts: committed.attempts)
                return committed.value
            }, id: \.id, batchSize: listBatchSize).response(for: query, head: head)
        }
    }

    private func show(_ resource: Resource, id: Int64, stats: RequestStats) async throws -> Response {
        switch resource {
        case .customer:
            guard let customer = recorded(try await service.customer(id: id), stats) else { throw Self.missing(resource, id) }
            return JSONResponse.ok(customer)
        case .product:
            guard let product = recorded(try await service.product(id: id), stats) else { throw Self.missing(resource, id) }
            return JSONResponse.ok(product)
        case .order:
            guard let order = recorded(try await service.order(id: id), stats) else { throw Self.missing(resource, id) }
            return JSONResponse.ok(order)
        }
    }

    private func create(_ resource: Resource, json: JSONValue, stats: RequestStats) async throws -> Response {
        switch resource {
        case .customer:
            let input = try RequestBodyParser.customer(json)
            return JSONResponse.ok(recorded(try await service.createCustomer(input), stats))
        case .product:
            let input = try RequestBodyParser.product(json)
            return JSONResponse.ok(recorded(try await service.createProduct(input), stats))
        case .order:
            let input = try RequestBodyParser.order(json)
            return JSONResponse.ok(recorded(try await service.createOrder(input), stats))
        }
    }

    private func update(_ resource: Resource, id: Int64, json: JSONValue, stats: RequestStats) async throws -> Response {
        switch resource {
        case .customer:
            let input = try RequestBodyParser.customer(json)
            guard let customer = recorded(try await service.updateCustomer(id: id, input), stats) else {
                throw Self.missing(resource, id)
            }
            return JSONResponse.ok(customer)
        case .product:
            let changes = try RequestBodyParser.productChanges(json)
            guard let product = recorded(try await service.updateProduct(id: id, changes), stats) else {
                throw Self.missing(resource, id)
            }
            return JSONResponse.ok(product)
        case .order:
            throw APIError.methodNotAllowed(.put, allow: Route.item(.order, rawID: "").allowedMethods)
        }
    }

    private func delete(_ resource: Resource, id: Int64, stats: RequestStats) async throws -> Response {
        let deleted: Bool = switch resource {
        case .customer: recorded(try await service.deleteCustomer(id: id), stats)
        case .product: recorded(try await service.deleteProduct(id: id), stats)
        case .order: recorded(try await service.deleteOrder(id: id), stats)
        }
        guard deleted else { throw Self.missing(resource, id) }
        return JSONResponse.deleted(id)
    }

    private static func missing(_ resource: Resource, _ id: Int64) -> APIError {
        .notFound("\(resource.rawValue) \(id) not found")
    }
}
