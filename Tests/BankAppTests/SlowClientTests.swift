@testable import BankApp
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Slow or stuck clients: a client trickling its headers and idle keep-alive connections are
/// closed after the idle timeout, and never keep the server from answering others meanwhile.
/// (Hang bounds only: no speed is asserted.)
@Suite("Slow and stuck clients")
struct SlowClientTests {
    static let idle = 1.0
    static var timeouts: HTTPTimeouts { HTTPTimeouts(idle: .milliseconds(Int64(idle * 1000))) }

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
