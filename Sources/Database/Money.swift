/// An exact decimal for `DECIMAL(18,2)` columns: the value is a count of cents in an `Int64`.
///
/// Foundation's `Decimal(string:)` accepts a prefix and ignores the rest ("12abc" is 12), and a
/// `Double` cannot hold 0.10 exactly, so money never passes through either. Parsing is strict:
/// a digit past the second decimal that is not zero is an error, never rounded.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The largest magnitude `DECIMAL(18,2)` holds: 9999999999999999.99.
    public static let maximumCents: Int64 = 999_999_999_999_999_999

    public let cents: Int64

    public init?(cents: Int64) {
        guard cents.magnitude <= UInt64(Money.maximumCents) else { return nil }
        self.cents = cents
    }

    /// Parses a plain decimal (`"12"`, `"-0.5"`, `"12.50"`, `"1.230"`): optional sign, digits, an
    /// optional dot and digits. With `allowingExponent`, also JSON number syntax such as `1E+2`.
    public init?<S: StringProtocol>(exactly text: S, allowingExponent: Bool = false) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var exponent = 0
        if allowingExponent, let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            var expDigits = bytes[(e + 1)...]
            var expNegative = false
            if let s = expDigits.first, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") {
                expNegative = s == UInt8(ascii: "-")
                expDigits = expDigits.dropFirst()
            }
            guard !expDigits.isEmpty, expDigits.count <= 4, expDigits.allSatisfy(Money.isDigit) else { return nil }
            exponent = expDigits.reduce(0) { $0 * 10 + Int($1 - 48) } * (expNegative ? -1 : 1)
            bytes = bytes[..<e]
        }
        var integerPart = bytes[...]
        var fractionPart = bytes[bytes.endIndex...]
        if let dot = bytes.firstIndex(of: UInt8(ascii: ".")) {
            integerPart = bytes[..<dot]
            fractionPart = bytes[(dot + 1)...]
            guard !fractionPart.isEmpty else { return nil }
        }
        guard !integerPart.isEmpty,
              integerPart.allSatisfy(Money.isDigit), fractionPart.allSatisfy(Money.isDigit)
        else { return nil }
        // All digits as one sequence, and the power of ten that scales it to cents.
        var digits = Array(integerPart) + Array(fractionPart)
        var shift = exponent - fractionPart.count + 2  // cents = digits * 10^shift
        while shift < 0 {
            guard let last = digits.last else { break }
            guard last == UInt8(ascii: "0") else { return nil }  // a nonzero digit past cents
            digits.removeLast()
            shift += 1
        }
        if shift < 0 { shift = 0 }
        while let first = digits.first, first == UInt8(ascii: "0"), digits.count > 1 { digits.removeFirst() }
        guard digits.count + shift <= 18 else {
            if digits.allSatisfy({ $0 == UInt8(ascii: "0") }) { self.cents = 0; return }
            return nil
        }
        var value: Int64 = 0
        for d in digits { value = value * 10 + Int64(d - 48) }
        for _ in 0..<shift { value *= 10 }
        guard value <= Money.maximumCents else { return nil }
        self.cents = negative ? -value : value
    }

    /// `"12.50"`, `"-0.05"`: always two decimals, as Django's JSON encoder writes a Decimal.
    public var description: String {
        let magnitude = cents.magnitude
        let whole = magnitude / 100, fraction = magnitude % 100
        return (cents < 0 ? "-" : "") + String(whole) + (fraction < 10 ? ".0" : ".") + String(fraction)
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.cents < rhs.cents }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
}
