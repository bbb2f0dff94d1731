import Foundation

/// Where the database is: a libpq connection string or URI, exactly as libpq reads it.
public enum ConnectionString {
    /// The tutorial's settings: user `django`, database `bank`, CockroachDB's port 26257, insecure.
    public static let tutorialDefault = "postgresql://django@localhost:26257/bank?sslmode=disable"

    /// `DATABASE_URL` if set, else the tutorial's default. libpq's own `PG*` variables fill in
    /// whatever the string leaves out, as libpq defines.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let url = environment["DATABASE_URL"], !url.trimmingCharacters(in: .whitespaces).isEmpty { return url }
        return tutorialDefault
    }

    /// The same string with any password replaced by `****`, for logs and error messages.
    /// Handles both forms: `postgresql://user:secret@host/db?password=secret` and `password=secret host=...`.
    public static func redacted(_ conninfo: String) -> String {
        var text = conninfo
        // URI userinfo: scheme://user:password@
        if let schemeEnd = text.range(of: "://") {
            let rest = text[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"),
               let colon = rest[..<at].firstIndex(of: ":") {
                text.replaceSubrange(text.index(after: colon)..<at, with: "****")
            }
        }
        // password=... as a URI query parameter or a key/value pair (quoted values included).
        let pattern = #"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)"#
        if let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) {
            let range = NSRange(text.startIndex..., in: text)
            text = regex.stringByReplacingMatches(in: text, range: range, withTemplate: "$1****")
        }
        return text
    }

    /// The passwords written in a connection string (URI userinfo, `password=` in a URI query or
    /// key/value pair), each as written and percent-decoded, longest first. For scrubbing them
    /// from messages that libpq builds from parts of the string.
    public static func passwords(in conninfo: String) -> [String] {
        var found: [String] = []
        if let schemeEnd = conninfo.range(of: "://") {
            let rest = conninfo[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"),
               let colon = rest[..<at].firstIndex(of: ":") {
                found.append(String(rest[rest.index(after: colon)..<at]))
            }
        }
        let pattern = #"password\s*=\s*('(?:[^'\\]|\\.)*'|[^&\s]*)"#
        if let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) {
            let range = NSRange(conninfo.startIndex..., in: conninfo)
            for match in regex.matches(in: conninfo, range: range) {
                guard let valueRange = Range(match.range(at: 1), in: conninfo) else { continue }
                var value = String(conninfo[valueRange])
                found.append(value)
                if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
                    value = String(value.dropFirst().dropLast())
                        .replacingOccurrences(of: "\\'", with: "'").replacingOccurrences(of: "\\\\", with: "\\")
                    found.append(value)
                }
            }
        }
        found += found.compactMap { $0.removingPercentEncoding }
        var unique: [String] = []
        for password in found where !password.isEmpty && !unique.contains(password) { unique.append(password) }
        return unique.sorted { $0.count > $1.count }
    }

    /// `message` (typically libpq's, which can quote the connection string or a piece of it, as in
    /// `invalid percent-encoded token: "..."`) with the connection string redacted and every
    /// password it holds replaced by `****`.
    public static func scrub(_ message: String, of conninfo: String) -> String {
        var text = message
        if !conninfo.isEmpty { text = text.replacingOccurrences(of: conninfo, with: redacted(conninfo)) }
        for password in passwords(in: conninfo) {
            text = text.replacingOccurrences(of: password, with: "****")
        }
        return text
    }

    /// A libpq connection failure as one line: its lines (one per host tried) joined with "; ",
    /// runs of spaces and tabs collapsed, passwords scrubbed.
    public static func oneLine(_ message: String, of conninfo: String) -> String {
        scrub(message, of: conninfo)
            .split(whereSeparator: \.isNewline)
            .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
    }
}
