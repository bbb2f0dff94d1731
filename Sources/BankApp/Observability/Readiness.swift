import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MigrationEngine
import NIOConcurrencyHelpers

/// `GET /readyz`: whether this server should get traffic. Ready when a database connection answers
/// and every migration file is applied; not ready, at once, from the moment graceful shutdown
/// starts (while in-flight requests finish).
///
/// Load balancers and orchestrators poll it, often every second and from several places: an
/// answer is reused for `cacheFor`, and checkers that arrive while a check runs wait for that
/// one instead of starting their own. The check itself is one pooled read-only transaction.
public final class Readiness: Sendable {
    public enum Status: Equatable, Sendable {
        case ready
        case databaseUnreachable(String)
        case unappliedMigrations([String])
        case shuttingDown
    }

    private struct State {
        var shuttingDown = false
        var last: (status: Status, at: ContinuousClock.Instant)?
        var inFlight: Task<Status, Never>?
    }

    private let state = NIOLockedValueBox(State())
    private let pool: ConnectionPool
    /// The app's migration names, from the files read once at start-up (they do not change while the server runs).
    private let expectedMigrations: (app: String, names: [String])?
    let cacheFor: Duration

    public init(pool: ConnectionPool, migrations: [Migration], cacheFor: Duration = .seconds(1)) {
        self.pool = pool
        self.expectedMigrations = migrations.first.map { ($0.app, migrations.map(\.name)) }
        self.cacheFor = cacheFor
    }

    /// Called when graceful shutdown starts: from now on, not ready.
    public func beginShutdown() {
        state.withLockedValue { $0.shuttingDown = true }
    }

    public func status() async -> Status {
        enum Answer { case known(Status), wait(Task<Status, Never>) }
        let now = ContinuousClock.now
        let answer: Answer = state.withLockedValue { state in
            if state.shuttingDown { return .known(.shuttingDown) }
            if let last = state.last, now - last.at < cacheFor { return .known(last.status) }
            if let running = state.inFlight { return .wait(running) }
            let task = Task { await self.check() }
            state.inFlight = task
            return .wait(task)
        }
        switch answer {
        case .known(let status):
            return status
        case .wait(let task):
            let status = await task.value
            return state.withLockedValue { state in
                state.inFlight = nil
                if state.shuttingDown { return .shuttingDown }
                state.last = (status, ContinuousClock.now)
                return status
            }
        }
    }

    private func check() async -> Status {
        do {
            guard let (app, names) = expectedMigrations else {
                _ = try await pool.transaction(TransactionOptions(readOnly: true, implicit: true), statement: "SELECT 1", rows: { $0.rowsAffected })
                return .ready
            }
            let applied = try await pool.transaction(
                TransactionOptions(readOnly: true, implicit: true),
                statement: "SELECT name FROM django_migrations WHERE app = $1", [app],
                rows: { result in Set(try result.map { try $0.decode(String.self, at: 0) }) }
            ).value
            let missing = names.filter { !applied.contains($0) }
            return missing.isEmpty ? .ready : .unappliedMigrations(missing)
        } catch let DatabaseError.server(error) where error.sqlState == "42P01" {
            // No history table: nothing is applied.
            return .unappliedMigrations(expectedMigrations?.names ?? [])
        } catch {
            return .databaseUnreachable(ConnectionString.oneLine(String(describing: error), of: pool.configuration.connectionString))
        }
    }
}
