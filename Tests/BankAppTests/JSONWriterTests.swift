@testable import BankApp
import Database
import NIOCore
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
    func written(_ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        body(&writer)
        return String(buffer: writer.buffer)
    }

    @Test func escapesQuotesBackslashAndControlCharacters() {
        #expect(written { $0.string("a\"b\\c") } == #""a\"b\\c""#)
        #expect(written { $0.string("\n\r\t\u{8}\u{C}") } == #""\n\r\t\b\f""#)
        #expect(written { $0.string("\u{0}\u{1}\u{1F}") } == #""\u0000\u0001\u001f""#)
    }

    @Test func nonASCIIStaysUTF8() {
        #expect(written { $0.string("Zoë 😀 日本 \u{2028}") } == "\"Zoë 😀 日本 \u{2028}\"")
    }

    @Test func recordsInTheContractsLayout() {
        #expect(written { CustomerRecord(id: 523377322022797313, name: "Carl").write(to: &$0) }
                == #"{"id": 523377322022797313, "name": "Carl"}"#)
        #expect(written { ProductRecord(id: 1, name: "Ice Cream", price: Money(cents: 12340)!).write(to: &$0) }
                == #"{"id": 1, "name": "Ice Cream", "price": "123.40"}"#)
        #expect(written { OrderRecord(id: 7, subtotal: Money(cents: -5)!, customerID: 1, productIDs: [2, 3]).write(to: &$0) }
                == #"{"id": 7, "subtotal": "-0.05", "customer_id": 1, "products": [2, 3]}"#)
        #expect(written { OrderRecord(id: 7, subtotal: Money(cents: 0)!, customerID: nil, productIDs: []).write(to: &$0) }
                == #"{"id": 7, "subtotal": "0.00", "customer_id": null, "products": []}"#)
    }

    @Test func errorBodies() {
        #expect(String(buffer: JSONWriter.error("bad \"x\"")) == #"{"error": "bad \"x\""}"#)
    }

    @Test func writtenStringsReadBackUnchanged() throws {
        let samples = ["", "plain", "quote\" back\\slash", "\u{0}\u{7}\u{1F}\u{7F}", "émoji 😀", "\u{2028}\u{2029}"]
        for sample in samples {
            let text = written { $0.string(sample) }
            #expect(try JSONReader.parse(Array(text.utf8)) == .string(sample))
        }
    }
}
