import Hummingbird

/// The API's paths and the methods each takes.
///
/// A small hand-written table rather than Hummingbird's `Router`: the contract (docs/API.md)
/// fixes an order of errors (unknown path 404 before 405 with `Allow`, before 413/415, before
/// a malformed body, before a bad id in the path), and paths work with and without the
/// trailing slash. A path like `/customer/abc/` must match the item route and fail later with
/// 400, and a method the path does not take must be 405, not 404: simpler to state directly
/// than to bend a general router into it.
enum Resource: String, Sendable, CaseIterable {
    case customer, product, order

    /// The resource a path segment names, without making a String of it.
    init?(segment: Substring) {
        switch segment {
        case "customer": self = .customer
        case "product": self = .product
        case "order": self = .order
        default: return nil
        }
    }
}

enum Route: Equatable, Sendable {
    case ping
    /// `GET /openapi.json`: the API's OpenAPI document.
    case openAPI
    case collection(Resource)
    /// The id segment as sent; it is validated after the body (the contract's error order).
    case item(Resource, rawID: Substring)

    /// Matches a path (no query). `/x` and `/x/` are the same; anything else is nil (404).
    static func match(path: Substring) -> Route? {
        var path = path
        guard path.first == "/" else { return nil }
        path = path.dropFirst()
        if path.last == "/" { path = path.dropLast() }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.contains(where: \.isEmpty) else { return nil }
        switch segments.count {
        case 1:
            if segments[0] == "ping" { return .ping }
            if segments[0] == "openapi.json" { return .openAPI }
            return Resource(segment: segments[0]).map { .collection($0) }
        case 2:
            return Resource(segment: segments[0]).map { .item($0, rawID: segments[1]) }
        default:
            return nil
        }
    }

    /// The methods this route takes, in the order the `Allow` header lists them.
    var allowedMethods: [HTTPRequest.Method] {
        switch self {
        case .ping, .openAPI: return [.get, .head]
        case .collection: return [.get, .head, .post]
        case .item(.order, _): return [.get, .head, .delete]
        case .item: return [.get, .head, .put, .delete]
        }
    }
}

extension Route {
    /// Every route, once (items with the placeholder id `{id}`): the route table the OpenAPI
    /// document must agree with (OpenAPITests).
    static var all: [Route] {
        [.ping, .openAPI] + Resource.allCases.flatMap { [Route.collection($0), .item($0, rawID: "{id}")] }
    }

    /// The canonical path as the OpenAPI document writes it: with the trailing slash (the
    /// contract's form; the path without it is the same route), `{id}` for the id.
    var template: String {
        switch self {
        case .ping: return "/ping/"
        case .openAPI: return "/openapi.json"
        case .collection(.customer): return "/customer/"
        case .collection(.product): return "/product/"
        case .collection(.order): return "/order/"
        case .item(.customer, _): return "/customer/{id}/"
        case .item(.product, _): return "/product/{id}/"
        case .item(.order, _): return "/order/{id}/"
        }
    }
}

/// Where a request goes, worked out once per request by `RequestLogMiddleware` and carried in
/// the context: its target, and the API route or operations endpoint its path names.
struct Routing: Sendable {
    let target: RequestTarget
    let route: Route?
    let operations: OperationsEndpoint?

    init(_ target: String) {
        self.target = RequestTarget(target)
        route = Route.match(path: self.target.path)
        operations = route == nil ? OperationsEndpoint(path: self.target.path) : nil
    }

    /// The route's template for the metrics (`/customer/{id}/`), never the raw path; `other` for
    /// paths that are no route.
    var template: String { route?.template ?? operations?.rawValue ?? "other" }
}

/// A request target split into path and query (`/customer/?limit=2` → `/customer/`, `limit=2`).
struct RequestTarget: Equatable, Sendable {
    var path: Substring
    var query: Substring?

    init(path: Substring, query: Substring?) {
        self.path = path
        self.query = query
    }

    init(_ target: String) {
        var target = target[...]
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        if let mark = target.firstIndex(of: "?") {
            path = target[..<mark]
            query = target[target.index(after: mark)...]
        } else {
            path = target
            query = nil
        }
    }
}
