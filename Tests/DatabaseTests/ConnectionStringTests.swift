@testable import Database
import Testing
import TestSupport

@Suite struct ConnectionStringTests {
    @Test func redactsPasswords() {
        #expect(ConnectionString.redacted("postgresql://django:s3cret@db:26257/bank?sslmode=require")
                == "postgresql://django:****@db:26257/bank?sslmode=require")
        #expect(ConnectionString.redacted("postgresql://django@db/bank?password=s3cret&sslmode=disable")
                == "postgresql://django@db/bank?password=****&sslmode=disable")
        #expect(ConnectionString.redacted("host=db password='it\\'s secret' user=django")
                == "host=db password=**** user=django")
        #expect(ConnectionString.redacted("host=db password = abc user=django") == "host=db password = **** user=django")
        #expect(ConnectionString.redacted(ConnectionString.tutorialDefault) == ConnectionString.tutorialDefault)
    }

    @Test func redactionFindsEveryPasswordFormWithoutARegexEngine() {
        #expect(ConnectionString.redacted("host=db PASSWORD=abc user=django") == "host=db PASSWORD=**** user=django")
        // An unclosed quote is not a quoted value: up to the next space, as the old expression did.
        #expect(ConnectionString.redacted("host=db password='abc def") == "host=db password=**** def")
        #expect(ConnectionString.redacted("password=a password=b") == "password=**** password=****")
        #expect(ConnectionString.redacted("passwordx=1 password") == "passwordx=1 password")
        #expect(ConnectionString.redacted("postgresql://u:p%40ss@h/db?password=q&x=1")
                == "postgresql://u:****@h/db?password=****&x=1")
    }

    @Test func passwordsAreFoundAsWrittenAndDecoded() {
        #expect(ConnectionString.passwords(in: "postgresql://u:p%40ss@h/db") == ["p%40ss", "p@ss"])
        #expect(ConnectionString.passwords(in: "host=h password='it\\'s'") == ["'it\\'s'", "it's"])
        #expect(ConnectionString.passwords(in: "postgresql://u@h/db") == [])
        #expect(ConnectionString.percentDecoded("a%20b%C3%A9") == "a bé")
        #expect(ConnectionString.percentDecoded("50%") == nil)
        #expect(ConnectionString.percentDecoded("%zz") == nil)
        #expect(ConnectionString.percentDecoded("%C3") == nil)  // not UTF-8
    }

    @Test func scrubbingReplacesPasswordsWhateverFollowsThem() {
        let url = "postgresql://django:s3cret@db/bank"
        // A combining accent after the password makes another Character, not another password.
        #expect(ConnectionString.scrub("failed for s3cret\u{301} and s3cret", of: url) == "failed for ****\u{301} and ****")
        #expect(ConnectionString.scrub("at \(url): refused", of: url) == "at postgresql://django:****@db/bank: refused")
    }

    @Test func environmentOverridesTheTutorialDefault() {
        #expect(ConnectionString.fromEnvironment(["DATABASE_URL": "  "]) == ConnectionString.tutorialDefault)
        #expect(ConnectionString.fromEnvironment([:]) == "postgresql://django@localhost:26257/bank?sslmode=disable")
        #expect(ConnectionString.fromEnvironment(["DATABASE_URL": "postgresql://x@y/z"]) == "postgresql://x@y/z")
    }

    /// `replacingBytes` (for passwords here, for SQL quoting in MigrationEngine) replaces every
    /// occurrence as a scalar-by-scalar replacement would: a combining mark after the target
    /// does not hide it.
    @Test func replacingBytesIsAScalarReplacement() {
        let replacements = [("\"", "\"\""), ("'", "''"), ("''", "'"), ("\n", "\n  "), ("e\u{301}", "E"), ("\u{1F600}", "")]
        for text in AwkwardText.samples {
            for (target, replacement) in replacements {
                #expect(AwkwardText.same(text.replacingBytes(target, with: replacement), AwkwardText.scalarReplace(text, target, replacement)),
                        "\(text.debugDescription): \(target.debugDescription) -> \(replacement.debugDescription)")
            }
        }
        #expect("abc".replacingBytes("", with: "x") == "abc")
        #expect("a".replacingBytes("abc", with: "x") == "a")
    }

    @Test func connectionStringsAndLibpqMessagesAreRedacted() throws {
        #expect(ConnectionString.redacted("postgresql://django:pw@h1:1,h2:2/bank?sslmode=disable")
                == "postgresql://django:****@h1:1,h2:2/bank?sslmode=disable")
        #expect(ConnectionString.redacted("postgresql://django@h/bank?password=pw&sslmode=require")
                == "postgresql://django@h/bank?password=****&sslmode=require")
        #expect(ConnectionString.redacted("host=h password='p w' user=django") == "host=h password=**** user=django")
        #expect(ConnectionString.passwords(in: "postgresql://django:a%40b@h/bank").contains("a@b"))
        #expect(ConnectionString.scrub(#"bad token: "a%40b", again a@b"#, of: "postgresql://django:a%40b@h/bank")
                == #"bad token: "****", again ****"#)
        #expect(ConnectionString.oneLine("connection to server at \"h\" failed: FATAL:  no\n\tIs it running?\n", of: "")
                == #"connection to server at "h" failed: FATAL: no; Is it running?"#)
        // libpq's own message, which quotes the undecodable piece (the password), comes out scrubbed
        // (libpq refuses the URL before it connects: no server needed).
        #expect {
            _ = try Connection(connectionString: "postgresql://django:Sekr3tPw%zz@127.0.0.1:1/bank")
        } throws: { error in
            let text = String(describing: error)
            return text.contains("percent-encoded") && !text.contains("Sekr3tPw")
        }
    }
}
