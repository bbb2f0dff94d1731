import NIOCore

/// The API's OpenAPI 3 document, served at `GET /openapi.json`.
///
/// The one source is `openapi.json` beside this file, committed and compiled into the binary
/// by SwiftPM (`.embedInCode` in Package.swift). OpenAPITests checks that it parses and that
/// its paths and methods are exactly the route table's (`Route.all`); `make fuzz` runs
/// schemathesis against a live server with it.
enum OpenAPIDocument {
    static let bytes: ByteBuffer = ByteBuffer(bytes: PackageResources.openapi_json)
}
