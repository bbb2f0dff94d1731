import CLibCrypto

/// SHA-256 (OpenSSL's) as 64 lowercase hex digits: migration file checksums, and the short hashes
/// in index and constraint names (`Names.hash`).
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var context = SHA256_CTX()
        SHA256_Init(&context)
        bytes.withUnsafeBufferPointer { input in _ = SHA256_Update(&context, input.baseAddress, input.count) }
        digest.withUnsafeMutableBufferPointer { output in _ = SHA256_Final(output.baseAddress, &context) }
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Of the text's UTF-8 bytes.
    static func of(_ text: String) -> String { of(Array(text.utf8)) }
}
