/// Number formatting without Foundation's `String(format:)` (the server links FoundationEssentials
/// only: full Foundation and its ICU data would stay resident for the server's whole life; the
/// README's performance section has the figure). Trimming is Database's `trimmingSpaces()`.

/// `value` with one decimal (`3.14159` → `"3.1"`), as `String(format: "%.1f")` gives it.
func oneDecimal(_ value: Double) -> String {
    guard value.isFinite else { return "\(value)" }
    let tenths = Int64((abs(value) * 10).rounded())
    return "\(value < 0 && tenths != 0 ? "-" : "")\(tenths / 10).\(tenths % 10)"
}
