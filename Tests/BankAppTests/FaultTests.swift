@testable import BankApp
import Database
import Foundation
import Hummingbird
import HummingbirdTesting
import MigrationEngine
import NIOConcurrencyHelpers
import NIOCore
import Testing
import TestSupport

/// Faults under concurrent load, with nothing lost: the database restarted, and the server
/// killed with SIGKILL and started again, while 8 clients write orders and customers with
/// unique payloads. Afterwards every write that got 200 is in the database exactly once, every
/// other write is absent or complete (an order never without its product links), and no request
/// took longer than the pool timeout plus a margin (a hang bound, not a speed target).
@Suite("Faults under load: nothing lost, nothing half-written")
struct FaultTests {
    static let clients = 8
    /// Requests per client at most (the load stops by itself).
    static let requestsPerClient = 80
    static let poolTimeoutSeconds = 3
    /// No request may take longer than this: the pool timeout plus a generous margin.
    static var hangBound: Double { Double(poolTimeoutSeconds) + 12 }
    /// Each client's own give-up: longer than the bound, so a hang shows as a failed bound.
    static let clientTimeout: Duration = .seconds(25)
    /// The load's own end, whatever happens: a hang guard, far beyond a restart on a loaded machine.
    static let loadDeadline: Duration = .seconds(180)

    @Test func databaseRestartUnderLoad() async throws {
        let cluster = try await offPool { try PrivateCluster() }
        defer { cluster.destroy() }
        try await offPool { try Migrator.migrate(connectionString: cluster.url, directory: migrationsDirectory) }
        try await withLiveServer(databaseURL: cluster.url, configure: {
            $0.poolTimeout = .seconds(Int64(Self.poolTimeoutSeconds)); $0.logLevel = .warning
        }) { server in
            let fixtures = try await Fixtures.make(port: server.port)
            let load = Load(port: server.port, fixtures: fixtures)
            let attempts = try await load.run {
                try await offPool { try cluster.restart() }
            }
            try Self.verify(attempts, fixtures: fixtures, databaseURL: cluster.url, serverAlwaysUp: true)
        }
    }

    @Test func serverKilledWithSIGKILLUnderLoad() async throws {
        try await withBankDatabase { url in
            let port = try await offPool { try PrivateCluster.freePortForTests() }
            let executable = try ManageExecutable.path()
            @Sendable func startServer() async throws -> ChildProcess {
                let child = try ChildProcess.spawn(executable, ["runserver", "127.0.0.1:\(port)"], environment: [
                    "DATABASE_URL": url, "LOG_LEVEL": "warning",
                    "DATABASE_POOL_TIMEOUT": String(Self.poolTimeoutSeconds),
                ])
                for _ in 0..<200 {
                    if (try? await HTTP.send(port: port, .get, "/ping/", timeout: .seconds(2)))?.status == 200 { return child }
                    try await Task.sleep(for: .milliseconds(100))
                }
                child.kill()
                _ = try await offPool { child.wait() }
                throw FaultSetupFailure("manage runserver did not answer: \(child.output)")
            }
            let servers = NIOLockedValueBox<[ChildProcess]>([])
            do {
                let first = try await startServer()
                servers.withLockedValue { $0.append(first) }
                let fixtures = try await Fixtures.make(port: port)
                let load = Load(port: port, fixtures: fixtures)
                let attempts = try await load.run {
                    first.kill(SIGKILL)
                    let status = try await offPool { first.wait() }
                    #expect(status == 128 + SIGKILL)
                    let second = try await startServer()
                    servers.withLockedValue { $0.append(second) }
                }
                try Self.verify(attempts, fixtures: fixtures, databaseURL: url, serverAlwaysUp: false)
            } catch {
                Issue.record("server output: \(servers.withLockedValue { $0 }.map(\.output).joined(separator: "\n---\n").suffix(3000))")
                Self.stop(servers.withLockedValue { $0 })
                throw error
            }
            Self.stop(servers.withLockedValue { $0 })
        }
    }

