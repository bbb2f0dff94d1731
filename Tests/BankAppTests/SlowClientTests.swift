@testable import BankApp
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Slow or stuck clients: a client trickling its headers and idle keep-alive connections are
/// closed after the idle timeout, a body trickled within the idle timeout is cut off after the
/// body timeout, and none of them keeps the server from answering others meanwhile.
/// (Hang bounds only: no speed is asserted.) One test at a time: they measure short timeouts,
/// and one's load (a 300,000-row list) must not push another's normal client past them.
@Suite("Slow and stuck clients", .serialized)
struct SlowClientTests {
    static let idle = 2.0
    static var timeouts: HTTPTimeouts { HTTPTimeouts(idle: .milliseconds(Int64(idle * 1000))) }
    /// Each body byte comes well within the idle timeout; the whole body never within `body`.
    static let body = 2.0
    static let bodyTimeouts = HTTPTimeouts(idle: .seconds(20), body: .milliseconds(Int64(body * 1000)))

    static func post(_ path: String, body: String) -> (request: String, headLength: Int) {
        let head = "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        return (head + body, head.utf8.count)
    }

    @Test func bodyTrickledWithinTheIdleTimeoutIsAnswered408AfterTheBodyTimeout() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, timeouts: Self.bodyTimeouts) { server in
                let (request, headLength) = Self.post("/customer/", body: #"{"name": "trickled body, never complete"}"#)
                // A byte a second: the body's 42 bytes would take 42 s, each far inside the idle
                // timeout, so even a machine loaded enough to fire the 2 s timer late cuts it off.
                async let trickled = RawHTTP.trickle(port: server.port, request, atOnce: headLength, interval: 1, limit: 60)
                for i in 0..<3 {
                    let reply = try await server.post("/customer/", #"{"name": "meanwhile \#(i)"}"#)
                    #expect(reply.status == 200)
                }
                let result = try await trickled
                #expect(result.received.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "\(result)")
                #expect(result.received.contains("connection: close") || result.received.contains("Connection: close"), "\(result)")
                #expect(result.received.hasSuffix(#"{"error": "request body not received within 2 s"}"#), "\(result)")
                #expect(result.closedByServer, "\(result)")
                #expect(result.bytesSent < request.utf8.count, "the whole body got through: \(result)")
                #expect(result.seconds < Self.body + 30, "\(result)")
                // Nothing half-written: only the three normal customers exist.
                #expect(try server.count("myproject_customers") == 3)
                #expect(server.logs.lines.contains { $0.contains("POST /customer/: request body not complete after 2 s") })
                #expect(!server.logs.lines.contains { $0.hasPrefix("error") }, "\(server.logs.lines)")
            }
        }
    }

    @Test func aBodyInChunksWithinTheBodyTimeoutIsServedAndTheConnectionKeptAlive() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, timeouts: Self.bodyTimeouts) { server in
                let (request, headLength) = Self.post("/customer/", body: #"{"name": "two chunks"}"#)
                let replies: [String] = try await offPool {
                    let fd = try RawHTTP.connectBlocking(port: server.port, timeout: 10)
                    defer { close(fd) }
                    let split = request.utf8.index(request.utf8.startIndex, offsetBy: headLength + 5)
                    try RawHTTP.sendAll(fd, request[..<split])
                    Thread.sleep(forTimeInterval: 0.5)
                    try RawHTTP.sendAll(fd, request[split...])
                    let first = RawHTTP.receive(fd, until: "}")
                    // Past the first request's body deadline: its timer must be gone.
                    Thread.sleep(forTimeInterval: Self.body + 0.5)
                    try RawHTTP.sendAll(fd, "GET /ping/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    return [first, RawHTTP.receive(fd, until: "swift/libpq")]
                }
                #expect(replies[0].hasPrefix("HTTP/1.1 200 OK"), "\(replies[0])")
                #expect(replies[0].hasSuffix(#"{"id": 1, "name": "two chunks"}"#), "\(replies[0])")
                #expect(replies[1].hasPrefix("HTTP/1.1 200 OK") && replies[1].hasSuffix("swift/libpq"), "\(replies[1])")
            }
        }
    }

    @Test func aPipelinedBodyWaitingBehindAStalledResponseIsNotCutOff() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, timeouts: Self.bodyTimeouts) { server in
                // A list far larger than the socket buffers: its response waits on the client.
                let rows = 300_000
                _ = try server.sql("INSERT INTO myproject_customers (name) SELECT 'Pipelined customer ' || g FROM generate_series(1, \(rows)) AS g")
                let (post, headLength) = Self.post("/customer/", body: #"{"name": "after the list"}"#)
                let received: String = try await offPool {
                    let fd = try RawHTTP.connectBlocking(port: server.port, timeout: 20, receiveBuffer: 16_384)
                    defer { close(fd) }
                    let split = post.utf8.index(post.utf8.startIndex, offsetBy: headLength + 5)
                    // The list, then a POST whose body is cut in two, and nothing read for longer
                    // than the body timeout: the server is still writing the list meanwhile.
                    try RawHTTP.sendAll(fd, "GET /customer/ HTTP/1.1\r\nHost: localhost\r\n\r\n" + post[..<split])
                    Thread.sleep(forTimeInterval: Self.body + 1)
                    try RawHTTP.sendAll(fd, post[split...])
                    return RawHTTP.receive(fd, until: #""name": "after the list"}"#)
                }
                let responses = received.components(separatedBy: "HTTP/1.1 ").dropFirst()
                #expect(responses.count == 2, "\(received.prefix(300)) ... \(received.suffix(300))")
                #expect(responses.first?.hasPrefix("200 OK") == true)
                // Chunked: the last row, then the closing bracket and the final empty chunk.
                let list = responses.first ?? ""
                #expect(list.contains(#""name": "Pipelined customer \#(rows)"}"#) && list.hasSuffix("\r\n]\r\n0\r\n\r\n"),
                        "the list was cut short: \(list.suffix(300))")
                #expect(responses.last?.hasPrefix("200 OK") == true, "\(received.suffix(300))")
                #expect(try server.count("myproject_customers") == Int64(rows + 1))
            }
        }
    }

    @Test func aRequestAnsweredBeforeItsBodyStillHasItsConnectionClosedAtTheBodyTimeout() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, timeouts: Self.bodyTimeouts) { server in
                // The 404 goes out at once, before the body; a 408 must not follow it on the same
                // connection. (On a machine so loaded that the 404 comes after the deadline, the
                // 408 alone is right: exactly one answer either way.)
                let (request, headLength) = Self.post("/nowhere/", body: #"{"name": "trickled to nowhere"}"#)
                // A byte every 0.5 s: the body would take 21 s, far past the 2 s body timeout.
                let result = try await RawHTTP.trickle(port: server.port, request, atOnce: headLength, interval: 0.5, limit: 40)
                #expect(result.received.components(separatedBy: "HTTP/1.1 ").count - 1 == 1, "\(result)")
                #expect(result.received.hasPrefix("HTTP/1.1 404 Not Found\r\n") || result.received.hasPrefix("HTTP/1.1 408 "), "\(result)")
                #expect(result.closedByServer && result.bytesSent < request.utf8.count, "\(result)")
            }
        }
    }

    @Test func headersTrickledByteByByteAreCutOffWhileOthersAreServed() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, timeouts: Self.timeouts) { server in
                // Two header bytes a second: the whole head would take far longer than the timeout.
                let request = "GET /ping/ HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + String(repeating: "a", count: 200) + "\r\n\r\n"
                async let trickled = RawHTTP.trickle(port: server.port, request, interval: 0.5, limit: 20)
                // Meanwhile, normal clients are answered at once, again and again.
                var served = 0
                for i in 0..<5 {
                    let started = Date()
                    let reply = try await server.post("/customer/", #"{"name": "normal \#(i)"}"#)
                    #expect(reply.status == 200)
                    #expect(Date().timeIntervalSince(started) < 10, "a normal request hung behind the slow client")
                    served += 1
                    try await Task.sleep(for: .milliseconds(200))
                }
                let result = try await trickled
                #expect(served == 5)
                #expect(result.closedByServer, "the trickling client was never cut off: \(result)")
                #expect(result.bytesSent < request.utf8.count, "the whole head got through: \(result)")
                #expect(!result.received.contains("200 OK"))
                // Cut off after about the timeout (a hang bound, not a speed target).
                #expect(result.seconds < Self.idle + 8, "\(result)")
            }
        }
    }

    @Test func manyIdleKeepAliveConnectionsDoNotBlockANewRequestAndAreClosed() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, timeouts: Self.timeouts) { server in
                let count = 200
                // Half send nothing at all; half finish one keep-alive request and then go quiet.
                let sockets: [Int32] = try await offPool {
                    var fds: [Int32] = []
                    for i in 0..<count {
                        let fd = try RawHTTP.connectBlocking(port: server.port, timeout: 10)
                        fds.append(fd)
                        if i % 2 == 1 {
                            let request = Array("GET /ping/ HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
                            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        }
                    }
                    return fds
                }
                defer { sockets.forEach { close($0) } }
                let started = Date()
                let reply = try await server.post("/customer/", #"{"name": "newcomer"}"#)
                #expect(reply.status == 200)
                #expect(Date().timeIntervalSince(started) < 10, "a new request hung behind \(count) idle connections")
                // Every idle connection is closed by the server after the timeout.
                let closed = try await offPool {
                    sockets.filter { RawHTTP.closedByPeer($0, wait: Self.idle + 8) }.count
                }
                #expect(closed == count, "only \(closed) of \(count) idle connections were closed")
                #expect(try await server.get("/customer/").status == 200)
            }
        }
    }

    @Test func bodyTimeoutFromFlagOrEnvironment() throws {
        #expect(HTTPTimeouts.default.body == .seconds(60))
        let environment = ["HTTP_BODY_TIMEOUT": "0.5"]
        #expect(try ServerSettings.resolve(flags: .init(), environment: environment).httpTimeouts.body == .milliseconds(500))
        #expect(try ServerSettings.resolve(flags: .init(httpBodyTimeout: "90"), environment: environment).httpTimeouts.body == .seconds(90))
        for text in ["soon", "0", "-1", "3601"] {
            #expect(throws: SettingsError("--http-body-timeout must be a number of seconds from 0.1 to 3600, got '\(text)'")) {
                try ServerSettings.resolve(flags: .init(httpBodyTimeout: text), environment: [:])
            }
        }
        #expect(HTTPTimeouts.secondsText(.seconds(60)) == "60")
        #expect(HTTPTimeouts.secondsText(.milliseconds(1500)) == "1.5")
    }

    @Test func idleTimeoutFromFlagOrEnvironment() throws {
        #expect(try ServerSettings.resolve(flags: .init(), environment: [:]).httpTimeouts == .default)
        #expect(HTTPTimeouts.default.idle == .seconds(30))
        let environment = ["HTTP_IDLE_TIMEOUT": "2.5"]
        #expect(try ServerSettings.resolve(flags: .init(), environment: environment).httpTimeouts.idle == .milliseconds(2500))
        #expect(try ServerSettings.resolve(flags: .init(httpIdleTimeout: "7"), environment: environment).httpTimeouts.idle == .seconds(7))
        for (flag, variable) in [(nil, "soon"), (nil, "0"), ("-1", "2"), ("4000", "2")] as [(String?, String)] {
            #expect(throws: SettingsError.self) {
                try ServerSettings.resolve(flags: .init(httpIdleTimeout: flag), environment: ["HTTP_IDLE_TIMEOUT": variable])
            }
        }
    }
}
