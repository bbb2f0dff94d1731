import Hummingbird
import NIOCore

/// The JSON of each record, in the key order of the contract (docs/API.md) and Django's spacing.
protocol JSONRepresentable {
    func write(to writer: inout JSONWriter)
}

extension CustomerRecord: JSONRepresentable {
    /// `{"id": 1, "name": "Carl"}`
    func write(to writer: inout JSONWriter) {
        writer.raw(#"{"id": "#)
        writer.integer(id)
        writer.raw(#", "name": "#)
        writer.string(name)
        writer.raw("}")
    }
}

extension ProductRecord: JSONRepresentable {
    /// `{"id": 1, "name": "Ice Cream", "price": "123.40"}`
    func write(to writer: inout JSONWriter) {
        writer.raw(#"{"id": "#)
        writer.integer(id)
        writer.raw(#", "name": "#)
        writer.string(name)
        writer.raw(#", "price": "#)
        writer.money(price)
        writer.raw("}")
    }
}

extension OrderRecord: JSONRepresentable {
    /// `{"id": 7, "subtotal": "123.40", "customer_id": 1, "products": [2, 3]}`
    func write(to writer: inout JSONWriter) {
        writer.raw(#"{"id": "#)
        writer.integer(id)
        writer.raw(#", "subtotal": "#)
        writer.money(subtotal)
        writer.raw(#", "customer_id": "#)
        if let customerID { writer.integer(customerID) } else { writer.raw("null") }
        writer.raw(#", "products": ["#)
        for (i, product) in productIDs.enumerated() {
            if i > 0 { writer.raw(", ") }
            writer.integer(product)
        }
        writer.raw("]}")
    }
}

enum JSONResponse {
    static let contentType = "application/json; charset=utf-8"

    static func ok(_ buffer: ByteBuffer) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: buffer))
    }

    static func ok(_ record: some JSONRepresentable) -> Response {
        var writer = JSONWriter()
        record.write(to: &writer)
        return ok(writer.buffer)
    }

    /// `{"deleted": 5}`
    static func deleted(_ id: Int64) -> Response {
        var writer = JSONWriter(capacity: 32)
        writer.raw(#"{"deleted": "#)
        writer.integer(id)
        writer.raw("}")
        return ok(writer.buffer)
    }

    /// Records separated by `", "` (a list's elements, without the brackets).
    static func elements(_ records: [some JSONRepresentable], leadingSeparator: Bool) -> ByteBuffer {
        var writer = JSONWriter(capacity: records.count * 48 + 8)
        for (i, record) in records.enumerated() {
            if i > 0 || leadingSeparator { writer.raw(", ") }
            record.write(to: &writer)
        }
        return writer.buffer
    }
}
