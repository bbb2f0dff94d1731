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
        // Byte by byte: every request's Host goes through here.
        guard let header, !header.isEmpty else { return nil }
        let bytes = header.utf8
        var hostEnd: String.UTF8View.Index
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let inner = bytes[bytes.index(after: bytes.startIndex)..<close]
            guard inner.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else { return nil }
            hostEnd = bytes.index(after: close)
            if hostEnd != bytes.endIndex && bytes[hostEnd] != UInt8(ascii: ":") { return nil }
        } else {
            hostEnd = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
            let host = bytes[..<hostEnd]
            guard !host.isEmpty, host.allSatisfy(isHostNameByte) else { return nil }
        }
        let port = hostEnd == bytes.endIndex ? bytes[hostEnd...] : bytes[bytes.index(after: hostEnd)...]
        guard port.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        var host = bytes[..<hostEnd]
        if host.last == UInt8(ascii: ".") { host = host.dropLast() }  // a trailing dot is the same name
        return String(Substring(host)).lowercased()
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): return true
        default: return false
        }
    }

    private static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
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
