@testable import BankApp
import Database
import Foundation
import Hummingbird
import NIOCore
import Testing

/// Every endpoint of docs/API.md over real HTTP, against the real server and a fresh PostgreSQL
/// database per test.
@Suite("API end to end")
struct APIEndToEndTests {
    /// The id in `{"id": N, ...}`.
    func id(_ body: String) throws -> Int64 {
        let value = try JSONReader.parse(Array(body.utf8))
        return try #require(value["id"].flatMap(Identifier.parse(json:)))
    }

    @Test func tutorialStep5CurlFlow() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                // curl --header "Content-Type: application/json" --request POST --data '{"name":"Carl"}' http://0.0.0.0:8000/customer/
                let created = try await server.request(.post, "/customer/", body: #"{"name":"Carl"}"#, host: "0.0.0.0:8000")
                #expect(created.status == 200)
                let carl = try id(created.body)
                #expect(created.body == #"{"id": \#(carl), "name": "Carl"}"#)
                // curl http://0.0.0.0:8000/customer/
                let listed = try await server.request(.get, "/customer/", host: "0.0.0.0:8000")
                #expect(listed.status == 200)
                #expect(listed.headers[.contentType] == "application/json; charset=utf-8")
                #expect(listed.body == #"[{"id": \#(carl), "name": "Carl"}]"#)
                // SELECT * FROM myproject_customers;
                let rows = try server.sql("SELECT * FROM myproject_customers")
                #expect(rows.count == 1)
                #expect(try rows[0].decode(Int64.self, at: 0) == carl)
                #expect(try rows[0].decode(String.self, at: 1) == "Carl")
            }
        }
    }

    @Test func ping() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let reply = try await server.get("/ping/")
                #expect(reply.status == 200 && reply.body == "swift/libpq")
                #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(try await server.get("/ping").body == "swift/libpq")
            }
        }
    }

    @Test func customers() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let a = try id(try await server.post("/customer", #"{"name": "Zoë \"Z\" 😀\n"}"#).body)
                let b = try id(try await server.post("/customer/", #"{"name": "Bob", "ignored": [1, {"x": null}]}"#).body)
                #expect(a < b)
                #expect(try await server.get("/customer/\(a)/").body == #"{"id": \#(a), "name": "Zoë \"Z\" 😀\n"}"#)
                #expect(try await server.get("/customer/\(b)").body == #"{"id": \#(b), "name": "Bob"}"#)
                #expect(try await server.get("/customer/").body
                        == #"[{"id": \#(a), "name": "Zoë \"Z\" 😀\n"}, {"id": \#(b), "name": "Bob"}]"#)

                let updated = try await server.put("/customer/\(b)/", #"{"name": "Carla"}"#)
                #expect(updated.status == 200 && updated.body == #"{"id": \#(b), "name": "Carla"}"#)
                #expect(try await server.put("/customer/\(b)/", #"{}"#).status == 400)
                #expect(try await server.put("/customer/999999/", #"{"name": "x"}"#).status == 404)

                let deleted = try await server.delete("/customer/\(a)/")
                #expect(deleted.status == 200 && deleted.body == #"{"deleted": \#(a)}"#)
                let again = try await server.delete("/customer/\(a)")
                #expect(again.status == 404 && again.body == #"{"error": "customer \#(a) not found"}"#)
                #expect(try await server.get("/customer/\(a)/").status == 404)
                #expect(try await server.get("/customer/").body == #"[{"id": \#(b), "name": "Carla"}]"#)
            }
        }
    }

    @Test func products() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let created = try await server.post("/product/", #"{"name": "Ice Cream", "price": 123.4}"#)
                #expect(created.status == 200)
                let p = try id(created.body)
                #expect(created.body == #"{"id": \#(p), "name": "Ice Cream", "price": "123.40"}"#)
                let q = try id(try await server.post("/product", #"{"name": "Cone", "price": "0.10"}"#).body)
                #expect(try await server.get("/product/").body
                        == #"[{"id": \#(p), "name": "Ice Cream", "price": "123.40"}, {"id": \#(q), "name": "Cone", "price": "0.10"}]"#)
                #expect(try await server.put("/product/\(p)/", #"{"price": "-5"}"#).body
                        == #"{"id": \#(p), "name": "Ice Cream", "price": "-5.00"}"#)
                #expect(try await server.put("/product/\(p)/", #"{"name": "Sorbet"}"#).body
                        == #"{"id": \#(p), "name": "Sorbet", "price": "-5.00"}"#)
                #expect(try await server.put("/product/\(p)/", #"{"name": "Gelato", "price": 7}"#).body
                        == #"{"id": \#(p), "name": "Gelato", "price": "7.00"}"#)
                #expect(try await server.put("/product/\(p)/", #"{"other": 1}"#).status == 400)
                #expect(try await server.put("/product/424242/", #"{"price": 1}"#).status == 404)
                #expect(try await server.post("/product/", #"{"name": "no price"}"#).status == 400)
                #expect(try await server.get("/product/\(q)").body == #"{"id": \#(q), "name": "Cone", "price": "0.10"}"#)
                #expect(try await server.delete("/product/\(q)/").body == #"{"deleted": \#(q)}"#)
                #expect(try await server.get("/product/\(q)/").status == 404)
            }
        }
    }

    @Test func orders() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let c = try id(try await server.post("/customer/", #"{"name": "Carl"}"#).body)
                let p1 = try id(try await server.post("/product/", #"{"name": "A", "price": 1}"#).body)
                let p2 = try id(try await server.post("/product/", #"{"name": "B", "price": 2}"#).body)
                let created = try await server.post("/order/", """
                    {"subtotal": "123.40", "customer": {"id": "\(c)"}, "products": [{"id": \(p2)}, {"id": \(p1)}, {"id": "\(p2)"}]}
                    """)
                #expect(created.status == 200)
                let o = try id(created.body)
                #expect(created.body == #"{"id": \#(o), "subtotal": "123.40", "customer_id": \#(c), "products": [\#(p1), \#(p2)]}"#)
                #expect(try server.count("myproject_orders_product") == 2)
                #expect(try await server.get("/order/\(o)/").body == created.body)

                let bare = try await server.post("/order", #"{"subtotal": 5, "customer": {"id": \#(c)}, "products": null}"#)
                let o2 = try id(bare.body)
                #expect(bare.body == #"{"id": \#(o2), "subtotal": "5.00", "customer_id": \#(c), "products": []}"#)
                let none = try await server.post("/order", #"{"subtotal": 5, "customer": {"id": \#(c)}}"#)
                let o3 = try id(none.body)
                #expect(try await server.get("/order/").body == "[" + [created.body, bare.body, none.body].joined(separator: ", ") + "]")

                // A missing customer or product: 404 and nothing written.
                let before = (try server.count("myproject_orders"), try server.count("myproject_orders_product"))
                let noCustomer = try await server.post("/order/", #"{"subtotal": 1, "customer": {"id": 987654}, "products": [{"id": \#(p1)}]}"#)
                #expect(noCustomer.status == 404 && noCustomer.body.contains("customer 987654"))
                let noProduct = try await server.post("/order/", #"{"subtotal": 1, "customer": {"id": \#(c)}, "products": [{"id": \#(p1)}, {"id": 987654}]}"#)
                #expect(noProduct.status == 404 && noProduct.body.contains("product 987654"))
                #expect((try server.count("myproject_orders"), try server.count("myproject_orders_product")) == before)
                #expect(try await server.post("/order/", #"{"subtotal": 1, "products": []}"#).status == 400)

                // Deleting a product unlinks it; deleting the order removes its links.
                #expect(try await server.delete("/product/\(p2)/").status == 200)
                #expect(try await server.get("/order/\(o)").body.hasSuffix(#""products": [\#(p1)]}"#))
                #expect(try await server.delete("/order/\(o)/").body == #"{"deleted": \#(o)}"#)
                #expect(try server.count("myproject_orders_product") == 0)
                #expect(try await server.get("/order/\(o)/").status == 404)
                #expect(try await server.delete("/order/\(o3)").status == 200)
            }
        }
    }

    @Test func deletingACustomerCascadesToOrdersAndTheirLinks() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let c = try id(try await server.post("/customer/", #"{"name": "Carl"}"#).body)
                let other = try id(try await server.post("/customer/", #"{"name": "Other"}"#).body)
                let p = try id(try await server.post("/product/", #"{"name": "A", "price": 1}"#).body)
                for customer in [c, c, other] {
                    #expect(try await server.post("/order/", #"{"subtotal": 1, "customer": {"id": \#(customer)}, "products": [{"id": \#(p)}]}"#).status == 200)
                }
                #expect(try server.count("myproject_orders") == 3)
                #expect(try await server.delete("/customer/\(c)/").status == 200)
                #expect(try server.count("myproject_orders") == 1)
                #expect(try server.count("myproject_orders_product") == 1)
                #expect(try server.count("myproject_products") == 1)
                let remaining = try await server.get("/order/")
                #expect(remaining.body.contains(#""customer_id": \#(other)"#) && !remaining.body.contains(#""customer_id": \#(c),"#))
            }
        }
    }

    @Test func moneyIsExactAtTheLimitsOfDecimal18_2() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let accepted: [(String, String)] = [
                    (#""9999999999999999.99""#, "9999999999999999.99"),
                    (#""-9999999999999999.99""#, "-9999999999999999.99"),
                    ("9999999999999999.99", "9999999999999999.99"),
                    ("-9999999999999999.99", "-9999999999999999.99"),
                    (#""1.230""#, "1.23"),
                    ("1E+2", "100.00"),
                    ("0.1", "0.10"),
                    ("12.5", "12.50"),
                    ("-0.01", "-0.01"),
                ]
                for (sent, expected) in accepted {
                    let reply = try await server.post("/product/", #"{"name": "p", "price": \#(sent)}"#)
                    #expect(reply.status == 200, "\(sent): \(reply.body)")
                    #expect(reply.body.hasSuffix(#""price": "\#(expected)"}"#), "\(sent): \(reply.body)")
                    let stored = try server.sql("SELECT price::TEXT FROM myproject_products WHERE id = $1", [try id(reply.body)])
                    #expect(try stored[0].decode(String.self, at: 0) == expected, "\(sent)")
                }
                let refused = [#""99999999999999999.99""#, "10000000000000000", #""1.234""#, "1.234", #""1E+2""#,
                               #""12abc""#, "1e400", #""""#, "true", "null", #"" 1""#]
                for sent in refused {
                    let reply = try await server.post("/product/", #"{"name": "p", "price": \#(sent)}"#)
                    #expect(reply.status == 400, "\(sent): \(reply.body)")
                    let order = try await server.post("/order/", #"{"subtotal": \#(sent), "customer": {"id": 1}}"#)
                    #expect(order.status == 400, "\(sent): \(order.body)")
                }
                #expect(try server.count("myproject_products") == Int64(accepted.count))
            }
        }
    }

    @Test func sixtyFourBitIDsInsertedBySQLReadBackExactly() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let big: Int64 = 523377322022797313
                _ = try server.sql("INSERT INTO myproject_customers (id, name) VALUES ($1, 'Carl')", [big])
                _ = try server.sql("INSERT INTO myproject_products (id, name, price) VALUES ($1, 'Max', 1)", [Int64.max])
                #expect(try await server.get("/customer/\(big)/").body == #"{"id": 523377322022797313, "name": "Carl"}"#)
                #expect(try await server.get("/customer/").body == #"[{"id": 523377322022797313, "name": "Carl"}]"#)
                #expect(try await server.get("/product/9223372036854775807").body
                        == #"{"id": 9223372036854775807, "name": "Max", "price": "1.00"}"#)
                #expect(try await server.get("/customer/9223372036854775808/").status == 400)
                let order = try await server.post("/order/", """
                    {"subtotal": "1", "customer": {"id": "523377322022797313"}, "products": [{"id": 9223372036854775807}]}
                    """)
                #expect(order.status == 200)
                #expect(order.body.hasSuffix(#""customer_id": 523377322022797313, "products": [9223372036854775807]}"#))
                #expect(try await server.get("/customer/?after=523377322022797312").body.contains("523377322022797313"))
                #expect(try await server.get("/customer/?after=523377322022797313").body == "[]")
            }
        }
    }

    @Test func pagingByKeyAndStreamingInBatches() async throws {
        try await withBankDatabase { url in
            // Batches of 2 rows, so every list below is several transactions and several writes.
            try await withLiveServer(databaseURL: url, configure: { $0.listBatchSize = 2 }) { server in
                var ids: [Int64] = []
                for i in 1...7 { ids.append(try id(try await server.post("/customer/", #"{"name": "c\#(i)"}"#).body)) }
                func listed(_ query: String) async throws -> [Int64] {
                    let reply = try await server.get("/customer/" + query)
                    #expect(reply.status == 200, "\(query): \(reply.body)")
                    guard case .array(let elements) = try JSONReader.parse(Array(reply.body.utf8)) else { return [] }
                    return elements.compactMap { $0["id"].flatMap(Identifier.parse(json:)) }
                }
                #expect(try await listed("") == ids)
                #expect(try await listed("?limit=3") == Array(ids[0..<3]))
                #expect(try await listed("?limit=3&after=\(ids[2])") == Array(ids[3..<6]))
                #expect(try await listed("?after=\(ids[2])&limit=30") == Array(ids[3...]))
                #expect(try await listed("?after=\(ids[4])") == Array(ids[5...]))
                #expect(try await listed("?after=0") == ids)
                #expect(try await listed("?limit=4&unknown=1") == Array(ids[0..<4]))
                #expect(try await listed("?limit=2") == Array(ids[0..<2]))
                #expect(try await listed("?after=\(ids[6])") == [])
                for bad in ["?limit=0", "?limit=10001", "?limit=-1", "?limit=x", "?after=-1", "?after=1.5", "?limit=1&limit=2",
                            "?after=1&after=2"] {
                    let reply = try await server.get("/customer/" + bad)
                    #expect(reply.status == 400, "\(bad)")
                    #expect(reply.body.hasPrefix(#"{"error": "#))
                }
                // Orders and products stream the same way.
                let p = try id(try await server.post("/product/", #"{"name": "A", "price": 1}"#).body)
                for c in ids { _ = try await server.post("/order/", #"{"subtotal": 1, "customer": {"id": \#(c)}, "products": [{"id": \#(p)}]}"#) }
                let orders = try await server.get("/order/?limit=5")
                guard case .array(let elements) = try JSONReader.parse(Array(orders.body.utf8)) else { Issue.record("not a list"); return }
                #expect(elements.count == 5)
                #expect(elements.allSatisfy { $0["products"] == .array([.number(String(p))]) })
            }
        }
    }

    @Test func headIsAnsweredWhereverGetIs() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let c = try id(try await server.post("/customer/", #"{"name": "Carl"}"#).body)
                for path in ["/ping/", "/customer/", "/customer/\(c)/", "/product", "/order/"] {
                    let reply = try await server.request(.head, path)
                    #expect(reply.status == 200, "\(path)")
                    #expect(reply.body.isEmpty, "\(path)")
                }
                let item = try await server.request(.head, "/customer/\(c)")
                #expect(item.headers[.contentLength] == String(#"{"id": \#(c), "name": "Carl"}"#.utf8.count))
                #expect(try await server.request(.head, "/customer/999/").status == 404)
                #expect(try await server.request(.head, "/customer/abc/").status == 400)
            }
        }
    }

    /// The OpenAPI document as OpenAPITests checked it, served byte for byte.
    @Test func servedAtOpenAPIJSON() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let reply = try await server.get("/openapi.json")
                #expect(reply.status == 200)
                #expect(reply.headers[.contentType] == "application/json")
                #expect(reply.bodyBytes == OpenAPIDocument.bytes)
                #expect(try await server.get("/openapi.json/").status == 200)
                let head = try await server.request(.head, "/openapi.json")
                #expect(head.status == 200 && head.body.isEmpty)
                let post = try await server.post("/openapi.json", "{}")
                #expect(post.status == 405 && post.headers[.allow] == "GET, HEAD")
            }
        }
    }
}
