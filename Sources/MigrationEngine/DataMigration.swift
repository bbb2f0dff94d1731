import Database
import Dispatch

/// A data migration written in Swift (Django's `RunPython`): a closure that gets a connection,
/// and optionally the one that undoes it. A migration file runs it by naming it in its header
/// (`-- run: backfill_due_dates`) and holds no SQL: on CockroachDB data changes and schema
/// changes do not mix in one transaction, so they are never in one migration.
///
/// `migrate` runs it in its own transaction, with the history row, inside the retry wrapper
/// (`Connection.transaction`): the closure may run more than once when the transaction is
/// retried, so it must only use the connection it is given. Without `reverse`, moving back past
/// it is refused as irreversible before anything changes.
///
/// A change too big for one transaction (an UPDATE over millions of rows, which CockroachDB's
/// users are told not to run) is written `inBatches`: the closure gets a `DataMigrationContext`
/// whose `backfill` commits key-ordered batches one by one, with the progress record, so that a
/// crashed `migrate` resumes after the last batch done.
public struct DataMigration: Sendable {
    public var name: String
    public var forward: Body
    public var reverse: Body?

    /// What runs in one direction.
    public enum Body: Sendable {
        /// In one transaction with the history row.
        case inTransaction(@Sendable (Connection) throws -> Void)
        /// In transactions of its own making (`DataMigrationContext.backfill`); the history row
        /// after it, in one more.
        case inBatches(@Sendable (DataMigrationContext) throws -> Void)
    }

    public init(_ name: String, forward: @escaping @Sendable (Connection) throws -> Void,
                reverse: (@Sendable (Connection) throws -> Void)? = nil) {
        self.name = name
        self.forward = .inTransaction(forward)
        self.reverse = reverse.map { .inTransaction($0) }
    }

    /// A data migration that works in batches, each committed on its own (`context.backfill`).
    public init(_ name: String, inBatches forward: @escaping @Sendable (DataMigrationContext) throws -> Void,
                reverse: (@Sendable (DataMigrationContext) throws -> Void)? = nil) {
        self.name = name
        self.forward = .inBatches(forward)
        self.reverse = reverse.map { .inBatches($0) }
    }

    /// The data migrations of the process, by name: registered by the service before `migrate`
    /// (ManageProject registers its apps' own).
    public static func register(_ migrations: [DataMigration]) {
        registry.sync { for migration in migrations { registered[migration.name] = migration } }
    }

    public static func named(_ name: String) -> DataMigration? { registry.sync { registered[name] } }

    private static let registry = DispatchQueue(label: "MigrationEngine.DataMigration.registry")
    nonisolated(unsafe) private static var registered: [String: DataMigration] = [:]

    /// The data migration a file names, or a refusal naming the file.
    static func of(_ migration: Migration) throws -> DataMigration? {
        guard let name = migration.dataMigration else { return nil }
        guard let found = named(name) else {
            throw MigrationStateError(description: "Migration \(migration.key) runs the data migration '\(name)', which is not registered: register it (DataMigration.register, or the app's dataMigrations) before migrate.")
        }
        return found
    }
}
