/// Sizes and timeouts of a `ConnectionPool`.
public struct PoolConfiguration: Sendable {
    public var connectionString: String
    /// Idle connections kept open even when unused past `maxIdleTime`.
    public var minimumIdle: Int
    /// Connections open at most; callers beyond it wait up to `acquireTimeout`.
    public var maximum: Int
    public var acquireTimeout: Duration
    /// Idle connections unused this long are closed (by a timer, not only when someone asks).
    public var maxIdleTime: Duration
    public var maxLifetime: Duration
    /// An idle connection unused this long gets a `SELECT 1` before reuse (a half-open TCP
    /// connection shows nothing to a poll); fresher ones only get the no-round-trip check.
    public var pingAfterIdle: Duration
    /// After a failed connect, no new connect starts for about this long; the wait doubles with
    /// each failure in a row, up to `maxConnectBackoff`. Meanwhile callers that nothing open can
    /// serve get the connect error at once, so a dead database is not dialled once per request.
    public var connectBackoff: Duration
    /// Kept short: it is also how long a database that came back may go unnoticed.
    public var maxConnectBackoff: Duration
    /// How many retries the pool's transactions may make together (`RetryBudget`); nil: as many
    /// as each transaction's `RetryPolicy` allows.
    public var retryBudget: RetryBudget?
    /// On PostgreSQL, each connection avoids sequential scans where an index serves
    /// (`Connection.preferIndexScans`: fewer serialization failures under SERIALIZABLE).
    public var preferIndexScans: Bool

    public init(connectionString: String = ConnectionString.fromEnvironment(), minimumIdle: Int = 0,
                maximum: Int = 8, acquireTimeout: Duration = .seconds(5), maxIdleTime: Duration = .seconds(60),
                maxLifetime: Duration = .seconds(30 * 60), pingAfterIdle: Duration = .seconds(10),
                connectBackoff: Duration = .milliseconds(100), maxConnectBackoff: Duration = .seconds(1),
                retryBudget: RetryBudget? = .default, preferIndexScans: Bool = true) {
        self.connectionString = connectionString
        self.minimumIdle = minimumIdle
        self.maximum = maximum
        self.acquireTimeout = acquireTimeout
        self.maxIdleTime = maxIdleTime
        self.maxLifetime = maxLifetime
        self.pingAfterIdle = pingAfterIdle
        self.connectBackoff = connectBackoff
        self.maxConnectBackoff = maxConnectBackoff
        self.retryBudget = retryBudget
        self.preferIndexScans = preferIndexScans
    }
}
