#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A statement parameter. Values are always sent as parameters, never spliced into SQL text.
public enum SQLValue: Sendable, Equatable {
    case null
    case int64(Int64)
    case int32(Int32)
    case string(String)
    case bool(Bool)
    case money(Money)
    case timestamp(Date)

    /// The text form libpq sends; nil is SQL NULL.
    var text: String? {
        switch self {
        case .null: return nil
        case .int64(let v): return String(v)
        case .int32(let v): return String(v)
        case .string(let v): return v
        case .bool(let v): return v ? "t" : "f"
        case .money(let v): return v.description
        case .timestamp(let v): return Timestamp.format(v)
        }
    }
}

/// A Swift type that can be sent as a statement parameter.
public protocol SQLEncodable: Sendable {
    var sqlValue: SQLValue { get }
}

/// A Swift type that can be read from a column in libpq's text format.
public protocol SQLDecodable {
    /// `text` is the column's bytes (not NUL-terminated in the buffer's count).
    static func decode(sqlText text: UnsafeBufferPointer<UInt8>) -> Self?
    /// A short name for error messages ("Int64", "Bool", ...).
    static var sqlTypeName: String { get }
}

extension SQLDecodable {
    public static var sqlTypeName: String { String(describing: Self.self) }
}

extension SQLValue: SQLEncodable {
    public var sqlValue: SQLValue { self }
}

extension Int64: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .int64(self) }
    public static func decode(sqlText text: UnsafeBufferPointer<UInt8>) -> Int64? { parseInteger(text) }
}

extension Int: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .int64(Int64(self)) }
    public static func decode(sqlText text: UnsafeBufferPointer<UInt8>) -> Int? { parseInteger(text).map(Int.init) }
}

extension Int32: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .int32(self) }
    public static func decode(sqlText text: UnsafeBufferPointer<UInt8>) -> Int32? {
        parseInteger(text).flatMap { Int32(exactly: $0) }
    }
}

extension String: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .string(self) }
    public static func decode(sqlText text: UnsafeBufferPointer<UInt8>) -> String? { String(decoding: text, as: UTF8.self) }
}

extension Bool: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .bool(self) }
    public static func decode(sqlText text: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard text.count == 1 else { return nil }
        switch text[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: return nil
        }
    }
}

extension Money: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .money(self) }
    public static func decode(sqlText text: UnsafeBufferPointer<UInt8>) -> Money? {
        Money(exactly: String(decoding: text, as: UTF8.self))
    }
}

extension Date: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .timestamp(self) }
    public static func decode(sqlText text: UnsafeBufferPointer<UInt8>) -> Date? {
        Timestamp.parse(String(decoding: text, as: UTF8.self))
    }
}

extension Optional: SQLEncodable where Wrapped: SQLEncodable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// Parses an optionally signed decimal integer without allocating.
func parseInteger(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
    guard !text.isEmpty else { return nil }
    var index = 0
    let negative = text[0] == UInt8(ascii: "-")
    if negative || text[0] == UInt8(ascii: "+") { index = 1 }
    guard index < text.count else { return nil }
    var value: Int64 = 0
    while index < text.count {
        let digit = text[index] &- 48
        guard digit < 10 else { return nil }
        let (times10, o1) = value.multipliedReportingOverflow(by: 10)
        let (next, o2) = negative ? times10.subtractingReportingOverflow(Int64(digit))
                                  : times10.addingReportingOverflow(Int64(digit))
        guard !o1, !o2 else { return nil }
        value = next
        index += 1
    }
    return value
}

/// TIMESTAMPTZ in PostgreSQL's ISO output style (`2024-01-02 03:04:05.123456+00`, `...+05:30`).
enum Timestamp {
    /// `2024-01-02T03:04:05.123456Z`: UTC with microseconds, PostgreSQL's own precision.
    /// (ISO8601DateFormatter keeps only milliseconds.)
    static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                        from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)).\(pad(Int(fraction), 6))Z"
    }

    static func parse(_ text: String) -> Date? {
        // Split off the zone: the last '+' or '-' after the time part.
        let chars = Array(text.utf8)
        guard chars.count >= 19, let tIndex = chars.firstIndex(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "T") })
        else { return nil }
        var zoneStart = chars.count
        for i in stride(from: chars.count - 1, to: tIndex, by: -1) where chars[i] == UInt8(ascii: "+") || chars[i] == UInt8(ascii: "-") {
            zoneStart = i; break
        }
        func number(_ s: ArraySlice<UInt8>) -> Int? { s.isEmpty || s.count > 9 ? nil : Int(String(decoding: s, as: UTF8.self)) }
        let datePart = chars[..<tIndex].split(separator: UInt8(ascii: "-"))
        guard datePart.count == 3, let year = number(datePart[0]), let month = number(datePart[1]), let day = number(datePart[2])
        else { return nil }
        let timePart = chars[(tIndex + 1)..<zoneStart].split(separator: UInt8(ascii: ":"))
        guard timePart.count == 3, let hour = number(timePart[0]), let minute = number(timePart[1]) else { return nil }
        let secondParts = timePart[2].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard let second = number(secondParts[0]) else { return nil }
        var nanos = 0
        if secondParts.count == 2 {
            let digits = Array(secondParts[1].prefix(9))
            guard let f = number(digits[...]) else { return nil }
            nanos = f
            for _ in digits.count..<9 { nanos *= 10 }
        }
        var offsetSeconds = 0
        if zoneStart < chars.count {
            let sign = chars[zoneStart] == UInt8(ascii: "-") ? -1 : 1
            let parts = chars[(zoneStart + 1)...].split(separator: UInt8(ascii: ":"))
            guard let h = parts.first.flatMap(number) else { return nil }
            let m = parts.count > 1 ? (number(parts[1]) ?? 0) : 0
            let s = parts.count > 2 ? (number(parts[2]) ?? 0) : 0
            offsetSeconds = sign * (h * 3600 + m * 60 + s)
        }
        var components = DateComponents()
        components.year = year; components.month = month; components.day = day
        components.hour = hour; components.minute = minute; components.second = second
        components.nanosecond = nanos
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard let utc = calendar.date(from: components) else { return nil }
        return utc.addingTimeInterval(TimeInterval(-offsetSeconds))
    }
}
