import Database
import NIOCore

/// Writes response JSON straight into a `ByteBuffer`, in the layout Django's encoder gives
/// (`{"id": 1, "name": "Carl"}`: `": "` after keys, `", "` between members and elements).
///
/// Hand-written rather than `JSONEncoder`: key order must be stable and as documented, money
/// goes out as a string (`"12.50"`), and list endpoints write rows straight from libpq's
/// buffers without building an intermediate value per row.
struct JSONWriter {
    var buffer: ByteBuffer
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    init(capacity: Int = 256) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func raw(_ text: StaticString) {
        buffer.writeStaticString(text)
    }

    mutating func integer(_ value: Int64) {
        buffer.writeString(String(value))
    }

    /// Money as a JSON string with two decimals.
    mutating func money(_ value: Money) {
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeString(value.description)
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { string(utf8: $0) }
    }

    /// A JSON string from UTF-8 bytes: `"` and `\` escaped, control characters as `\n`, `\t`,
    /// ... or `\u00XX`, everything else (non-ASCII included) copied as it is.
    mutating func string(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<bytes.count {
            let byte = bytes[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < i { buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<i]))) }
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString(#"\""#)
            case UInt8(ascii: "\\"): buffer.writeStaticString(#"\\"#)
            case 0x0A: buffer.writeStaticString(#"\n"#)
            case 0x0D: buffer.writeStaticString(#"\r"#)
            case 0x09: buffer.writeStaticString(#"\t"#)
            case 0x08: buffer.writeStaticString(#"\b"#)
            case 0x0C: buffer.writeStaticString(#"\f"#)
            default:
                buffer.writeStaticString(#"\u00"#)
                buffer.writeInteger(JSONWriter.hexDigits[Int(byte >> 4)])
                buffer.writeInteger(JSONWriter.hexDigits[Int(byte & 0x0F)])
            }
            runStart = i + 1
        }
        if runStart < bytes.count { buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart...]))) }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// `value` as a JSON string literal, for small documents written by hand.
    static func quoted(_ value: String) -> String {
        var writer = JSONWriter(capacity: value.utf8.count + 2)
        writer.string(value)
        return String(buffer: writer.buffer)
    }

    /// `{"error": "<message>"}`
    static func error(_ message: String) -> ByteBuffer {
        var writer = JSONWriter(capacity: message.utf8.count + 16)
        writer.raw(#"{"error": "#)
        writer.string(message)
        writer.raw("}")
        return writer.buffer
    }
}
