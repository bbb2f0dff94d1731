/// Small text helpers without Foundation (the server links FoundationEssentials only: full
/// Foundation and its ICU data cost about 14 MB of resident memory).
extension StringProtocol {
    /// Without leading and trailing spaces and tabs: the characters of Foundation's
    /// `.whitespaces` (tab and the Unicode space separators, U+200B included).
    var trimmedOfSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isHorizontalSpace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.isHorizontalSpace })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

extension Unicode.Scalar {
    var isHorizontalSpace: Bool {
        self == " " || self == "\t" || value == 0x200B || properties.generalCategory == .spaceSeparator
    }
}

/// `value` with one decimal (`3.14159` → `"3.1"`), as `String(format: "%.1f")` gives it.
func oneDecimal(_ value: Double) -> String {
    guard value.isFinite else { return "\(value)" }
    let tenths = Int64((abs(value) * 10).rounded())
    return "\(value < 0 && tenths != 0 ? "-" : "")\(tenths / 10).\(tenths % 10)"
}
