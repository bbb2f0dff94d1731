import HTTPTypes
import Hummingbird

/// The id that follows one request through the logs and back to the client (`X-Request-Id`).
///
/// A client's (or a proxy's) id is kept when it is a sane token: 1 to 128 characters of letters,
/// digits and `-_.:+/=@`, which covers UUIDs, hex ids, base64 and the `trace-id:span-id` forms
/// proxies send. Anything else (empty, too long, spaces, control characters, quotes) is replaced by
/// a new id, so nothing a client sends reaches a log line raw.
enum RequestIdentity {
    static let header = HTTPField.Name("X-Request-Id")!
    static let maximumLength = 128

    /// The client's id when it is sane, else nil (use a new one).
    static func accepted(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= maximumLength else { return nil }
        return value.utf8.allSatisfy(isTokenByte) ? value : nil
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "+"),
             UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "@"):
            return true
        default:
            return false
        }
    }
}
