import Foundation

/// One HTTP/1.1 request to a server on 127.0.0.1 (a `manage runserver` child process) over a
/// fresh connection (`Connection: close`): the status and the body.
struct ChildHTTPReply: Sendable {
    var status: Int
    var head: String
    var body: String

    /// The `"id": N` of a JSON object body.
    var id: Int64? {
        guard let range = body.range(of: #""id": *[0-9]+"#, options: .regularExpression) else { return nil }
        return Int64(body[range].drop(while: { !$0.isNumber }))
    }
}

func childHTTP(port: Int, _ method: String, _ path: String, body: String? = nil) async throws -> ChildHTTPReply {
    var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost:\(port)\r\nConnection: close\r\n"
    if let body {
        request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
    }
    request += "\r\n" + (body ?? "")
    let raw = try await RawHTTP.exchange(port: port, request, timeout: 30)
    guard let split = raw.range(of: "\r\n\r\n") else {
        throw RawHTTP.Failed(description: "no complete response head: \(raw.prefix(200))")
    }
    let head = String(raw[..<split.lowerBound])
    let statusLine = head.split(separator: "\r\n").first ?? ""
    let parts = statusLine.split(separator: " ")
    guard parts.count >= 2, let status = Int(parts[1]) else {
        throw RawHTTP.Failed(description: "bad status line: \(statusLine)")
    }
    var body = String(raw[split.upperBound...])
    if head.lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
    return ChildHTTPReply(status: status, head: head, body: body)
}

/// The payload of a chunked body (enough for tests: sizes in hex, CRLF framing).
private func dechunk(_ text: String) -> String {
    var bytes = Substring(text)
    var out = ""
    while let lineEnd = bytes.range(of: "\r\n"), let size = Int(bytes[..<lineEnd.lowerBound].split(separator: ";")[0], radix: 16) {
        if size == 0 { break }
        let start = lineEnd.upperBound
        let utf8 = bytes[start...].utf8
        guard utf8.count >= size else { out += String(bytes[start...]); break }
        let end = utf8.index(utf8.startIndex, offsetBy: size)
        out += String(bytes[start..<end])
        bytes = bytes[end...].dropFirst(2)
    }
    return out
}
