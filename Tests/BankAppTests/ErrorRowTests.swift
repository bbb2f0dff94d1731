@testable import BankApp
import Database
import Foundation
import Hummingbird
import NIOCore
import Testing

/// Each error row of docs/API.md, and the settled order when several apply.
@Suite("Error rows and their precedence")
struct ErrorRowTests {
    func expectError(_ reply: LiveServer.Reply, _ status: Int, _ note: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(note): \(reply.status) \(reply.body)", sourceLocation: sourceLocation)
        #expect(reply.headers[.contentType] == "application/json; charset=utf-8", "\(note)", sourceLocation: sourceLocation)
        let parsed = try? JSONReader.parse(Array(reply.body.utf8))
        if case .string(let message)? = parsed?["error"] {
            #expect(!message.isEmpty, sourceLocation: sourceLocation)
            #expect(!message.contains("SELECT") && !message.contains("INSERT") && !message.contains("SQLSTATE"),
                    sourceLocation: sourceLocation)
        } else {
            Issue.record("\(note): not an error body: \(reply.body)", sourceLocation: sourceLocation)
        }
    }

    @Test func hostHeader() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                expectError(try await server.request(.get, "/customer/", host: "evil.example"), 400, "foreign host")
                expectError(try await server.request(.get, "/customer/", host: nil), 400, "no Host")
                expectError(try await server.request(.get, "/no/such/path", host: "evil.example"), 400, "Host before 404")
                expectError(try await server.request(.patch, "/customer/", host: "evil.example"), 400, "Host before 405")
                for allowed in ["localhost", "127.0.0.1:8000", "0.0.0.0:8000", "[::1]:8000", "LOCALHOST"] {
                    #expect(try await server.request(.get, "/ping/", host: allowed).status == 200, "\(allowed)")
                }
                let twoHosts = try await RawHTTP.exchange(port: server.port,
                    "GET /ping/ HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
                #expect(twoHosts.hasPrefix("HTTP/1.1 400"), "\(twoHosts)")
                let http10 = try await RawHTTP.exchange(port: server.port, "GET /ping/ HTTP/1.0\r\nConnection: close\r\n\r\n")
                #expect(http10.hasPrefix("HTTP/1.1 400") || http10.hasPrefix("HTTP/1.0 400"), "\(http10)")
            }
        }
        // ALLOWED_HOSTS=* allows any host; a list allows only its names.
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, configure: { $0.allowedHosts = AllowedHosts(list: "*")! }) { server in
                let reply = try await server.request(.get, "/ping/", host: "anything.example:1")
                #expect(reply.status == 200)
            }
            try await withLiveServer(databaseURL: url, configure: { $0.allowedHosts = AllowedHosts(list: "api.example")! }) { server in
                let named = try await server.request(.get, "/ping/", host: "api.example")
                let other = try await server.request(.get, "/ping/", host: "localhost")
                #expect(named.status == 200)
                #expect(other.status == 400)
            }
        }
    }

    @Test func unknownPathsAndMethods() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                for path in ["/", "/customers/", "/customer/1/2/", "/customer//", "/ping/x", "/admin/"] {
                    expectError(try await server.get(path), 404, path)
                }
                expectError(try await server.request(.delete, "/nope/"), 404, "404 before 405")
                let cases: [(HTTPRequest.Method, String, String)] = [
                    (.patch, "/customer/", "GET, HEAD, POST"),
                    (.put, "/customer/", "GET, HEAD, POST"),
                    (.delete, "/product", "GET, HEAD, POST"),
                    (.post, "/customer/1/", "GET, HEAD, PUT, DELETE"),
                    (.patch, "/product/1", "GET, HEAD, PUT, DELETE"),
                    (.put, "/order/1/", "GET, HEAD, DELETE"),
                    (.options, "/order/", "GET, HEAD, POST"),
                    (.post, "/ping/", "GET, HEAD"),
                ]
                for (method, path, allow) in cases {
                    let reply = try await server.request(method, path, body: method == .post || method == .put ? "{}" : nil)
                    expectError(reply, 405, "\(method) \(path)")
                    #expect(reply.headers[.allow] == allow, "\(method) \(path)")
                }
                // 405 before a bad id, 405 before 413.
                expectError(try await server.request(.post, "/customer/abc/", body: "{}"), 405, "405 before bad id")
                let huge = String(repeating: "x", count: (1 << 20) + 1)
                expectError(try await server.request(.patch, "/customer/", body: huge), 405, "405 before 413")
            }
        }
    }

    @Test func bodiesTooLargeOrNotJSON() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let padding = String(repeating: " ", count: 1 << 20)
                expectError(try await server.post("/customer/", #"{"name": "x"}"# + padding), 413, "over 1 MiB")
                expectError(try await server.request(.post, "/customer/", body: #"{"name": "x"}"# + padding, contentType: "text/plain"),
                            413, "413 before 415")
                // Exactly 1 MiB is fine.
                let exact = #"{"name": "x"}"# + String(repeating: " ", count: (1 << 20) - 13)
                #expect(try await server.post("/customer/", exact).status == 200)

                expectError(try await server.request(.post, "/customer/", body: #"{"name": "x"}"#, contentType: "text/plain"), 415, "text/plain")
                expectError(try await server.request(.post, "/customer/", body: "name=x", contentType: "application/x-www-form-urlencoded"),
                            415, "form (curl -d without a content type)")
                expectError(try await server.request(.post, "/customer/", body: "not json", contentType: "text/plain"), 415, "415 before malformed")
                expectError(try await server.request(.put, "/customer/abc/", body: "{}", contentType: "text/plain"), 415, "415 before bad id")
                // No content type at all is accepted.
                #expect(try await server.request(.post, "/customer/", body: #"{"name": "x"}"#, contentType: nil).status == 200)
                #expect(try await server.request(.post, "/customer/", body: #"{"name": "x"}"#,
                                                 contentType: "application/json; charset=utf-8").status == 200)
            }
        }
    }

    @Test func malformedBodiesBadIDsAndMissingRows() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                for body in ["", "not json", "[]", "\"Carl\"", "{\"name\": \"x\",}", "{\"name\": 5}", "{}", "{\"name\": \"\"}",
                             "{\"name\": \"\(String(repeating: "a", count: 251))\"}", "{\"name\": null}", "{\"name\": \"a\\u0000b\"}"] {
                    expectError(try await server.post("/customer/", body), 400, "customer body \(body.prefix(30))")
                }
                #expect(try await server.post("/customer/", "{\"name\": \"\(String(repeating: "é", count: 250))\"}").status == 200)
                for body in [#"{"name": "p"}"#, #"{"price": 1}"#, #"{"name": "p", "price": "abc"}"#, #"{"name": "p", "price": [1]}"#] {
                    expectError(try await server.post("/product/", body), 400, "product body \(body)")
                }
                for body in [#"{"subtotal": 1}"#, #"{"customer": {"id": 1}}"#, #"{"subtotal": 1, "customer": {"id": -1}}"#,
                             #"{"subtotal": 1, "customer": {"id": "12a"}}"#, #"{"subtotal": 1, "customer": {"id": 1.5}}"#,
                             #"{"subtotal": 1, "customer": {"id": 1}, "products": [{"id": 0}]}"#,
                             #"{"subtotal": 1, "customer": {"id": 1}, "products": "1,2"}"#] {
                    expectError(try await server.post("/order/", body), 400, "order body \(body)")
                }
                for path in ["/customer/abc/", "/customer/0/", "/customer/-1", "/product/1.5/", "/order/9223372036854775808/", "/customer/%31/"] {
                    expectError(try await server.get(path), 400, path)
                    expectError(try await server.delete(path), 400, "DELETE \(path)")
                }
                // Malformed body before bad id; bad id before missing row.
                let both = try await server.put("/customer/abc/", "not json")
                expectError(both, 400, "malformed body first")
                #expect(both.body.contains("JSON"))
                expectError(try await server.put("/customer/abc/", #"{"name": "x"}"#), 400, "bad id before missing row")
                expectError(try await server.put("/customer/77777/", "not json"), 400, "malformed body before missing row")
                for path in ["/customer/77777/", "/product/77777", "/order/77777/"] {
                    expectError(try await server.get(path), 404, path)
                    expectError(try await server.delete(path), 404, "DELETE \(path)")
                }
                expectError(try await server.put("/product/77777/", #"{"price": 1}"#), 404, "PUT missing product")
            }
        }
    }
}
