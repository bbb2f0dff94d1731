import Crypto

/// SHA-256 (swift-crypto's) as 64 lowercase hex digits: migration file checksums, and the short
/// hashes in index and constraint names (`Names.hash`).
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Of the text's UTF-8 bytes.
    static func of(_ text: String) -> String { of(Array(text.utf8)) }
}
