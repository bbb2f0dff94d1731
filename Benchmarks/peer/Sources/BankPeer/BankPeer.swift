import ArgumentParser
import Hummingbird
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `bank-peer --port P`: serves the bench scenarios' endpoints against DATABASE_URL until SIGTERM
/// or SIGINT. Two postgres-nio clients share the event loops: the main pool (--pool-size, 8 by
/// default as the project's, for 2 cores) and the orders' (--order-pool-size, 4).
@main
struct BankPeer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank-peer",
        abstract: "The bank API's bench endpoints on Hummingbird 2 + postgres-nio (DATABASE_URL from the environment).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(name: .customLong("pool-size"), help: "Database connections at most, for everything but orders.") var poolSize = 8
    @Option(name: .customLong("order-pool-size"), help: "Database connections at most for orders: order transactions at once.")
    var orderPoolSize = 4
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "warning"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown log level \(logLevel)") }
        var logger = Logger(label: "bank-peer")
        logger.logLevel = level
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("DATABASE_URL is not set")
        }
        var main = try Self.database(url: url)
        main.options.maximumConnections = poolSize
        var orders = main
        orders.options.maximumConnections = orderPoolSize
        let database = PostgresClient(configuration: main, backgroundLogger: logger)
        let orderDatabase = PostgresClient(configuration: orders, backgroundLogger: logger)

        let router = Router()
        BankRoutes(database: database, orderDatabase: orderDatabase, logger: logger).add(to: router)
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "bank-peer"),
                              services: [database, orderDatabase], logger: logger)
        try await app.runService()
    }

    /// postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|require|...]
    static func database(url text: String) throws -> PostgresClient.Configuration {
        guard let url = URL(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""), let host = url.host,
              let user = url.user, !user.isEmpty
        else { throw ValidationError("DATABASE_URL is not postgresql://USER@HOST[:PORT]/DATABASE: \(text)") }
        let sslmode = URLComponents(string: text)?.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS = switch sslmode {
        case "disable": .disable
        case "require", "verify-ca", "verify-full": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
        let name = url.path.drop(while: { $0 == "/" })
        return .init(host: host, port: url.port ?? 5432, username: user, password: url.password,
                     database: name.isEmpty ? nil : String(name), tls: tls)
    }
}
