import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sends bytes as they are and reads until the server closes: for requests an HTTP client
/// library will not send (two Host headers) and for seeing a truncated body as it is.
/// Blocking socket calls run on a thread of their own, never on Swift's cooperative pool.
enum RawHTTP {
    static func exchange(port: Int, _ request: String, timeout: TimeInterval = 20) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try blockingExchange(port: port, request, timeout: timeout) })
            }
            thread.start()
        }
    }

    struct Failed: Error, CustomStringConvertible { var description: String }

    private static func blockingExchange(port: Int, _ request: String, timeout: TimeInterval) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failed(description: "socket() failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failed(description: "connect() failed") }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failed(description: "send() failed") }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received.append(contentsOf: chunk[0..<n]); continue }
            if n == 0 { break }
            throw Failed(description: "recv() failed or timed out after \(received.count) bytes")
        }
        return String(decoding: received, as: UTF8.self)
    }
}
