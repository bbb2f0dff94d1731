import CLibPQ
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where the database is: a libpq connection string or URI, exactly as libpq reads it.
public enum ConnectionString {
    /// The tutorial's settings: user `django`, database `bank`, CockroachDB's port 26257, insecure.
    public static let tutorialDefault = "postgresql://django@localhost:26257/bank?sslmode=disable"

    /// `DATABASE_URL` if set, else the tutorial's default. libpq's own `PG*` variables fill in
    /// whatever the string leaves out, as libpq defines.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let url = environment["DATABASE_URL"], !url.isBlank { return url }
        return tutorialDefault
    }

    /// The same string with any password replaced by `****`, for logs and error messages.
    /// Handles both forms: `postgresql://user:secret@host/db?password=secret` and `password=secret host=...`.
    public static func redacted(_ conninfo: String) -> String {
        var text = conninfo
        // URI userinfo: scheme://user:password@
        if let schemeEnd = text.firstRange(of: "://") {
            let rest = text[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"),
               let colon = rest[..<at].firstIndex(of: ":") {
                text.replaceSubrange(text.index(after: colon)..<at, with: "****")
            }
        }
        // password=... as a URI query parameter or a key/value pair (quoted values included).
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        var copied = 0
        for value in passwordValues(scalars) {
            result.append(contentsOf: scalars[copied..<value.lowerBound])
            result.append(contentsOf: "****".unicodeScalars)
            copied = value.upperBound
        }
        result.append(contentsOf: scalars[copied...])
        return String(result)
    }

    /// The passwords written in a connection string (URI userinfo, `password=` in a URI query or
    /// key/value pair), each as written and percent-decoded, longest first. For scrubbing them
    /// from messages that libpq builds from parts of the string.
    public static func passwords(in conninfo: String) -> [String] {
        var found: [String] = []
        if let schemeEnd = conninfo.firstRange(of: "://") {
            let rest = conninfo[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"),
               let colon = rest[..<at].firstIndex(of: ":") {
                found.append(String(rest[rest.index(after: colon)..<at]))
            }
        }
        let scalars = Array(conninfo.unicodeScalars)
        for range in passwordValues(scalars) {
            var value = String(String.UnicodeScalarView(scalars[range]))
            found.append(value)
            if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
                value = replacingAll(in: replacingAll(in: String(value.dropFirst().dropLast()), "\\'", with: "'"),
                                     "\\\\", with: "\\")
                found.append(value)
            }
        }
        found += found.compactMap(percentDecoded)
        var unique: [String] = []
        for password in found where !password.isEmpty && !unique.contains(password) { unique.append(password) }
        return unique.sorted { $0.count > $1.count }
    }

    /// `message` (typically libpq's, which can quote the connection string or a piece of it, as in
    /// `invalid percent-encoded token: "..."`) with the connection string redacted and every
    /// password it holds replaced by `****`.
    public static func scrub(_ message: String, of conninfo: String) -> String {
        var text = message
        if !conninfo.isEmpty { text = replacingAll(in: text, conninfo, with: redacted(conninfo)) }
        for password in passwords(in: conninfo) {
            text = replacingAll(in: text, password, with: "****")
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

    /// Where the values of `password=...` are (a URI query parameter or a key/value pair, the
    /// keyword in any ASCII case, spaces around `=`): a single-quoted value with its quotes and
    /// backslash escapes, else everything up to `&` or white space. What the regular expression
    /// `password\s*=\s*('(?:[^'\\]|\\.)*'|[^&\s]*)` matches, without a regex engine.
    static func passwordValues(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        let keyword = Array("password".unicodeScalars)
        var ranges: [Range<Int>] = []
        var i = 0
        func isSpace(_ c: Unicode.Scalar) -> Bool {
            // \s as ICU defines it: [\t\n\f\r\p{Z}].
            [0x09, 0x0A, 0x0C, 0x0D].contains(c.value) || c.properties.generalCategory == .spaceSeparator
                || c.properties.generalCategory == .lineSeparator || c.properties.generalCategory == .paragraphSeparator
        }
        search: while i + keyword.count <= s.count {
            for k in 0..<keyword.count {
                let c = s[i + k]
                let lower = c.isASCII && ("A"..."Z").contains(c) ? Unicode.Scalar(c.value + 32)! : c
                if lower != keyword[k] { i += 1; continue search }
            }
            var j = i + keyword.count
            while j < s.count, isSpace(s[j]) { j += 1 }
            guard j < s.count, s[j] == "=" else { i += 1; continue }
            j += 1
            while j < s.count, isSpace(s[j]) { j += 1 }
            let start = j
            var end: Int?
            if j < s.count, s[j] == "'" {  // a quoted value, if its closing quote is there
                var k = j + 1
                while k < s.count {
                    if s[k] == "\\" { k += 2; continue }
                    if s[k] == "'" { end = k + 1; break }
                    k += 1
                }
            }
            if end == nil {
                var k = start
                while k < s.count, s[k] != "&", !isSpace(s[k]) { k += 1 }
                end = k
            }
            ranges.append(start..<end!)
            i = max(end!, i + 1)
        }
        return ranges
    }

    /// `%XX` sequences decoded as UTF-8 bytes; nil when a `%` is not followed by two hex digits or
    /// the bytes are not UTF-8 (as Foundation's `removingPercentEncoding`).
    static func percentDecoded(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) else { return nil }
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        let decoded = String(decoding: out, as: UTF8.self)  // repairs invalid UTF-8...
        return decoded.utf8.elementsEqual(out) ? decoded : nil  // ...which is refused
    }

    /// `text` with every occurrence of `target` replaced, compared as UTF-8 bytes (as a literal
    /// search does: no Unicode normalisation, so a password is found whatever follows it).
    static func replacingAll(in text: String, _ target: String, with replacement: String) -> String {
        text.replacingBytes(target, with: replacement)
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement`, matched on the UTF-8 bytes: no
    /// Unicode normalisation and no Character boundaries, so a quote or a password followed by a
    /// combining mark is still found (Foundation's replace and String's Character-level search
    /// miss it). Used for passwords here and for SQL quoting in MigrationEngine.
    package func replacingBytes(_ target: String, with replacement: String) -> String {
        let haystack = Array(utf8), needle = Array(target.utf8)
        guard !needle.isEmpty, needle.count <= haystack.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(haystack.count)
        var i = 0
        while i < haystack.count {
            if haystack[i] == needle[0], i + needle.count <= haystack.count,
               haystack[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement.utf8)
                i += needle.count
            } else {
                out.append(haystack[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension StringProtocol {
    /// Empty or only spaces and tabs (and the other characters of Foundation's `.whitespaces`).
    var isBlank: Bool {
        unicodeScalars.allSatisfy(Whitespace.isSpace)
    }
}

/// A database that could not be reached, in one line that never holds the password:
/// `cannot connect to the database at postgresql://django:****@host/bank: <libpq's reason>`.
public struct Unreachable: Error, CustomStringConvertible {
    public let description: String

    public init(_ error: any Error, connectionString: String) {
        let reason: String
        if case DatabaseError.connection(let message) = error {
            reason = message
        } else {
            reason = String(describing: error)
        }
        description = "cannot connect to the database at \(ConnectionString.redacted(connectionString)): "
            + ConnectionString.oneLine(reason, of: connectionString)
    }
}

extension Connection {
    /// Opens one connection and runs `SELECT 1`: what every command that needs the database does
    /// before it prints anything, so a wrong certificate, key, password or address is one clear
    /// line. Blocks the calling thread (up to libpq's connect timeout per host).
    public static func checkReachable(_ connectionString: String) throws(Unreachable) {
        do {
            let connection = try Connection(connectionString: connectionString)
            defer { connection.close() }
            try connection.run("SELECT 1")
        } catch {
            throw Unreachable(error, connectionString: connectionString)
        }
    }
}

extension ConnectionString {
    /// The keywords a connection string sets, as libpq reads it (`PQconninfoParse`: both forms,
    /// percent-decoding, several hosts), in libpq's order; unset keywords left out. `manage
    /// dbshell` passes them on to psql without the password.
    public static func keywords(_ conninfo: String) throws -> [(keyword: String, value: String)] {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &message) else {
            let text = message.map { String(cString: $0) } ?? "out of memory"
            if let message { PQfreemem(message) }
            throw DatabaseError.connection(scrub(text.trimmingSpacesAndNewlines(), of: conninfo))
        }
        defer { PQconninfoFree(options) }
        var result: [(keyword: String, value: String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { result.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        return result
    }
}
