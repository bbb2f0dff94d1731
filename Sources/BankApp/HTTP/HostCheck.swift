import Hummingbird

/// Django's ALLOWED_HOSTS: which `Host` header values the server answers.
public struct AllowedHosts: Sendable, Equatable {
    public static let `default` = AllowedHosts(patterns: ["localhost", "127.0.0.1", "0.0.0.0", "[::1]"])

    /// Lowercased patterns: a host name, `*` (any), or `.example.com` (the domain and its subdomains).
    public let patterns: [String]

    public init(patterns: [String]) {
        self.patterns = patterns.map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty }
    }

    /// From a comma-separated list (`ALLOWED_HOSTS=example.com,.example.org`); nil if it names no host.
    public init?(list: String) {
        let hosts = AllowedHosts(patterns: list.split(separator: ",").map(String.init))
        guard !hosts.patterns.isEmpty else { return nil }
        self = hosts
    }

    /// Whether a `Host` header value (port ignored) is allowed. Missing or malformed: no.
    public func allows(hostHeader: String?) -> Bool {
        guard let host = AllowedHosts.hostName(fromHeader: hostHeader) else { return false }
        for pattern in patterns {
            if pattern == "*" || pattern == host { return true }
            if pattern.hasPrefix("."), host == pattern.dropFirst() || host.hasSuffix(pattern) { return true }
        }
        return false
    }

    /// `Example.com:8000` → `example.com`, `[::1]:8000` → `[::1]`; nil for an empty or malformed value
    /// (Django's `split_domain_port` and its host validation regex).
    static func hostName(fromHeader header: String?) -> String? {
        guard let header = header?.lowercased(), !header.isEmpty else { return nil }
        var host: Substring
        var port: Substring = ""
        if header.hasPrefix("[") {
            guard let close = header.firstIndex(of: "]") else { return nil }
            host = header[...close]
            let rest = header[header.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { return nil }
                port = rest.dropFirst()
            }
            guard host.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            let parts = header.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            if parts.count == 2 { port = parts[1] }
            guard !host.isEmpty,
                  host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." || $0 == "_" })
            else { return nil }
        }
        guard port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if host.hasSuffix(".") { host = host.dropLast() }  // a trailing dot is the same name
        return String(host)
    }
}

/// Refuses requests whose `Host` is not allowed (400, as Django does) before anything else runs.
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedHosts: AllowedHosts

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        // HTTP/1 moves the first Host header into `authority`; a second one stays a header field.
        let repeated = request.headers.contains { $0.name.canonicalName == "host" }
        guard !repeated, allowedHosts.allows(hostHeader: request.head.authority) else {
            let shown = request.head.authority.map { "'\($0.prefix(100))'" } ?? "missing"
            return APIError.badRequest("invalid Host header: \(shown); add it to ALLOWED_HOSTS").response
        }
        return try await next(request, context)
    }
}
