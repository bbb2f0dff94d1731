@testable import BankApp
import Testing

/// Routes.swift's route table and request targets, and HostCheck.swift's ALLOWED_HOSTS matching.
@Suite("Routes and hosts")
struct RouteTests {
    @Test func routes() {
        #expect(Route.match(path: "/ping/") == .ping)
        #expect(Route.match(path: "/ping") == .ping)
        #expect(Route.match(path: "/customer/") == .collection(.customer))
        #expect(Route.match(path: "/order") == .collection(.order))
        #expect(Route.match(path: "/product/12/") == .item(.product, rawID: "12"))
        #expect(Route.match(path: "/customer/abc") == .item(.customer, rawID: "abc"))
        for unknown in ["/", "", "/customers/", "/customer/1/2/", "//customer/", "/customer//", "/ping/x", "customer/"] {
            #expect(Route.match(path: Substring(unknown)) == nil, "\(unknown)")
        }
        #expect(Route.item(.order, rawID: "1").allowedMethods == [.get, .head, .delete])
        #expect(Route.item(.customer, rawID: "1").allowedMethods == [.get, .head, .put, .delete])
    }

    @Test func requestTargets() {
        #expect(RequestTarget("/customer/?limit=2") == RequestTarget(path: "/customer/", query: "limit=2"))
        #expect(RequestTarget("/customer/") == RequestTarget(path: "/customer/", query: nil))
    }

    @Test func hosts() {
        let hosts = AllowedHosts.default
        #expect(hosts.allows(hostHeader: "0.0.0.0:8000"))
        #expect(hosts.allows(hostHeader: "localhost"))
        #expect(hosts.allows(hostHeader: "LOCALHOST:1"))
        #expect(hosts.allows(hostHeader: "127.0.0.1:8000"))
        #expect(hosts.allows(hostHeader: "[::1]:8000"))
        #expect(!hosts.allows(hostHeader: nil))
        #expect(!hosts.allows(hostHeader: ""))
        #expect(!hosts.allows(hostHeader: "evil.com"))
        #expect(!hosts.allows(hostHeader: "localhost.evil.com"))
        #expect(!hosts.allows(hostHeader: "localhost:abc"))
        #expect(!hosts.allows(hostHeader: "local host"))
        #expect(AllowedHosts(list: "*")!.allows(hostHeader: "anything.example:1"))
        let domain = AllowedHosts(list: " .example.com , api.test")!
        #expect(domain.allows(hostHeader: "example.com"))
        #expect(domain.allows(hostHeader: "a.b.example.com:443"))
        #expect(!domain.allows(hostHeader: "badexample.com"))
        #expect(domain.allows(hostHeader: "API.test"))
        #expect(AllowedHosts(list: " , ") == nil)
    }
}
