import Database
import Foundation
import TestSupport
import Testing

/// The connection against a real PostgreSQL server (started by `make test`).
@Suite struct ConnectionTests {
    @Test func everySupportedTypeRoundTrips() throws {
        let connection = try Connection(connectionString: try TestDatabase.url())
        let when = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let row = try #require(try connection.execute(
            "SELECT $1::int8, $2::int8, $3::int4, $4::text, $5::bool, $6::bool, $7::numeric(18,2), $8::numeric(18,2), $9::timestamptz, $10::text, $11::int8",
            [Int64.max, Int64.min, Int32.min, "Grüße, \"quotes\" and 'apostrophes'; DROP TABLE x; --", true, false,
             Money(exactly: "9999999999999999.99")!, Money(exactly: "-0.05")!, when, String?.none, Int64(523377322022797313)]).first)
        #expect(try row.decode(Int64.self, at: 0) == Int64.max)
        #expect(try row.decode(Int64.self, at: 1) == Int64.min)
        #expect(try row.decode(Int32.self, at: 2) == Int32.min)
        #expect(try row.decode(String.self, at: 3) == "Grüße, \"quotes\" and 'apostrophes'; DROP TABLE x; --")
        #expect(try row.decode(Bool.self, at: 4) == true)
        #expect(try row.decode(Bool.self, at: 5) == false)
        #expect(try row.decode(Money.self, at: 6).description == "9999999999999999.99")
        #expect(try row.decode(Money.self, at: 7).cents == -5)
        let decoded = try row.decode(Date.self, at: 8)
        #expect(abs(decoded.timeIntervalSince(when)) < 0.000_001)
        #expect(try row.decode(String?.self, at: 9) == nil)
        #expect(try row.decode(Int64.self, at: 10) == 523377322022797313)
    }

    @Test func timestampsInOtherZonesDecodeToTheSameInstant() throws {
        let connection = try Connection(connectionString: try TestDatabase.url())
        try connection.run("SET TIME ZONE 'Asia/Kolkata'")
        let row = try #require(try connection.execute("SELECT '2024-03-01 12:00:00+00'::timestamptz").first)
        #expect(try row.decode(Date.self, at: 0) == Date(timeIntervalSince1970: 1_709_294_400))
    }

    @Test func aDecodingMismatchIsAClearError() throws {
        let connection = try Connection(connectionString: try TestDatabase.url())
        let row = try #require(try connection.execute("SELECT 'abc'::text AS word, NULL::int8 AS nothing, 99999999999::int8 AS big").first)
        #expect(throws: DatabaseError.self) { try row.decode(Int64.self, at: 0) }
        #expect(throws: DatabaseError.self) { try row.decode(Int64.self, named: "nothing") }
        #expect(throws: DatabaseError.self) { try row.decode(Int32.self, named: "big") }
        #expect(throws: DatabaseError.self) { try row.decode(Int64.self, at: 7) }
        do {
            _ = try row.decode(Int64.self, at: 0)
        } catch {
            #expect(String(describing: error).contains("word"))
            #expect(String(describing: error).contains("Int64"))
        }
    }

    @Test func aConstraintViolationCarriesSQLStateAndFields() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let connection = try Connection(connectionString: url)
            try connection.run("CREATE TABLE accounts (id BIGSERIAL PRIMARY KEY, email VARCHAR(100) NOT NULL CONSTRAINT accounts_email_key UNIQUE)")
            try connection.execute("INSERT INTO accounts (email) VALUES ($1)", ["a@example.com"])
            do {
                try connection.execute("INSERT INTO accounts (email) VALUES ($1)", ["a@example.com"])
                Issue.record("the duplicate insert succeeded")
            } catch let DatabaseError.server(error) {
                #expect(error.sqlState == "23505")
                #expect(error.isUniqueViolation)
                #expect(error.constraint == "accounts_email_key")
                #expect(error.table == "accounts")
                #expect(error.detail?.contains("a@example.com") == true)
                #expect(error.severity == "ERROR")
            }
            // The connection stays usable after a statement error.
            #expect(try connection.execute("SELECT count(*) FROM accounts").first?.decode(Int64.self, at: 0) == 1)
        }
    }

    @Test func preparedStatementsAreReusedWithNewParameters() throws {
        let connection = try Connection(connectionString: try TestDatabase.url())
        for i in 0..<5 {
            let value = try connection.execute("SELECT $1::int8 * 2", [Int64(i)]).first?.decode(Int64.self, at: 0)
            #expect(value == Int64(i * 2))
        }
        let prepared = try connection.execute("SELECT count(*) FROM pg_prepared_statements").first?.decode(Int64.self, at: 0)
        #expect(prepared == 2)  // the doubling statement once, and this one
    }

    @Test func aServerThatDoesNotAnswerIsAConnectionError() throws {
        #expect {
            _ = try Connection(connectionString: "postgresql://django@127.0.0.1:1/bank?sslmode=disable&connect_timeout=2")
        } throws: { error in
            guard case DatabaseError.connection(let message) = error else { return false }
            return message.contains("127.0.0.1")
        }
    }

    @Test func knowsWhichServerItTalksTo() throws {
        let connection = try Connection(connectionString: try TestDatabase.url())
        #expect(try connection.serverKind() == .postgreSQL)
    }
}
