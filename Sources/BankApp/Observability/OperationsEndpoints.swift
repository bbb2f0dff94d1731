import Database
import Hummingbird
import NIOCore

/// The endpoints for the people and machines that run the server, not for the API's clients:
/// `/healthz`, `/readyz`, `/metrics`. They answer before the Host check (a load balancer's
/// probe asks by IP address) and are not in the API's OpenAPI document.
enum OperationsEndpoint: String, CaseIterable {
    case health = "/healthz"
    case readiness = "/readyz"
    case metrics = "/metrics"

    /// `/healthz` and `/healthz/` alike, as the API's paths (no String made per request).
    init?(path: Substring) {
        switch path.last == "/" ? path.dropLast() : path {
        case "/healthz": self = .health
        case "/readyz": self = .readiness
        case "/metrics": self = .metrics
        default: return nil
        }
    }
}

/// Answers the operations endpoints (GET and HEAD); everything else goes on to `next`.
struct OperationsResponder: Sendable {
    let readiness: Readiness?
    let metrics: ServerMetrics
    let pool: ConnectionPool?
    /// Whether `/metrics` is served here (METRICS=on) rather than on an address of its own, or not at all.
    let servesMetrics: Bool

    /// `routing`: the request's, when the caller worked it out already.
    func respond(to request: Request, routing: Routing? = nil, next: () async throws -> Response) async throws -> Response {
        let routing = routing ?? Routing(request.head.path ?? "/")
        guard let endpoint = routing.operations, endpoint != .metrics || servesMetrics
        else { return try await next() }
        guard request.method == .get || request.method == .head else {
            return APIError.methodNotAllowed(request.method, allow: [.get, .head]).response
        }
        let response = await answer(endpoint)
        return request.method == .head ? response.createHeadResponse() : response
    }

    func answer(_ endpoint: OperationsEndpoint) async -> Response {
        switch endpoint {
        case .health:
            return Self.json(.ok, #"{"status": "ok"}"#)
        case .readiness:
            guard let readiness else { return Self.json(.ok, #"{"status": "ready"}"#) }
            return Self.readinessResponse(await readiness.status())
        case .metrics:
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render(pool: pool))))
        }
    }

    static func readinessResponse(_ status: Readiness.Status) -> Response {
        switch status {
        case .ready:
            return json(.ok, #"{"status": "ready"}"#)
        case .shuttingDown:
            return json(.serviceUnavailable, #"{"status": "shutting down"}"#)
        case .databaseUnreachable(let reason):
            return json(.serviceUnavailable, #"{"status": "database unreachable", "detail": "#
                + JSONWriter.quoted(reason) + "}")
        case .unappliedMigrations(let names):
            return json(.serviceUnavailable, #"{"status": "unapplied migrations", "unapplied": ["#
                + names.map(JSONWriter.quoted).joined(separator: ", ") + "]}")
        }
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
