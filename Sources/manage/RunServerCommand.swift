import ArgumentParser
import BankApp
import Database
import ManageCommands
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOPosix

/// `manage runserver [addr:]port` (alias `serve`): the bank REST API, as Django's runserver.
struct RunServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runserver",
        abstract: "Starts the bank REST API (default 127.0.0.1:8000).",
        discussion: """
            Settings come from flags or the environment (a flag wins): DATABASE_URL; ALLOWED_HOSTS \
            (comma-separated, default localhost, 127.0.0.1, 0.0.0.0, [::1]; * allows any); \
            DATABASE_POOL_MAX (--pool-size, default 8); DATABASE_POOL_TIMEOUT (--pool-timeout, seconds, \
            default 5); DATABASE_RETRY_ATTEMPTS (--retry-attempts, default 10); DATABASE_RETRY_BUDGET \
            (--retry-budget, default 1: retries per transaction begun, server-wide, or off); LOG_LEVEL (--log-level, \
            default info); HTTP_IDLE_TIMEOUT (--http-idle-timeout, seconds, default 30: idle keep-alive \
            connections and clients that trickle their headers are closed); HTTP_BODY_TIMEOUT \
            (--http-body-timeout, seconds, default 60: a request body not complete this long after its \
            head is answered 408 and the connection closed); METRICS (--metrics: on, the default, serves \
            /metrics on the API's address; off; or [addr:]port, an address of its own); LOG_FORMAT \
            (--log-format: text, the default, or json, one object a line); SHUTDOWN_DRAIN (--shutdown-drain, \
            seconds, default 0: after SIGTERM, /readyz answers 503 while the server goes on serving this \
            long, so load balancers stop sending it traffic). GET /healthz answers while the \
            process is up; GET /readyz while the database answers and every migration is applied. Stops gracefully on SIGINT (CONTROL-C) or SIGTERM. At start-up it opens one \
            database connection and, if that fails (wrong certificate, key, password or address), prints \
            one CommandError line and exits 1 without serving. DATABASE_URL may list several hosts \
            (postgresql://django@host1:26257,host2:26257/bank?...): connections go to the first that answers.
            """,
        aliases: ["serve"]
    )

    @Argument(help: "Port, or address:port, to listen on (e.g. 8000, 0.0.0.0:8000, [::1]:8000).")
    var addrport: String?

    @Option(name: .customLong("pool-size"), help: "Database connections at most (DATABASE_POOL_MAX).")
    var poolSize: String?

    @Option(name: .customLong("pool-timeout"), help: "Seconds to wait for a free connection (DATABASE_POOL_TIMEOUT).")
    var poolTimeout: String?

    @Option(name: .customLong("retry-attempts"), help: "Attempts per transaction on conflicts (DATABASE_RETRY_ATTEMPTS).")
    var retryAttempts: String?
    @Option(name: .customLong("retry-budget"), help: "Retries per transaction begun, server-wide, or off (DATABASE_RETRY_BUDGET).")
    var retryBudget: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (LOG_LEVEL).")
    var logLevel: String?

    @Option(name: .customLong("http-idle-timeout"), help: "Seconds before an idle or stalled client connection is closed (HTTP_IDLE_TIMEOUT).")
    var httpIdleTimeout: String?

    @Option(name: .customLong("http-body-timeout"), help: "Seconds a request body may take to arrive before a 408 (HTTP_BODY_TIMEOUT).")
    var httpBodyTimeout: String?

    @Option(name: .customLong("metrics"), help: "on, off, or [addr:]port: where /metrics is served (METRICS).")
    var metrics: String?

    @Option(name: .customLong("log-format"), help: "text or json (LOG_FORMAT).")
    var logFormat: String?

    @Option(name: .customLong("shutdown-drain"), help: "Seconds to keep serving with /readyz at 503 after SIGTERM (SHUTDOWN_DRAIN).")
    var shutdownDrain: String?

    @OptionGroup var directory: MigrationsDirectoryOption

    @Flag(name: .customLong("noreload"), help: "Accepted for Django compatibility (there is no autoreloader).")
    var noReload = false

    func run() async throws {
        let settings: ServerSettings
        do {
            settings = try ServerSettings.resolve(flags: .init(
                address: addrport, poolSize: poolSize, poolTimeout: poolTimeout,
                retryAttempts: retryAttempts, logLevel: logLevel, httpIdleTimeout: httpIdleTimeout,
                httpBodyTimeout: httpBodyTimeout, metrics: metrics, logFormat: logFormat,
                shutdownDrain: shutdownDrain, retryBudget: retryBudget))
        } catch {
            Output.standardError("CommandError: \(error.description)\n")
            throw ExitCode(1)
        }
        // One connection before serving: a wrong certificate, key, password or address is one
        // clear line and a non-zero exit, not a server answering 503 to everything.
        do {
            // libpq blocks: on a thread of its own, not on Swift's cooperative threads.
            try await onOwnThread { try settings.checkDatabaseConnection() }
        } catch {
            Output.standardError("CommandError: \((error as? SettingsError)?.description ?? String(describing: error))\n")
            throw ExitCode(1)
        }
        LoggingSystem.bootstrap { label in
            BankLogHandler(label: label, format: settings.logFormat, level: settings.logLevel)
        }
        try await BankServer.run(settings: settings, migrationsDirectory: directory.url) { line in
            Output.standardOutput(line + "\n")
        }
    }
}
