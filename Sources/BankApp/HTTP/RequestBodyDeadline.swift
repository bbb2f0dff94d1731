import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes

/// A request's body must be complete within `limit` of its head: a client that trickles its
/// body one chunk at a time (each chunk within the idle timeout, so that timeout never fires)
/// gets `408 Request Timeout` and the connection is closed.
///
/// Sits in each connection's pipeline after HTTP decoding (Hummingbird's
/// `additionalChannelHandlers`), so it sees whole request parts. A timer exists only while a
/// request is incomplete at the end of a read: a request that arrives in one read, as nearly
/// all do, costs two flag checks. With pipelined requests the clock starts only once every
/// earlier response is complete: until then the server itself may not be reading (backpressure
/// while a long list streams). The 408 is written only when no response is being written on the
/// connection (a 404 sent before the body was read); otherwise the connection is just closed.
final class RequestBodyDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limit: TimeAmount
    private let logger: Logger
    /// A request head has arrived and its end has not.
    private var requestOpen = false
    private var requestStarted = NIODeadline.uptimeNanoseconds(0)
    /// For the log line only (kept as they came: no string is built per request).
    private var requestMethod = HTTPRequest.Method.get
    private var requestPath: String?
    /// Request heads received, response heads and ends written (non-informational), on this connection.
    private var requests = 0
    private var responsesStarted = 0
    private var responsesEnded = 0
    private var timer: Scheduled<Void>?

    init(limit: TimeAmount, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestOpen = true
            requests += 1
            requestStarted = .now()
            requestMethod = head.method
            requestPath = head.path
        case .body:
            break
        case .end:
            requestOpen = false
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        armIfWaiting(context: context)
        context.fireChannelReadComplete()
    }

    /// Starts the clock for an incomplete request whose earlier responses are all written.
    private func armIfWaiting(context: ChannelHandlerContext) {
        guard requestOpen, timer == nil, responsesEnded >= requests - 1 else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: requestStarted + limit) { [self] in
            expire(context: context)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational:
            responsesStarted += 1
        case .end:
            responsesEnded += 1
            if requestOpen && timer == nil && responsesEnded == requests - 1 {
                // The previous response is done: the waiting request's clock starts now.
                requestStarted = max(requestStarted, .now())
                armIfWaiting(context: context)
            }
        default:
            break
        }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    private func expire(context: ChannelHandlerContext) {
        timer = nil
        guard requestOpen, context.channel.isActive else { return }
        let seconds = HTTPTimeouts.secondsText(limit)
        logger.warning("\(requestMethod.rawValue) \(requestPath ?? ""): request body not complete after \(seconds) s; connection closed")
        // Only when every earlier response is complete and this request's has not begun.
        guard responsesStarted == requests - 1, responsesEnded == responsesStarted else {
            context.close(promise: nil)
            return
        }
        let body = JSONWriter.error("request body not received within \(seconds) s")
        let head = HTTPResponse(status: .requestTimeout, headerFields: [
            .contentType: "application/json; charset=utf-8",
            .contentLength: String(body.readableBytes),
            .connection: "close",
        ])
        responsesStarted += 1
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        responsesEnded += 1
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
