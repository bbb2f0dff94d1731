@testable import BankApp
import Foundation
import Hummingbird
import Testing
import TestSupport

/// The OpenAPI document (Sources/BankApp/OpenAPI/openapi.json), the router and the contract
/// (docs/API.md) agree. No server and no database: the document served at `/openapi.json` is
/// checked in APIEndToEndTests.
///
/// How they are compared: the document lists each path once, in its canonical form (with the
/// trailing slash, `{id}` for the id); the route table is `Route.all` with `Route.template`.
/// The two sets of paths must be equal; each documented template (and the same path without
/// its trailing slash, with `{id}` replaced by an id) must be matched by `Route.match` to that
/// route; and the documented methods must be exactly the route's `allowedMethods` without
/// HEAD, which the document states is answered wherever GET is (so HEAD ⇔ GET is checked too).
@Suite("OpenAPI document")
struct OpenAPITests {
    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    static func document() throws -> [String: Any] {
        let data = Data(OpenAPIDocument.bytes.readableBytesView)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func documentIsOpenAPI3AndTheCommittedFile() throws {
        let doc = try Self.document()
        #expect((doc["openapi"] as? String)?.hasPrefix("3.") == true)
        #expect((doc["info"] as? [String: Any])?["title"] != nil)
        // One source: the compiled-in bytes are the committed file's.
        let file = try Data(contentsOf: URL(fileURLWithPath: TestDatabase.packageRoot + "/Sources/BankApp/OpenAPI/openapi.json"))
        #expect(file == Data(OpenAPIDocument.bytes.readableBytesView))
    }

    @Test func everyRouteIsDocumentedAndNothingElse() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let routed = Set(Route.all.map(\.template))
        #expect(Set(paths.keys) == routed, "documented but not routed: \(Set(paths.keys).subtracting(routed)); routed but not documented: \(routed.subtracting(paths.keys))")
        for route in Route.all {
            let item = try #require(paths[route.template], "\(route.template) is not documented")
            let documented = Set(item.keys.filter { Self.httpMethods.contains($0) }.map { $0.uppercased() })
            let allowed = Set(route.allowedMethods.map(\.rawValue))
            #expect(documented == allowed.subtracting(["HEAD"]), "\(route.template): documented \(documented), routed \(allowed)")
            #expect(allowed.contains("HEAD") == allowed.contains("GET"), "\(route.template): HEAD must follow GET")
        }
    }

    @Test func documentedPathsMatchTheirRoutesWithAndWithoutTheSlash() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: Any])
        for template in paths.keys {
            let concrete = template.replacingOccurrences(of: "{id}", with: "523377322022797313")
            let route = try #require(Route.match(path: concrete[...]), "\(concrete) is not routed")
            #expect(route.template == template)
            let other = concrete.hasSuffix("/") ? String(concrete.dropLast()) : concrete + "/"
            #expect(Route.match(path: other[...])?.template == template, "\(other) is not the same route")
        }
    }

    @Test func everyOperationDocumentsItsAnswersAndReferencesResolve() throws {
        let doc = try Self.document()
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        let components = try #require(doc["components"] as? [String: [String: Any]])
        for (template, item) in paths {
            for (method, value) in item where Self.httpMethods.contains(method) {
                let operation = try #require(value as? [String: Any])
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(template)")
                #expect(responses["200"] != nil && responses["400"] != nil, "\(method) \(template)")
                if template.contains("{id}") {
                    #expect(responses["404"] != nil, "\(method) \(template)")
                    #expect(operation["parameters"] != nil, "\(method) \(template) needs its id parameter")
                }
                if template != "/ping/" && template != "/openapi.json" {
                    #expect(responses["503"] != nil, "\(method) \(template) talks to the database")
                }
                if method == "post" || method == "put" {
                    #expect(responses["413"] != nil && responses["415"] != nil && operation["requestBody"] != nil)
                }
            }
        }
        // Every $ref points at a component that exists.
        let text = String(decoding: OpenAPIDocument.bytes.readableBytesView, as: UTF8.self)
        let refs = text.components(separatedBy: "\"$ref\": \"#/components/").dropFirst()
            .map { $0.prefix { $0 != "\"" } }
        #expect(!refs.isEmpty)
        for ref in refs {
            let parts = ref.split(separator: "/")
            #expect(parts.count == 2 && components[String(parts[0])]?[String(parts[1])] != nil, "dangling $ref \(ref)")
        }
    }

    /// The (METHOD, path) pairs of docs/API.md's endpoint table: its rows are
    /// `| METHOD | \`/path/\` | ...`, with `<id>` where the OpenAPI document writes `{id}`.
    static func contractEndpoints() throws -> Set<String> {
        let text = try String(contentsOfFile: TestDatabase.packageRoot + "/docs/API.md", encoding: .utf8)
        let section = try #require(text.components(separatedBy: "\n## Endpoints\n").dropFirst().first, "docs/API.md has no Endpoints section")
        let table = section.components(separatedBy: "\n## ")[0]
        var endpoints: Set<String> = []
        for line in table.split(separator: "\n") where line.hasPrefix("|") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 2, httpMethods.contains(cells[1].lowercased()) else { continue }
            #expect(cells[2].hasPrefix("`") && cells[2].hasSuffix("`"), "docs/API.md: path not in backticks: \(line)")
            let path = cells[2].trimmingCharacters(in: CharacterSet(charactersIn: "`")).replacingOccurrences(of: "<id>", with: "{id}")
            let endpoint = "\(cells[1].uppercased()) \(path)"
            #expect(endpoints.insert(endpoint).inserted, "docs/API.md lists \(endpoint) twice")
        }
        return endpoints
    }

    /// The contract a person reads (docs/API.md) and the one the fuzzer and clients read (the
    /// OpenAPI document) name the same routes; `everyRouteIsDocumentedAndNothingElse` ties the
    /// latter to the router.
    @Test func theContractDocumentListsTheSameEndpoints() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { template, item in
            item.keys.filter { Self.httpMethods.contains($0) }.map { "\($0.uppercased()) \(template)" }
        })
        let contract = try Self.contractEndpoints()
        #expect(contract.count >= 10, "docs/API.md's endpoint table was not found or not read: \(contract)")
        #expect(contract == documented, """
            in docs/API.md only: \(contract.subtracting(documented).sorted()); \
            in the OpenAPI document only: \(documented.subtracting(contract).sorted())
            """)
    }
}