    /// `manage runserver` as built (its entry point waits on the main thread while the server runs
    /// on Swift's executors): SIGTERM and SIGINT stop it gracefully, exit status 0.
    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalStopsTheBuiltServerCleanly(signal: Int32) async throws {
        try await withBankDatabase { url in
            let port = try await offPool { try PrivateCluster.freePortForTests() }
            let child = try ChildProcess.spawn(try ManageExecutable.path(), ["runserver", "127.0.0.1:\(port)"], environment: [
                "DATABASE_URL": url, "LOG_LEVEL": "warning",
            ])
            defer { try? FileManager.default.removeItem(atPath: child.outputPath) }
            var answered = false
            for _ in 0..<600 where !answered {
                answered = (try? await HTTP.send(port: port, .get, "/ping/", timeout: .seconds(2)))?.status == 200
                if !answered { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(answered, "manage runserver did not answer: \(child.output)")
            #expect((try? await HTTP.send(port: port, .get, "/customer/", timeout: .seconds(5)))?.status == 200)
            child.kill(signal)
            let started = ContinuousClock.now
            let status = try await offPool { child.wait() }
            #expect(status == 0, "exit status \(status): \(child.output)")
            #expect(started.duration(to: .now) < .seconds(10))
            #expect(child.output.contains("Starting server at http://127.0.0.1:\(port)/"))
        }
    }

    /// SIGTERM, wait, and remove the output files (SIGKILL when the server does not stop).
    static func stop(_ servers: [ChildProcess]) {
        for server in servers {
            server.kill(SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            var status: Int32 = 0
            while waitpid(server.pid, &status, WNOHANG) == 0 {
                if Date() > deadline { server.kill(SIGKILL); _ = waitpid(server.pid, &status, 0); break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            try? FileManager.default.removeItem(atPath: server.outputPath)
        }
    }

    // MARK: - Checking the database afterwards

    static func verify(_ attempts: [Attempt], fixtures: Fixtures, databaseURL: String, serverAlwaysUp: Bool) throws {
        let connection = try Connection(connectionString: databaseURL)
        defer { connection.close() }
        var customers: [String: [Int64]] = [:]
        for row in try connection.execute("SELECT id, name FROM myproject_customers WHERE name LIKE $1", [fixtures.tag + "-%"]) {
            customers[try row.decode(String.self, at: 1), default: []].append(try row.decode(Int64.self, at: 0))
        }
        var orders: [String: [(id: Int64, products: [Int64])]] = [:]
        for row in try connection.execute("""
            SELECT o.id, o.subtotal, COALESCE((SELECT string_agg(l.products_id::text, ',' ORDER BY l.products_id)
                                               FROM myproject_orders_product l WHERE l.orders_id = o.id), '')
            FROM myproject_orders o WHERE o.customer_id = $1
            """, [fixtures.customerID]) {
            let products = try row.decode(String.self, at: 2).split(separator: ",").compactMap { Int64($0) }
            orders[try row.decode(Money.self, at: 1).description, default: []].append((try row.decode(Int64.self, at: 0), products))
        }
        let orphans = try connection.execute("""
            SELECT count(*) FROM myproject_orders o
            WHERE NOT EXISTS (SELECT 1 FROM myproject_orders_product l WHERE l.orders_id = o.id)
            """)[0].decode(Int64.self, at: 0)
        #expect(orphans == 0, "orders without their product links")

        var acknowledged = 0, rejected = 0, failedInTransit = 0
        for attempt in attempts {
            #expect(attempt.seconds < hangBound, "request hung: \(attempt)")
            if let status = attempt.status {
                #expect(status == 200 || status == 503, "unexpected answer: \(attempt)")
            } else {
                #expect(!serverAlwaysUp, "no answer although the server stayed up: \(attempt)")
                failedInTransit += 1
            }
            switch attempt.write {
            case .customer(let name):
                let ids = customers[name] ?? []
                if attempt.status == 200 {
                    acknowledged += 1
                    #expect(ids == [attempt.returnedID].compactMap { $0 }, "acknowledged customer \(name): rows \(ids), answer \(attempt)")
                } else {
                    if attempt.status != nil { rejected += 1 }
                    #expect(ids.count <= 1, "customer \(name) written \(ids.count) times")
                }
            case .order(let subtotal, let products):
                let rows = orders[subtotal] ?? []
                if attempt.status == 200 {
                    acknowledged += 1
                    #expect(rows.count == 1 && rows.first?.id == attempt.returnedID, "acknowledged order \(subtotal): rows \(rows.map(\.id)), answer \(attempt)")
                } else {
                    if attempt.status != nil { rejected += 1 }
                    #expect(rows.count <= 1, "order \(subtotal) written \(rows.count) times")
                }
                for row in rows {
                    #expect(row.products == products, "order \(row.id) (\(subtotal)) has links \(row.products), expected \(products)")
                }
            }
        }
        // Nothing in the database that no client wrote.
        let written = Set(attempts.map(\.write.key))
        let strayCustomers = customers.keys.filter { !written.contains($0) }
        let strayOrders = orders.keys.filter { !written.contains($0) }
        #expect(strayCustomers.isEmpty && strayOrders.isEmpty, "rows no client wrote: \(strayCustomers) \(strayOrders)")
        // The load went on across the fault: writes were acknowledged before and after it.
        #expect(attempts.contains { $0.status == 200 && $0.phase == .before }, "no write acknowledged before the fault")
        #expect(attempts.contains { $0.status == 200 && $0.phase == .after }, "no write acknowledged after the fault")
        print("FaultTests: \(attempts.count) writes, \(acknowledged) acknowledged, \(rejected) answered 503, \(failedInTransit) without an answer; slowest \(String(format: "%.2f", attempts.map(\.seconds).max() ?? 0))s")
    }
}

struct FaultSetupFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - The load

enum Phase: Sendable, Equatable { case before, during, after }

/// One write and what the client saw.
struct Attempt: Sendable, CustomStringConvertible {
    enum Write: Sendable {
        case customer(name: String)
        case order(subtotal: String, products: [Int64])
        var key: String {
            switch self {
            case .customer(let name): return name
            case .order(let subtotal, _): return subtotal
            }
        }
    }
    var write: Write
    var phase: Phase
    var status: Int?
    var returnedID: Int64?
    var seconds: Double
    var failure: String?

    var description: String {
        "\(write.key) phase=\(phase) status=\(status.map(String.init) ?? "none") id=\(returnedID.map(String.init) ?? "-") \(String(format: "%.2f", seconds))s \(failure ?? "")"
    }
}

/// What the orders refer to: one customer and three products, made before the load.
struct Fixtures: Sendable {
    var tag: String
    var customerID: Int64
    var productIDs: [Int64]

    static func make(port: Int) async throws -> Fixtures {
        let tag = "fault" + UUID().uuidString.prefix(8).lowercased()
        func id(_ reply: HTTP.Reply) throws -> Int64 {
            #expect(reply.status == 200, "\(reply.body)")
            return try #require(try JSONReader.parse(Array(reply.body.utf8))["id"].flatMap(Identifier.parse(json:)))
        }
        let customer = try id(try await HTTP.send(port: port, .post, "/customer/", body: #"{"name": "\#(tag) owner"}"#))
        var products: [Int64] = []
        for i in 1...3 {
            products.append(try id(try await HTTP.send(port: port, .post, "/product/", body: #"{"name": "\#(tag)-p\#(i)", "price": "\#(i).50"}"#)))
        }
        return Fixtures(tag: tag, customerID: customer, productIDs: products)
    }
}

/// 8 clients writing unique customers and orders until the fault is over and each has had a
/// few writes acknowledged after it, or `FaultTests.requestsPerClient` requests outside the
/// fault, whichever comes first.
struct Load: Sendable {
    let port: Int
    let fixtures: Fixtures

    /// Runs the load; `fault` runs once the load is going (after 80 requests).
    func run(fault: @escaping @Sendable () async throws -> Void) async throws -> [Attempt] {
        let phase = NIOLockedValueBox(Phase.before)
        let done = NIOLockedValueBox(0)
        let attempts = try await withThrowingTaskGroup(of: [Attempt].self) { group in
            for client in 0..<FaultTests.clients {
                group.addTask {
                    var mine: [Attempt] = []
                    var acknowledgedAfter = 0, outsideTheFault = 0
                    // Requests during the fault do not count: however long a restart takes on a
                    // loaded machine, each client still writes after it (the deadline is a hang guard).
                    let deadline = ContinuousClock.now + FaultTests.loadDeadline
                    var i = 0
                    while outsideTheFault < FaultTests.requestsPerClient && ContinuousClock.now < deadline {
                        let current = phase.withLockedValue { $0 }
                        if current == .after && acknowledgedAfter >= 8 { break }
                        let attempt = await write(client: client, number: i, phase: current)
                        i += 1
                        mine.append(attempt)
                        done.withLockedValue { $0 += 1 }
                        if current != .during { outsideTheFault += 1 }
                        if attempt.status == 200 && current == .after { acknowledgedAfter += 1 }
                        try await Task.sleep(for: .milliseconds(attempt.status == 200 ? 10 : 100))
                    }
                    return mine
                }
            }
            group.addTask {
                while done.withLockedValue({ $0 }) < 80 { try await Task.sleep(for: .milliseconds(20)) }
                phase.withLockedValue { $0 = .during }
                try await fault()
                phase.withLockedValue { $0 = .after }
                return []
            }
            return try await group.reduce(into: [Attempt]()) { $0 += $1 }
        }
        return attempts
    }

    private func write(client: Int, number i: Int, phase: Phase) async -> Attempt {
        let write: Attempt.Write
        let body: String
        let path: String
        if i % 2 == 0 {
            let name = "\(fixtures.tag)-c\(client)-\(i)"
            write = .customer(name: name)
            path = "/customer/"
            body = #"{"name": "\#(name)"}"#
        } else {
            // Unique per request; 1 to 3 products, so the join rows matter.
            let subtotal = "\(client * 10_000 + i).\(String(format: "%02d", 10 + client))"
            let products = Array(fixtures.productIDs.prefix(1 + i % 3))
            write = .order(subtotal: subtotal, products: products)
            path = "/order/"
            body = #"{"subtotal": "\#(subtotal)", "customer": {"id": \#(fixtures.customerID)}, "products": [\#(products.map { #"{"id": \#($0)}"# }.joined(separator: ", "))]}"#
        }
        let started = ContinuousClock.now
        var attempt = Attempt(write: write, phase: phase, status: nil, returnedID: nil, seconds: 0, failure: nil)
        do {
            let reply = try await HTTP.send(port: port, .post, path, body: body, timeout: FaultTests.clientTimeout)
            attempt.status = reply.status
            if reply.status == 200 {
                attempt.returnedID = (try? JSONReader.parse(Array(reply.body.utf8)))?["id"].flatMap(Identifier.parse(json:))
            } else {
                attempt.failure = reply.body
            }
        } catch {
            attempt.failure = "\(error)"
        }
        attempt.seconds = (ContinuousClock.now - started).seconds
        return attempt
    }
}

/// One request on a new connection, with a client-side timeout.
enum HTTP {
    struct Reply: Sendable { var status: Int; var body: String }

    static func send(port: Int, _ method: HTTPRequest.Method, _ path: String, body: String? = nil,
                     timeout: Duration = .seconds(20)) async throws -> Reply {
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: timeout))
        client.connect()
        var headers: HTTPFields = [:]
        if body != nil { headers[.contentType] = "application/json" }
        let result: Result<Reply, Error>
        do {
            let response = try await client.execute(TestClient.Request(
                path, method: method, authority: "localhost:\(port)", headers: headers, body: body.map { ByteBuffer(string: $0) }))
            result = .success(Reply(status: Int(response.status.code), body: String(buffer: response.body ?? ByteBuffer())))
        } catch {
            result = .failure(error)
        }
        try? await client.shutdown()
        return try result.get()
    }
}
