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

    /// A blocking TCP connection to 127.0.0.1:`port` (receive timeout `timeout`); the caller closes it.
    /// `receiveBuffer` caps the socket's receive buffer (so a client that stops reading stalls the server's writes soon).
    static func connectBlocking(port: Int, timeout: TimeInterval = 20, receiveBuffer: Int32? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failed(description: "socket() failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw Failed(description: "connect() failed") }
        return fd
    }

    /// Sends all of `text` on the blocking socket `fd`.
    static func sendAll(_ fd: Int32, _ text: some StringProtocol) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failed(description: "send() failed after \(sent) bytes") }
            sent += n
        }
    }

    /// Reads from `fd` until what arrived ends with `suffix`, the server closes, or a receive times out.
    static func receive(_ fd: Int32, until suffix: String) -> String {
        var received: [UInt8] = []
        let end = Array(suffix.utf8)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !(received.count >= end.count && received.suffix(end.count).elementsEqual(end)) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            received.append(contentsOf: chunk[..<n])
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the server has closed `fd` (end of file or reset), waiting up to `wait` seconds.
    /// Bytes the server sent before closing are skipped.
    static func closedByPeer(_ fd: Int32, wait: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(wait)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(0, remaining) * 1000))
            if ready > 0 {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n == 0 { return true }
                if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
                continue
            }
            if remaining <= 0 { return false }
        }
    }

    struct Trickle: Sendable {
        /// Bytes sent before the server closed the connection (or all of them).
        var bytesSent: Int
        var closedByServer: Bool
        var seconds: TimeInterval
        /// What the server sent, if anything.
        var received: String
    }

    /// Sends `request` one byte every `interval` seconds (a slowloris client) until the server
    /// closes the connection, everything was sent, or `limit` seconds passed. The first
    /// `atOnce` bytes (the head, say, to trickle only the body) go in one send.
    static func trickle(port: Int, _ request: String, atOnce: Int = 0, interval: TimeInterval,
                        limit: TimeInterval) async throws -> Trickle {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    let fd = try connectBlocking(port: port)
                    defer { close(fd) }
                    let start = Date()
                    var sent = 0
                    var received: [UInt8] = []
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    func peerClosed() -> Bool {
                        while true {
                            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                            if n > 0 { received.append(contentsOf: chunk[0..<n]); continue }
                            if n == 0 { return true }
                            return errno != EAGAIN && errno != EWOULDBLOCK
                        }
                    }
                    let bytes = Array(request.utf8)
                    let prefix = min(atOnce, bytes.count)
                    if prefix > 0 {
                        guard bytes[..<prefix].withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == prefix
                        else { throw Failed(description: "send() failed") }
                        sent = prefix
                    }
                    for byte in bytes[prefix...] {
                        if peerClosed() || Date().timeIntervalSince(start) > limit { break }
                        var b = byte
                        guard send(fd, &b, 1, Int32(MSG_NOSIGNAL)) == 1 else { break }
                        sent += 1
                        Thread.sleep(forTimeInterval: interval)
                    }
                    let closed = closedByPeer(fd, wait: max(0, limit - Date().timeIntervalSince(start))) || peerClosed()
                    return Trickle(bytesSent: sent, closedByServer: closed, seconds: Date().timeIntervalSince(start),
                                   received: String(decoding: received, as: UTF8.self))
                })
            }.start()
        }
    }

    private static func blockingExchange(port: Int, _ request: String, timeout: TimeInterval) throws -> String {
        let fd = try connectBlocking(port: port, timeout: timeout)
        defer { close(fd) }
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
