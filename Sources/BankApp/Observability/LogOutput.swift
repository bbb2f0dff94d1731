#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Database
import Logging
import NIOConcurrencyHelpers

/// How log lines are written: `text` (the default, for people) or `json` (one object a line, for
/// log collectors). Set with `LOG_FORMAT` or `--log-format`.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// The one log handler of `manage`, writing to standard error in either format.
///
/// Text: `2026-11-30T10:00:00.123Z info bank.request: request_id=9f2c... GET /customer/ 200 1.2ms`:
/// the metadata a message already says in words (method, route, status, duration, retries) is
/// left out of the text form and kept for JSON, where each is a field of its own:
/// `{"time":"...","level":"info","logger":"bank.request","message":"GET /customer/ 200 1.2ms",
/// "request_id":"9f2c...","method":"GET","route":"/customer/","status":200,"duration_ms":1.2}`.
///
/// Messages are written as given: whatever may hold a password (connection strings, libpq's
/// errors) is redacted where the message is made, in both formats alike.
public struct BankLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let format: LogFormat
    let write: @Sendable (String) -> Void

    /// Metadata keys whose values the request line's message already says.
    static let wordedInMessage: Set<String> = ["method", "route", "status", "duration_ms", "retries"]

    public init(label: String, format: LogFormat, level: Logger.Level,
                write: @escaping @Sendable (String) -> Void = BankLogHandler.standardError) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        // Hummingbird's own id is replaced by the request's (RequestLogMiddleware); never both.
        if merged["request_id"] != nil { merged["hb.request.id"] = nil }
        switch format {
        case .text: write(textLine(event, merged))
        case .json: write(jsonLine(event, merged))
        }
    }

    func textLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> String {
        let shown = metadata.filter { !Self.wordedInMessage.contains($0.key) }.sorted { $0.key < $1.key }
        let prefix = shown.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "\(Self.timestamp()) \(event.level) \(label): \(prefix.isEmpty ? "" : prefix + " ")\(event.message)\n"
    }

    func jsonLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> String {
        var line = "{\"time\":\"\(Self.timestamp())\",\"level\":\"\(event.level)\",\"logger\":"
        Self.appendString(label, to: &line)
        line += ",\"message\":"
        Self.appendString("\(event.message)", to: &line)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += ","
            Self.appendString(key, to: &line)
            line += ":"
            Self.appendValue(value, to: &line)
        }
        return line + "}\n"
    }

    static func appendValue(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &line)
        case .stringConvertible(let item):
            switch item {
            case let number as Int: line += String(number)
            case let number as Double where number.isFinite: line += String(number)
            case let flag as Bool: line += flag ? "true" : "false"
            default: appendString(item.description, to: &line)
            }
        case .array(let items):
            line += "["
            for (index, item) in items.enumerated() {
                if index > 0 { line += "," }
                appendValue(item, to: &line)
            }
            line += "]"
        case .dictionary(let entries):
            line += "{"
            for (index, entry) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line += "," }
                appendString(entry.key, to: &line)
                line += ":"
                appendValue(entry.value, to: &line)
            }
            line += "}"
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped; the rest as UTF-8.
    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }

    /// UTC with milliseconds, ISO 8601: `2026-11-30T10:00:00.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let milliseconds = Int(now.tv_nsec / 1_000_000)
        let fraction = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) + ".\(fraction)Z"
    }

    @Sendable public static func standardError(_ line: String) {
        Output.standardError(line)
    }
}
