import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hummingbird
import Logging
import MigrationEngine
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The whole request path: request id, log line and metrics; then the operations endpoints
/// (`/healthz`, `/readyz`, `/metrics`, before the Host check: probes ask by IP address); then the
/// Host check; then the API.
public struct BankResponder: HTTPResponder {
    public typealias Context = BankRequestContext
    let log: RequestLogMiddleware
    let operations: OperationsResponder
    let hostCheck: HostCheckMiddleware<BankRequestContext>
    let api: BankAPI

    public func respond(to request: Request, context: Context) async throws -> Response {
        try await log.handle(request, context: context) { request, context in
            try await operations.respond(to: request, routing: context.routing) {
                try await hostCheck.handle(request, context: context) { request, context in
                    try await api.respond(to: request, context: context)
                }
            }
        }
    }
}

/// How long the HTTP server waits on a client.
///
/// `idle`: a connection on which no complete HTTP part (request head, body chunk or end)
/// arrives for this long while no request of its own is being answered is closed. That covers
/// an idle keep-alive connection and a client trickling its headers byte by byte (a head
/// counts only once it is complete). Every connection is its own NIO channel, so a slow client
/// holds no thread and no database connection while it waits, and others are served meanwhile.
///
/// `body`: a request whose body is not complete this long after its head is answered 408 and
/// its connection closed (`RequestBodyDeadlineHandler`): a body trickled one chunk at a time,
/// each within `idle`, would otherwise hold its connection for as long as the client likes.
///
/// Set with `--http-idle-timeout` / `HTTP_IDLE_TIMEOUT` and `--http-body-timeout` /
/// `HTTP_BODY_TIMEOUT` (seconds, defaults 30 and 60; see `ServerSettings`).
public struct HTTPTimeouts: Sendable, Equatable {
    public var idle: Duration
    public var body: Duration

    public init(idle: Duration = .seconds(30), body: Duration = .seconds(60)) {
        self.idle = idle
        self.body = body
    }

    public static let `default` = HTTPTimeouts()

    var idleTimeAmount: TimeAmount { Self.timeAmount(idle) }
    var bodyTimeAmount: TimeAmount { Self.timeAmount(body) }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// `60`, `1.5`: whole seconds without a fraction.
    static func secondsText(_ amount: TimeAmount) -> String {
        let nanoseconds = amount.nanoseconds
        if nanoseconds % 1_000_000_000 == 0 { return String(nanoseconds / 1_000_000_000) }
        return String(Double(nanoseconds) / 1e9)
    }
}

/// `manage runserver`: the bank API on Hummingbird, over a connection pool.
public enum BankServer {
    /// The application for `settings`, serving from `pool`. Requests are logged to `logger`.
    /// `onServerRunning` gets the bound address (port 0 picks a free one).
    /// `readiness` answers `/readyz` (without one, `/readyz` says ready whenever it answers);
    /// `metrics` is what `/metrics` shows, served here when `settings.metrics` is `.sameAddress`.
    /// `eventLoopGroup`: NIO's shared one unless given (tests give each server its own, as a
    /// process of its own would have).
    public static func makeApplication(
        settings: ServerSettings, pool: ConnectionPool, logger: Logger, timeouts: HTTPTimeouts = .default,
        readiness: Readiness? = nil, metrics: ServerMetrics = ServerMetrics(),
        eventLoopGroup: EventLoopGroupProvider = .singleton,
        onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }
    ) -> Application<BankResponder> {
        var logger = logger
        logger.logLevel = settings.logLevel
        let service = BankService(pool: pool, retry: settings.retryPolicy)
        let responder = BankResponder(
            log: RequestLogMiddleware(logger: logger, metrics: metrics),
            operations: OperationsResponder(readiness: readiness, metrics: metrics, pool: pool,
                                            servesMetrics: settings.metrics == .sameAddress),
            hostCheck: HostCheckMiddleware(allowedHosts: settings.allowedHosts),
            api: BankAPI(service: service, listBatchSize: settings.listBatchSize))
        let requestLogger = logger  // a constant: the per-connection handler closure is @Sendable
        var serverLogger = Logger(label: "bank.server")
        serverLogger.logLevel = max(settings.logLevel, .notice)
        return Application(
            responder: responder,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [RequestBodyDeadlineHandler(limit: timeouts.bodyTimeAmount, logger: requestLogger)],
                idleTimeout: timeouts.idleTimeAmount)),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: nil),
            onServerRunning: { channel in await onServerRunning(channel.localAddress) },
            eventLoopGroupProvider: eventLoopGroup,
            logger: serverLogger)
    }

    /// Runs the server until SIGINT or SIGTERM: prints Django's start-up lines (and a warning
    /// when migrations are unapplied), serves, then finishes in-flight requests, stops and
    /// closes the pool.
    public static func run(settings: ServerSettings, migrationsDirectory: URL,
                           output: @escaping @Sendable (String) -> Void) async throws {
        var logger = Logger(label: "bank.request")
        logger.logLevel = settings.logLevel
        output("Performing system checks...\n")
        // libpq blocks, and so does reading the files: on a thread of its own, not on Swift's cooperative threads.
        let (warning, migrations) = try await onOwnThread {
            (migrationWarning(settings: settings, directory: migrationsDirectory),
             (try? MigrationLoader.load(directory: migrationsDirectory)) ?? [])
        }
        if let warning { output(warning) }
        let pool = ConnectionPool(configuration: settings.poolConfiguration, logger: {
            var poolLogger = Logger(label: "database.pool")
            poolLogger.logLevel = settings.logLevel
            return poolLogger
        }())
        let readiness = Readiness(pool: pool, migrations: migrations)
        let metrics = ServerMetrics()
        let app = makeApplication(settings: settings, pool: pool, logger: logger, timeouts: settings.httpTimeouts,
                                  readiness: readiness, metrics: metrics) { address in
            output(startupBanner(settings: settings, boundPort: address?.port))
        }
        var services: [any Service] = [app]
        if case .ownAddress(let host, let port) = settings.metrics {
            services.append(MetricsServer.application(host: host, port: port, metrics: metrics, pool: pool))
        }
        // Last in the group, so the first to hear of a graceful shutdown: /readyz turns 503 at
        // once; the server goes on serving for the drain time, then stops accepting and finishes
        // what is in flight.
        services.append(ShutdownNotice(drain: settings.shutdownDrain) { readiness.beginShutdown() })
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "bank.server")))
        do {
            try await group.run()
        } catch {
            await pool.shutdown()
            throw error
        }
        await pool.shutdown()
    }

    static func startupBanner(settings: ServerSettings, boundPort: Int?) -> String {
        let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        return """
            \(localTimeBannerDate())
            Database \(ConnectionString.redacted(settings.databaseURL))
            Starting server at http://\(host):\(boundPort ?? settings.port)/
            Quit the server with CONTROL-C.
            """
    }

    /// Now in local time as Django's banner writes it (`%B %d, %Y - %X`): `November 26, 2025 - 01:02:03`.
    /// strftime in the C locale (the process never calls setlocale), so English month names.
    static func localTimeBannerDate() -> String {
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return "" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%B %d, %Y - %H:%M:%S", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Django's "You have N unapplied migration(s)" warning, or a note that the check failed.
    static func migrationWarning(settings: ServerSettings, directory: URL) -> String? {
        unappliedMigrationsNote(settings.databaseURL, directory)
    }
}
