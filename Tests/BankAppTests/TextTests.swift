@testable import BankApp
import Testing

/// The small text helpers that replaced Foundation's in the server (Text.swift, the banner's
/// date). Trimming is Database's, tested in DatabaseTests (WhitespaceTests).
@Suite struct TextTests {
    @Test func oneDecimalAsPercentPointOneF() {
        #expect(oneDecimal(3.14159) == "3.1")
        #expect(oneDecimal(0.04) == "0.0")
        #expect(oneDecimal(12.96) == "13.0")
        #expect(oneDecimal(-1.26) == "-1.3")
        #expect(oneDecimal(1234.5678) == "1234.6")
    }

    @Test func bannerDateIsDjangosFormat() {
        let date = BankServer.localTimeBannerDate()
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"]
        let parts = date.split(separator: " ")  // "November", "26,", "2025", "-", "01:02:03"
        #expect(parts.count == 5, "\(date)")
        #expect(months.contains(String(parts.first ?? "")), "\(date)")
        #expect(parts.count == 5 && parts[1].count == 3 && parts[1].hasSuffix(",") && parts[2].count == 4 && parts[3] == "-"
                && parts[4].count == 8, "\(date)")
    }
}
