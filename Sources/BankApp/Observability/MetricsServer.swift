import Database
import Hummingbird
import Logging
import ServiceLifecycle

/// Where `/metrics` is served (METRICS / `--metrics`): on the API's address (`on`, the default),
/// nowhere (`off`), or on an address of its own (`127.0.0.1:9100`), as metrics are often kept off
/// the public port.
public enum MetricsEndpoint: Equatable, Sendable {
    case sameAddress
    case off
    case ownAddress(host: String, port: Int)
}

/// `/metrics` alone on an address of its own (METRICS=host:port).
enum MetricsServer {
    struct Responder: HTTPResponder {
        typealias Context = BasicRequestContext
        let operations: OperationsResponder

        func respond(to request: Request, context: Context) async throws -> Response {
            try await operations.respond(to: request) {
                APIError(status: .notFound, message: "not found: this address serves /metrics only").response
            }
        }
    }

    static func application(host: String, port: Int, metrics: ServerMetrics, pool: ConnectionPool?) -> some Service {
        Application(
            responder: Responder(operations: OperationsResponder(readiness: nil, metrics: metrics, pool: pool, servesMetrics: true)),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            logger: Logger(label: "bank.metrics"))
    }
}

/// A service that does nothing until graceful shutdown starts, then runs `notice`, waits `drain`
/// and ends. The service group shuts its services down one at a time, last first: placed last,
/// this one holds back the server's shutdown for the drain time.
struct ShutdownNotice: Service {
    let drain: Duration
    let notice: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        notice()
        if drain > .zero { try? await Task.sleep(for: drain) }
    }
}
