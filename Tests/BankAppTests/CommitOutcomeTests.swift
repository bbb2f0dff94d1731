@testable import BankApp
import Database
import Foundation
import Hummingbird
import Logging
import Testing
import TestSupport

/// A connection lost before COMMIT is retried like 40001 (nothing was committed); one lost
/// during COMMIT is 503 "outcome unknown", never retried blindly. The Database layer's
/// classification has its own tests; these check what the API makes of it, on a real server
/// whose backend is terminated mid-transaction (pg_terminate_backend while a trigger sleeps).
@Suite("Lost connections before and during COMMIT")
struct CommitOutcomeTests {
    @Test func outcomeUnknownIs503WithJSONAndRetryAfter() throws {
        let error = APIError.from(DatabaseError.outcomeUnknown("connection lost during COMMIT"), logger: Logger(label: "test"))
        #expect(error.status == .serviceUnavailable)
        #expect(error.headers[.retryAfter] == "1")
        #expect(error.message.contains("outcome is unknown"))
        let response = error.response
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        #expect(response.headers[.retryAfter] == "1")
        #expect(!error.message.contains("COMMIT"), "no SQL or driver text reaches the client")
    }

    /// Terminates the server's backend that runs a statement matching `pattern`, once it sleeps
    /// in a trigger (not before: a retry would sleep in its place) and has been running `atLeast` seconds (polling pg_stat_activity from a connection of
    /// the test's own). Gives up after 60 s: the triggers sleep far longer than a loaded machine
    /// takes to see them, so no timing decides the outcome.
    static func terminateBackend(url: String, waitingOn pattern: String, atLeast seconds: Double = 0) async throws -> Bool {
        try await offPool {
            let admin = try Connection(connectionString: url)
            defer { admin.close() }
            for _ in 0..<3000 {
                let rows = try admin.execute("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1 AND state = 'active'
                      AND wait_event = 'PgSleep'
                      AND clock_timestamp() - query_start >= make_interval(secs => $2::FLOAT8)
                    """, [pattern, String(seconds)])
                if rows.count > 0 { return true }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return false
        }
    }

    @Test func connectionLostBeforeCommitIsRetriedAndWritesOnce() async throws {
        try await withBankDatabase { url in
            // A trigger that sleeps in the INSERT (the body of the transaction, before COMMIT),
            // the first time only (until it is terminated): the sequence is not transactional.
            let setup = try Connection(connectionString: url)
            try setup.run("""
                CREATE SEQUENCE slow_attempts;
                CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep(CASE WHEN nextval('slow_attempts') = 1 THEN 60 ELSE 0 END); RETURN NEW; END $$;
                CREATE TRIGGER slow_insert BEFORE INSERT ON myproject_customers
                  FOR EACH ROW WHEN (NEW.name LIKE 'slow-body%') EXECUTE FUNCTION slow_insert();
                """)
            setup.close()
            try await withLiveServer(databaseURL: url) { server in
                async let reply = server.post("/customer/", #"{"name": "slow-body 1"}"#)
                let terminated = try await Self.terminateBackend(url: url, waitingOn: "INSERT INTO myproject_customers%")
                #expect(terminated)
                let answer = try await reply
                #expect(answer.status == 200, "\(answer.body)")
                #expect(try server.sql("SELECT count(*) FROM myproject_customers WHERE name = 'slow-body 1'")[0].decode(Int64.self, at: 0) == 1)
                #expect(server.logs.lines.contains { $0.contains("POST /customer/ 200") && $0.contains("retries=1") },
                        "\(server.logs.lines.suffix(5))")
            }
        }
    }

    @Test func connectionLostDuringCommitIs503OutcomeUnknownAndNotRetried() async throws {
        try await withBankDatabase { url in
            // A deferred constraint trigger runs at the commit: the backend dies while it runs. The
            // INSERT is sent alone (an implicit transaction, committed at the sync after its result
            // was sent), so pg_stat_activity shows the INSERT, running past its own end.
            let setup = try Connection(connectionString: url)
            try setup.run("""
                CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$;
                CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON myproject_customers
                  DEFERRABLE INITIALLY DEFERRED
                  FOR EACH ROW WHEN (NEW.name LIKE 'slow-commit%') EXECUTE FUNCTION slow_commit();
                """)
            setup.close()
            try await withLiveServer(databaseURL: url) { server in
                async let reply = server.post("/customer/", #"{"name": "slow-commit 1"}"#)
                let terminated = try await Self.terminateBackend(url: url, waitingOn: "%INSERT INTO myproject_customers%", atLeast: 0.25)
                #expect(terminated)
                let answer = try await reply
                #expect(answer.status == 503, "\(answer.body)")
                #expect(answer.headers[.retryAfter] != nil)
                #expect(answer.body == #"{"error": "the database connection was lost while committing; the outcome is unknown"}"#)
                // Not retried: one attempt (here the commit did not happen, so no row).
                #expect(!server.logs.lines.contains { $0.contains("retries=") })
                #expect(try server.sql("SELECT count(*) FROM myproject_customers WHERE name = 'slow-commit 1'")[0].decode(Int64.self, at: 0) == 0)
                // The server goes on.
                #expect(try await server.post("/customer/", #"{"name": "after"}"#).status == 200)
            }
        }
    }
}
