/// A token of SQL text (see `SQLLexer`): its kind, its text, the line it starts on and where it
/// is in the source.
struct SQLToken: Equatable {
    enum Kind: Equatable {
        /// A keyword or unquoted name; `text` is as written.
        case word
        /// `"name"`; `text` is the name without quotes.
        case quotedIdentifier
        /// `'...'` or `E'...'`; `text` is the content.
        case string
        /// `$tag$...$tag$`; `text` is the content.
        case dollarString
        case number
        /// One character of punctuation: `( ) , ; . = ::` ...
        case symbol
        /// `-- ...` (text after the dashes) or `/* ... */` (text inside).
        case comment
    }

    var kind: Kind
    var text: String
    var line: Int
    /// Where the token is in the text it was read from, quotes and comment marks included.
    var range: Range<String.Index>

    /// The keyword spelling: upper case for words, nil for anything else.
    var keyword: String? { kind == .word ? text.uppercased() : nil }

    /// The name it stands for: unquoted words fold to lower case, quoted ones are exact.
    var name: String? {
        switch kind {
        case .word: return text.lowercased()
        case .quotedIdentifier: return text
        default: return nil
        }
    }

    func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }
    func isKeyword(_ k: String) -> Bool { kind == .word && text.uppercased() == k }
}
