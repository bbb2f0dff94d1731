@testable import MigrationEngine
import Testing

/// The one statement splitter: what the executor runs statement by statement and what the
/// linter checks statement by statement end at the same places. No database.
@Suite struct SQLScriptTests {
    @Test func splittingSQLIntoStatements() {
        let sql = """
            -- comment; not a statement
            CREATE TABLE "a;b" (x TEXT DEFAULT 'it''s; fine');
            /* block; /* nested; */ still comment */
            SELECT $tag$ a; b $tag$, E'\\'; x';
            SELECT 1
            """
        #expect(SQLScript.statements(sql) == [
            "-- comment; not a statement\nCREATE TABLE \"a;b\" (x TEXT DEFAULT 'it''s; fine');",
            "/* block; /* nested; */ still comment */\nSELECT $tag$ a; b $tag$, E'\\'; x';",
            "SELECT 1",
        ])
        #expect(SQLScript.statements("-- only a comment\n").isEmpty)
        #expect(SQLScript.statements("  ;  ; -- c\n;").isEmpty)
    }

    /// A backslash escapes only in an `E'...'` string: after a type name ending in E (a typed
    /// literal such as `TIME'...'`) the string is a standard one, as the servers read it.
    @Test func onlyAnEStringEscapesWithABackslash() {
        #expect(SQLScript.statements("SELECT TIME'\\'; SELECT 2;") == ["SELECT TIME'\\';", "SELECT 2;"])
        #expect(SQLScript.statements("SELECT e'\\'; SELECT 2;") == ["SELECT e'\\'; SELECT 2;"])
    }

    @Test func theLinterSeesTheStatementsTheExecutorRuns() {
        let scripts = [
            "SELECT 'a;b'; SELECT E'x\\';y'; SELECT $$;$$; SELECT $a$ $b$; $a$; /* ; /* ; */ ; */ SELECT 1; -- ;\nSELECT \"a;\"\"b\"",
            "CREATE FUNCTION f() RETURNS INT AS $body$ SELECT 1; $body$ LANGUAGE sql; SELECT 2;",
            "SELECT TIME'\\'; SELECT 2; SELECT x$y$; SELECT 2$a$; SELECT 3;",
            "SELECT 'unterminated; SELECT 2;", "SELECT /* unterminated ; SELECT 3;", "SELECT $q$ unterminated ; SELECT 4;",
            "BEGIN;\n-- lint: allow explicit-transaction\nCOMMIT; -- trailing\n;;",
        ]
        for sql in scripts {
            let run = SQLScript.statements(sql)
            let linted = LintStatement.split(SQLLexer.tokens(sql))
            #expect(run.count == linted.count, "\(sql.debugDescription)")
            // Each statement run lexes to the tokens the linter holds for it.
            for (text, statement) in zip(run, linted) {
                let tokens = SQLLexer.tokens(text).filter { $0.kind != .comment && !$0.isSymbol(";") }
                #expect(tokens.map(\.text) == statement.tokens.map(\.text), "\(text.debugDescription)")
            }
        }
    }
}
