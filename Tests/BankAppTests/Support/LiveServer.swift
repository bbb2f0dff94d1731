@testable import BankApp
import Database
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MigrationEngine
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import TestSupport

/// Log lines kept in memory, to assert on what the server logged.
final class LogCapture: Sendable {
    private let storage = NIOLockedValueBox<[String]>([])
    var lines: [String] { storage.withLockedValue { $0 } }
    func append(_ line: String) { storage.withLockedValue { $0.append(line) } }

    var logger: Logger {
        Logger(label: "bank.test") { _ in CapturingLogHandler(capture: self) }
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let id = event.metadata?["request_id"] ?? metadata["request_id"]
        capture.append("\(event.level) \(event.message)" + (id.map { " [request_id=\($0)]" } ?? ""))
    }
}

/// The package's migrations (what `manage migrate` applies).
let migrationsDirectory = URL(fileURLWithPath: TestDatabase.packageRoot + "/Migrations")

/// A fresh database, migrated, for one test.
func withBankDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
    try await TestDatabase.withFreshDatabase { url in
        try Migrator.migrate(connectionString: url, directory: migrationsDirectory)
        return try await body(url)
    }
}

/// The real server on 127.0.0.1 and a port the OS picked, over a real pool, for one test.
struct LiveServer: Sendable {
    let port: Int
    let pool: ConnectionPool
    let logs: LogCapture
    let databaseURL: String

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPFields
        var body: String
        var bodyBytes: ByteBuffer
    }

    /// One request on a new connection. `host` is the Host header (nil: none sent).
    func request(_ method: HTTPRequest.Method, _ path: String, body: String? = nil,
                 contentType: String? = "application/json", host: String? = "localhost",
                 headers extra: HTTPFields = [:]) async throws -> Reply {
        try await request(method, path, bodyBuffer: body.map { ByteBuffer(string: $0) },
                          contentType: contentType, host: host, headers: extra)
    }

    func request(_ method: HTTPRequest.Method, _ path: String, bodyBuffer: ByteBuffer?,
                 contentType: String? = "application/json", host: String? = "localhost",
                 headers extra: HTTPFields = [:]) async throws -> Reply {
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30)))
        client.connect()
        var headers = extra
        if let contentType, bodyBuffer != nil { headers[.contentType] = contentType }
        let response = try await client.execute(
            TestClient.Request(path, method: method, authority: host.map { $0 == "localhost" ? "localhost:\(port)" : $0 },
                               headers: headers, body: bodyBuffer))
        try? await client.shutdown()
        let bytes = response.body ?? ByteBuffer()
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes), bodyBytes: bytes)
    }

    func get(_ path: String) async throws -> Reply { try await request(.get, path) }
    func post(_ path: String, _ body: String) async throws -> Reply { try await request(.post, path, body: body) }
    func put(_ path: String, _ body: String) async throws -> Reply { try await request(.put, path, body: body) }
    func delete(_ path: String) async throws -> Reply { try await request(.delete, path) }

    /// Runs SQL directly against the test database (outside the server).
    func sql(_ statement: String, _ parameters: [any SQLEncodable] = []) throws -> QueryResult {
        let connection = try Connection(connectionString: databaseURL)
        defer { connection.close() }
        return try connection.execute(statement, parameters)
    }

    func count(_ table: String) throws -> Int64 {
        try sql("SELECT count(*) FROM \(table)")[0].decode(Int64.self, at: 0)
    }
}

/// Starts the server for `databaseURL`, runs `body`, then shuts the server down gracefully and
/// closes the pool.
///
/// With `migrations`, `/readyz` checks them (its answer not cached, so a test sees each change at once).
func withLiveServer<T: Sendable>(
    databaseURL: String, configure: (inout ServerSettings) -> Void = { _ in }, timeouts: HTTPTimeouts = .default,
    migrations: [Migration]? = nil, metrics: ServerMetrics = ServerMetrics(),
    _ body: @Sendable (LiveServer) async throws -> T
) async throws -> T {
    var settings = ServerSettings()
    settings.host = "127.0.0.1"
    settings.port = 0
    settings.databaseURL = databaseURL
    settings.logLevel = .debug
    settings.poolTimeout = .seconds(3)
    configure(&settings)
    let logs = LogCapture()
    let pool = ConnectionPool(configuration: settings.poolConfiguration, logger: logs.logger)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let readiness = migrations.map { Readiness(pool: pool, migrations: $0, cacheFor: .zero) }
    // Event loops of its own, as the server's own process would have: NIO's shared ones serve
    // every other test's servers and clients in this process too.
    let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    defer { eventLoops.shutdownGracefully { _ in } }
    let app = BankServer.makeApplication(settings: settings, pool: pool, logger: logs.logger, timeouts: timeouts,
                                         readiness: readiness, metrics: metrics,
                                         eventLoopGroup: .shared(eventLoops)) { address in
        continuation.yield(address?.port ?? 0)
    }
    var quiet = Logger(label: "bank.test.lifecycle")
    quiet.logLevel = .critical
    let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
    do {
        let result = try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let server = LiveServer(port: port, pool: pool, logs: logs, databaseURL: databaseURL)
            do {
                let value = try await body(server)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
        await pool.shutdown()
        return result
    } catch {
        await pool.shutdown()
        throw error
    }
}
