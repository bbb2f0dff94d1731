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
}
