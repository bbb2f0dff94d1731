import CoreMetrics
import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import Prometheus

/// The server's metrics in Prometheus's text format (`GET /metrics`), through swift-metrics with
/// swift-prometheus as its backend.
///
/// Each server has a registry of its own, handed to the metric types as their factory, rather than
/// `MetricsSystem.bootstrap` (once per process): tests run many servers in one process, and a
/// scrape must show one server's numbers. What the server counts anyway (the pool's sizes and
/// counters, the process's memory and descriptors) is read when scraped, not on every request.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let requestCounters = NIOLockedValueBox<[RequestKey: CoreMetrics.Counter]>([:])
    private let durations = NIOLockedValueBox<[String: CoreMetrics.Timer]>([:])
    private let inFlight: Meter
    private let transactions = NIOLockedValueBox<[String: CoreMetrics.Counter]>([:])
    private let statementErrors = NIOLockedValueBox<[String: CoreMetrics.Counter]>([:])
    private let conflictRetries: CoreMetrics.Counter
    /// The pool's totals at the last scrape.
    private let poolTotals = NIOLockedValueBox<ConnectionPool.Statistics?>(nil)
    /// When this process started, seconds since the epoch (`process_start_time_seconds`).
    let processStart: Double

    /// Latency buckets resolving 1 ms to 1 s.
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
    ]

    struct RequestKey: Hashable {
        var route: String
        var method: String
        var statusClass: Int
    }

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
        inFlight = Meter(label: "http_requests_in_flight", factory: factory)
        conflictRetries = CoreMetrics.Counter(label: "database_serialization_retries_total", factory: factory)
        processStart = Self.processStartTime()
    }

    // MARK: - HTTP

    func requestStarted() { inFlight.increment() }

    /// One answered request: by route template (never the raw path), method and status class.
    func requestFinished(route: String, method: String, status: Int, duration: Duration) {
        inFlight.decrement()
        let key = RequestKey(route: route, method: method, statusClass: status / 100)
        let counter = requestCounters.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: "http_requests_total", dimensions: [
                ("route", route), ("method", method), ("status", "\(key.statusClass)xx"),
            ], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
        let timer = durations.withLockedValue { timers in
            if let timer = timers[route] { return timer }
            let timer = CoreMetrics.Timer(label: "http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            timers[route] = timer
            return timer
        }
        let (seconds, attoseconds) = duration.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: - Database

    /// A transaction's end: `committed` (at the first attempt), `retried` (committed after
    /// serialization failures), `retries_exhausted`, `outcome_unknown`, `failed`.
    func transactionFinished(outcome: String, count: Int = 1) {
        counter(transactions, outcome) {
            CoreMetrics.Counter(label: "database_transactions_total", dimensions: [("outcome", outcome)], factory: factory)
        }.increment(by: Int64(count))
    }

    /// Attempts run again after a serialization failure (40001).
    func retried(_ count: Int) {
        conflictRetries.increment(by: Int64(count))
    }

    /// A statement the server refused, by SQLSTATE class (`23` integrity, `40` transaction rollback, ...).
    func statementFailed(sqlState: String) {
        let sqlClass = String(sqlState.prefix(2))
        counter(statementErrors, sqlClass) {
            CoreMetrics.Counter(label: "database_statement_errors_total", dimensions: [("sqlstate_class", sqlClass)], factory: factory)
        }.increment()
    }

    private func counter(_ box: NIOLockedValueBox<[String: CoreMetrics.Counter]>, _ key: String,
                         make: () -> CoreMetrics.Counter) -> CoreMetrics.Counter {
        box.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = make()
            counters[key] = counter
            return counter
        }
    }

    // MARK: - Scrape

    /// The text of `GET /metrics`: the pool and the process read now, then every metric.
    func render(pool: ConnectionPool?) -> String {
        if let pool { recordPool(pool.statistics) }
        recordProcess()
        return registry.emitToString()
    }

    private func gauge(_ name: String, _ value: Double) {
        Gauge(label: name, factory: factory).record(value)
    }

    private func recordPool(_ statistics: ConnectionPool.Statistics) {
        gauge("database_pool_connections", Double(statistics.open))
        gauge("database_pool_idle_connections", Double(statistics.idle))
        gauge("database_pool_busy_connections", Double(statistics.open - statistics.idle))
        gauge("database_pool_waiters", Double(statistics.waiting))
        poolTotals.withLockedValue { last in
            advance("database_pool_connects_total", from: last?.connects ?? 0, to: statistics.connects)
            advance("database_pool_connect_failures_total", from: last?.failedConnects ?? 0, to: statistics.failedConnects)
            advance("database_pool_acquires_total", from: last?.acquires ?? 0, to: statistics.acquires)
            advance("database_retries_refused_total", from: last?.retriesRefused ?? 0, to: statistics.retriesRefused)
            let waited = statistics.acquireWait - (last?.acquireWait ?? .zero)
            if waited > .zero {
                CoreMetrics.FloatingPointCounter(label: "database_pool_acquire_wait_seconds_total", factory: factory)
                    .increment(by: waited.seconds)
            }
            last = statistics
        }
    }

    /// The pool counts since it started; a Prometheus counter goes up by what is new since the last scrape.
    private func advance(_ name: String, from old: Int, to new: Int) {
        CoreMetrics.Counter(label: name, factory: factory).increment(by: Int64(max(0, new - old)))
    }

    private func recordProcess() {
        gauge("process_start_time_seconds", processStart)
        if let resident = Self.residentBytes() { gauge("process_resident_memory_bytes", resident) }
        if let descriptors = Self.openDescriptors() { gauge("process_open_fds", Double(descriptors)) }
    }

    /// Resident memory from `/proc/self/statm` (its second field, in pages).
    static func residentBytes() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func openDescriptors() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map(\.count)
    }

    /// The process's start: now, less the time since it started (`/proc/self/stat` field 22, in clock ticks since boot).
    static func processStartTime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let wallNow = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let secondsSinceBoot = Double(uptime.split(separator: " ").first ?? "")
        else { return wallNow }
        // Fields after the command name (which may hold spaces), from field 3 on: 22 is the 20th.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return wallNow }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        return wallNow - (secondsSinceBoot - ticks / ticksPerSecond)
    }
}

