@testable import BankApp
import Database
import Testing

/// `manage runserver`'s settings (Settings.swift): defaults, flags over environment, addresses, errors.
@Suite("Settings")
struct SettingsTests {
    @Test func defaults() throws {
        let settings = try ServerSettings.resolve(flags: .init(), environment: [:])
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8000)
        #expect(settings.databaseURL == ConnectionString.tutorialDefault)
        #expect(settings.allowedHosts == .default)
        #expect(settings.poolSize == 8)
        #expect(settings.retryAttempts == 10)
        #expect(settings.retryBudget == 1)
        #expect(settings.poolConfiguration.retryBudget == RetryBudget(ratio: 1))
        #expect(settings.logLevel == .info)
    }

    @Test func retryBudget() throws {
        let off = try ServerSettings.resolve(flags: .init(), environment: ["DATABASE_RETRY_BUDGET": "off"])
        #expect(off.retryBudget == nil && off.poolConfiguration.retryBudget == nil)
        let fromEnvironment = try ServerSettings.resolve(flags: .init(), environment: ["DATABASE_RETRY_BUDGET": "0.25"])
        #expect(fromEnvironment.poolConfiguration.retryBudget == RetryBudget(ratio: 0.25))
        let fromFlag = try ServerSettings.resolve(flags: .init(retryBudget: "3"), environment: ["DATABASE_RETRY_BUDGET": "off"])
        #expect(fromFlag.retryBudget == 3)
    }

    @Test func flagsWinOverEnvironment() throws {
        let environment = ["DATABASE_URL": "postgresql://x@db/bank", "ALLOWED_HOSTS": "example.com",
                           "DATABASE_POOL_MAX": "3", "DATABASE_RETRY_ATTEMPTS": "4", "LOG_LEVEL": "debug",
                           "DATABASE_POOL_TIMEOUT": "0.5"]
        let fromEnvironment = try ServerSettings.resolve(flags: .init(address: "0.0.0.0:9000"), environment: environment)
        #expect(fromEnvironment.host == "0.0.0.0" && fromEnvironment.port == 9000)
        #expect(fromEnvironment.databaseURL == "postgresql://x@db/bank")
        #expect(fromEnvironment.allowedHosts.patterns == ["example.com"])
        #expect(fromEnvironment.poolSize == 3 && fromEnvironment.retryAttempts == 4 && fromEnvironment.logLevel == .debug)
        #expect(fromEnvironment.poolTimeout == .milliseconds(500))
        let flags = ServerSettings.Flags(poolSize: "5", retryAttempts: "6", logLevel: "WARNING")
        let fromFlags = try ServerSettings.resolve(flags: flags, environment: environment)
        #expect(fromFlags.poolSize == 5 && fromFlags.retryAttempts == 6 && fromFlags.logLevel == .warning)
    }

    @Test func addresses() throws {
        #expect(try ServerSettings.parseAddress("8000") == ("127.0.0.1", 8000))
        #expect(try ServerSettings.parseAddress("0.0.0.0:8000") == ("0.0.0.0", 8000))
        #expect(try ServerSettings.parseAddress("[::1]:8001") == ("::1", 8001))
        #expect(try ServerSettings.parseAddress("localhost:0") == ("localhost", 0))
        for bad in ["", "abc", "0.0.0.0:", ":8000", "0.0.0.0:abc", "70000", "[::1]", "[zz]:1", "a b:1"] {
            #expect(throws: SettingsError.self, "\(bad)") { try ServerSettings.parseAddress(bad) }
        }
    }

    @Test func badSettingsAreOneClearMessage() {
        let cases: [(ServerSettings.Flags, [String: String], String)] = [
            (.init(poolSize: "0"), [:], "--pool-size"),
            (.init(), ["DATABASE_POOL_MAX": "many"], "DATABASE_POOL_MAX"),
            (.init(retryAttempts: "-1"), [:], "--retry-attempts"),
            (.init(), ["DATABASE_RETRY_ATTEMPTS": "1.5"], "DATABASE_RETRY_ATTEMPTS"),
            (.init(retryBudget: "0"), [:], "--retry-budget"),
            (.init(), ["DATABASE_RETRY_BUDGET": "lots"], "DATABASE_RETRY_BUDGET"),
            (.init(logLevel: "loud"), [:], "--log-level"),
            (.init(), ["LOG_LEVEL": "verbose"], "LOG_LEVEL"),
            (.init(), ["DATABASE_POOL_TIMEOUT": "-2"], "DATABASE_POOL_TIMEOUT"),
            (.init(address: "nope"), [:], "not a valid port"),
        ]
        for (flags, environment, mention) in cases {
            do {
                _ = try ServerSettings.resolve(flags: flags, environment: environment)
                Issue.record("accepted \(flags) \(environment)")
            } catch {
                #expect(error.description.contains(mention), "\(error.description)")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    /// The start-up refusal of `manage runserver` and `migrate`: the URL redacted, the reason on one line.
    @Test func aConnectionFailureIsOneRedactedLine() {
        let line = ServerSettings.connectionFailure(DatabaseError.connection("x\ny"), databaseURL: "postgresql://u:Sekr3tPw@h/db")
        #expect(line == "cannot connect to the database at postgresql://u:****@h/db: x; y")
    }
}
