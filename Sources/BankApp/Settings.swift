import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// A setting that cannot be used: one clear line at start-up, and a non-zero exit.
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Everything `manage runserver` needs, from its flags and the environment (a flag wins over
/// its environment variable).
///
/// | setting         | flag               | environment               | default |
/// |-----------------|--------------------|---------------------------|---------|
/// | address         | `[addr:]port`      |                           | 127.0.0.1:8000 |
/// | database        |                    | DATABASE_URL              | postgresql://django@localhost:26257/bank?sslmode=disable |
/// | allowed hosts   |                    | ALLOWED_HOSTS             | localhost, 127.0.0.1, 0.0.0.0, [::1] |
/// | pool size       | `--pool-size`      | DATABASE_POOL_MAX         | 8 |
/// | pool timeout    | `--pool-timeout`   | DATABASE_POOL_TIMEOUT     | 5 (seconds) |
/// | retry attempts  | `--retry-attempts` | DATABASE_RETRY_ATTEMPTS   | 10 |
/// | retry budget    | `--retry-budget`   | DATABASE_RETRY_BUDGET     | 1 (retries per transaction begun, server-wide; `off`) |
/// | log level       | `--log-level`      | LOG_LEVEL                 | info |
/// | HTTP idle timeout | `--http-idle-timeout` | HTTP_IDLE_TIMEOUT      | 30 (seconds) |
/// | HTTP body timeout | `--http-body-timeout` | HTTP_BODY_TIMEOUT      | 60 (seconds) |
/// | metrics endpoint  | `--metrics`        | METRICS                   | on (`/metrics` on the API's address; `off`; or `host:port`) |
/// | log format        | `--log-format`     | LOG_FORMAT                | text (or json) |
/// | shutdown drain    | `--shutdown-drain` | SHUTDOWN_DRAIN            | 0 (seconds /readyz says 503 before the server stops accepting) |
public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8000
    public var databaseURL = ConnectionString.tutorialDefault
    public var allowedHosts = AllowedHosts.default
    public var poolSize = 8
    public var poolTimeout: Duration = .seconds(5)
    public var retryAttempts = 10
    /// Retries the server's transactions may make together, per transaction begun (nil: no budget).
    public var retryBudget: Double? = RetryBudget.default.ratio
    public var logLevel: Logger.Level = .info
    public var httpTimeouts = HTTPTimeouts.default
    public var metrics = MetricsEndpoint.sameAddress
    public var logFormat = LogFormat.text
    /// How long, after SIGTERM, the server keeps serving with /readyz at 503 (so that load
    /// balancers stop sending it traffic) before it stops accepting and finishes what is in flight.
    public var shutdownDrain: Duration = .zero
    /// Rows per batch of a streamed list.
    public var listBatchSize = BankService.batchSize

    public init() {}

    /// The flags as typed (nil when not given); validated by `resolve`.
    public struct Flags: Sendable {
        public var address: String?
        public var poolSize: String?
        public var poolTimeout: String?
        public var retryAttempts: String?
        public var retryBudget: String?
        public var logLevel: String?
        public var httpIdleTimeout: String?
        public var httpBodyTimeout: String?
        public var metrics: String?
        public var logFormat: String?
        public var shutdownDrain: String?

        public init(address: String? = nil, poolSize: String? = nil, poolTimeout: String? = nil,
                    retryAttempts: String? = nil, logLevel: String? = nil, httpIdleTimeout: String? = nil,
                    httpBodyTimeout: String? = nil, metrics: String? = nil, logFormat: String? = nil,
                    shutdownDrain: String? = nil, retryBudget: String? = nil) {
            self.address = address
            self.poolSize = poolSize
            self.poolTimeout = poolTimeout
            self.retryAttempts = retryAttempts
            self.retryBudget = retryBudget
            self.logLevel = logLevel
            self.httpIdleTimeout = httpIdleTimeout
            self.httpBodyTimeout = httpBodyTimeout
            self.metrics = metrics
            self.logFormat = logFormat
            self.shutdownDrain = shutdownDrain
        }
    }

    public static func resolve(flags: Flags, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(SettingsError) -> ServerSettings {
        var settings = ServerSettings()
        func value(_ flag: String?, _ variable: String) -> (text: String, source: String)? {
            if let flag { return (flag, "--" + variable.lowercased()) }
            if let text = environment[variable], !text.trimmingSpaces().isEmpty { return (text, variable) }
            return nil
        }
        if let address = flags.address {
            (settings.host, settings.port) = try parseAddress(address)
        }
        settings.databaseURL = ConnectionString.fromEnvironment(environment)
        if let list = environment["ALLOWED_HOSTS"], !list.trimmingSpaces().isEmpty {
            guard let hosts = AllowedHosts(list: list) else {
                throw SettingsError("ALLOWED_HOSTS must be a comma-separated list of host names, got '\(list)'")
            }
            settings.allowedHosts = hosts
        }
        if let (text, source) = flags.poolSize.map({ ($0, "--pool-size") }) ?? value(nil, "DATABASE_POOL_MAX") {
            settings.poolSize = try integer(text, source, in: 1...1000)
        }
        if let (text, source) = flags.poolTimeout.map({ ($0, "--pool-timeout") }) ?? value(nil, "DATABASE_POOL_TIMEOUT") {
            guard let seconds = Double(text.trimmingSpaces()), seconds > 0, seconds <= 3600 else {
                throw SettingsError("\(source) must be a number of seconds from 0 to 3600, got '\(text)'")
            }
            settings.poolTimeout = .milliseconds(Int64(seconds * 1000))
        }
        if let (text, source) = flags.retryAttempts.map({ ($0, "--retry-attempts") }) ?? value(nil, "DATABASE_RETRY_ATTEMPTS") {
            settings.retryAttempts = try integer(text, source, in: 1...1000)
        }
        if let (text, source) = flags.retryBudget.map({ ($0, "--retry-budget") }) ?? value(nil, "DATABASE_RETRY_BUDGET") {
            settings.retryBudget = try retryBudget(text, source)
        }
        if let (text, source) = flags.logLevel.map({ ($0, "--log-level") }) ?? value(nil, "LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.trimmingSpaces().lowercased()) else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw SettingsError("\(source) must be one of \(names), got '\(text)'")
            }
            settings.logLevel = level
        }
        if let (text, source) = flags.httpIdleTimeout.map({ ($0, "--http-idle-timeout") }) ?? value(nil, "HTTP_IDLE_TIMEOUT") {
            settings.httpTimeouts.idle = try timeout(text, source)
        }
        if let (text, source) = flags.httpBodyTimeout.map({ ($0, "--http-body-timeout") }) ?? value(nil, "HTTP_BODY_TIMEOUT") {
            settings.httpTimeouts.body = try timeout(text, source)
        }
        if let (text, source) = flags.metrics.map({ ($0, "--metrics") }) ?? value(nil, "METRICS") {
            settings.metrics = try metricsEndpoint(text, source)
        }
        if let (text, source) = flags.logFormat.map({ ($0, "--log-format") }) ?? value(nil, "LOG_FORMAT") {
            settings.logFormat = try logFormat(text, source)
        }
        if let (text, source) = flags.shutdownDrain.map({ ($0, "--shutdown-drain") }) ?? value(nil, "SHUTDOWN_DRAIN") {
            guard let seconds = Double(text.trimmingSpaces()), seconds >= 0, seconds <= 600 else {
                throw SettingsError("\(source) must be a number of seconds from 0 to 600, got '\(text)'")
            }
            settings.shutdownDrain = .milliseconds(Int64(seconds * 1000))
        }
        return settings
    }

    /// `LOG_FORMAT` / `--log-format`: `text` or `json` (every `manage` command reads it).
    public static func logFormat(_ text: String, _ source: String = "LOG_FORMAT") throws(SettingsError) -> LogFormat {
        guard let format = LogFormat(rawValue: text.trimmingSpaces().lowercased()) else {
            throw SettingsError("\(source) must be text or json, got '\(text)'")
        }
        return format
    }

    /// `on`, `off`, or an address of its own: `[addr:]port`, as the server's.
    static func metricsEndpoint(_ text: String, _ source: String) throws(SettingsError) -> MetricsEndpoint {
        switch text.trimmingSpaces().lowercased() {
        case "on", "true", "1": return .sameAddress
        case "off", "false", "0": return .off
        default:
            do {
                let (host, port) = try parseAddress(text.trimmingSpaces())
                return .ownAddress(host: host, port: port)
            } catch {
                throw SettingsError("\(source) must be on, off, or an address ([addr:]port) of its own, got '\(text)'")
            }
        }
    }

    private static func timeout(_ text: String, _ source: String) throws(SettingsError) -> Duration {
        guard let seconds = Double(text.trimmingSpaces()), seconds >= 0.1, seconds <= 3600 else {
            throw SettingsError("\(source) must be a number of seconds from 0.1 to 3600, got '\(text)'")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Retries per transaction begun (a number from 0.01 to 100), or `off`: no budget.
    private static func retryBudget(_ text: String, _ source: String) throws(SettingsError) -> Double? {
        let trimmed = text.trimmingSpaces()
        if trimmed.lowercased() == "off" { return nil }
        guard let ratio = Double(trimmed), ratio >= 0.01, ratio <= 100 else {
            throw SettingsError("\(source) must be a number of retries per transaction from 0.01 to 100, or off, got '\(text)'")
        }
        return ratio
    }

    private static func integer(_ text: String, _ source: String, in range: ClosedRange<Int>) throws(SettingsError) -> Int {
        guard let value = Int(text.trimmingSpaces()), range.contains(value) else {
            throw SettingsError("\(source) must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }

    /// Django's `runserver [addr:]port`: `8000`, `0.0.0.0:8000`, `[::1]:8000`, `localhost:8000`.
    static func parseAddress(_ text: String) throws(SettingsError) -> (host: String, port: Int) {
        let invalid = SettingsError("\"\(text)\" is not a valid port number or address:port pair.")
        var host = "127.0.0.1"
        var portText = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { throw invalid }
            host = String(text[text.index(after: text.startIndex)..<close])
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" }) else { throw invalid }
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            guard !host.isEmpty,
                  host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." })
            else { throw invalid }
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText) else { throw invalid }
        guard port <= 65535 else { throw SettingsError("port \(port) is out of range (0-65535).") }
        return (host, port)
    }

    var poolConfiguration: PoolConfiguration {
        PoolConfiguration(connectionString: databaseURL, maximum: poolSize, acquireTimeout: poolTimeout,
                          retryBudget: retryBudget.map { RetryBudget(ratio: $0) })
    }

    var retryPolicy: RetryPolicy { RetryPolicy(maxAttempts: retryAttempts) }
}

extension ServerSettings {
    /// The start-up check of `manage runserver`: opens one connection to `databaseURL` and runs
    /// `SELECT 1`, so a wrong certificate, key, password or address stops the server before it
    /// serves, with one line saying what failed (`cannot connect to the database at
    /// postgresql://django:****@localhost:26257/bank?...: password authentication failed ...`).
    /// The password never appears in it. Blocks the calling thread (up to libpq's connect timeout
    /// per host).
    public func checkDatabaseConnection() throws(SettingsError) {
        try ServerSettings.checkConnection(to: databaseURL)
    }

    public static func checkConnection(to databaseURL: String) throws(SettingsError) {
        do {
            try Connection.checkReachable(databaseURL)
        } catch {
            throw SettingsError(error.description)
        }
    }

    /// `cannot connect to the database at <redacted URL>: <libpq's reason on one line>`.
    public static func connectionFailure(_ error: any Error, databaseURL: String) -> String {
        Unreachable(error, connectionString: databaseURL).description
    }
}
