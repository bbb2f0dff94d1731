import Database
import Testing

@Suite struct MoneyTests {
    @Test(arguments: [
        ("12", 1200), ("12.5", 1250), ("12.50", 1250), ("1.230", 123), ("-0.05", -5), ("+3", 300),
        ("0", 0), ("-0", 0), ("0.00", 0), ("9999999999999999.99", 999_999_999_999_999_999),
        ("-9999999999999999.99", -999_999_999_999_999_999), ("000123.4", 12340),
    ] as [(String, Int64)])
    func parsesPlainDecimals(text: String, cents: Int64) {
        #expect(Money(exactly: text)?.cents == cents)
    }

    @Test(arguments: ["", "-", ".", "1.", ".5", "1.234", "12abc", "1,5", "1e2", " 1", "1 ", "--1",
                      "10000000000000000.00", "99999999999999999", "0x10", "١٢"])
    func rejectsAnythingElse(text: String) {
        #expect(Money(exactly: text) == nil)
    }

    @Test func exponentFormOnlyWhenAllowed() {
        #expect(Money(exactly: "1E+2", allowingExponent: true)?.cents == 10000)
        #expect(Money(exactly: "1.5e1", allowingExponent: true)?.cents == 1500)
        #expect(Money(exactly: "125e-2", allowingExponent: true)?.cents == 125)
        #expect(Money(exactly: "1e-3", allowingExponent: true) == nil)
        #expect(Money(exactly: "1E+2") == nil)
        #expect(Money(exactly: "1e", allowingExponent: true) == nil)
        #expect(Money(exactly: "1e99", allowingExponent: true) == nil)
    }

    @Test func formatsWithTwoDecimals() {
        #expect(Money(cents: 1250)?.description == "12.50")
        #expect(Money(cents: -5)?.description == "-0.05")
        #expect(Money(cents: 0)?.description == "0.00")
        #expect(Money(cents: 999_999_999_999_999_999)?.description == "9999999999999999.99")
        #expect(Money(cents: 1_000_000_000_000_000_000) == nil)
    }
}
