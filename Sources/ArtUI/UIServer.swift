import ArtCore
import ArtStore
import Crypto
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// `art ui`: serves a ``UISite`` over HTTP on a loopback address.
///
/// Pages lie under a secret path (``base``). Every request must carry the
/// token printed with the address, in the query (`?token=`, answered with
/// a cookie for that path, and taken out of the address bar by the page's
/// script) or in that cookie; a request without it gets 403. A `Host` that
/// is not the address listened on (or `localhost`) with the port served is
/// refused too, so a web page that points a name of its own at 127.0.0.1 (DNS
/// rebinding) reads nothing. Only GET and HEAD are answered: no request
/// changes the repository.
public struct UIServer: Sendable {
  /// The pages.
  public var site: UISite
  /// The address to listen on (`127.0.0.1` unless asked otherwise).
  public var host: String
  /// The port; 0 picks a free one.
  public var port: Int
  /// The secret every request must carry.
  public let token: String
  /// The secret path every page lies under (`/ui-…`), and the path of the
  /// token's cookie: browsers send a cookie of 127.0.0.1 to every port of
  /// it, but only for paths under its own, so a server another user runs
  /// on another port never receives it.
  public let base: String

  /// A server for `site` on `host:port` with a new random token and path.
  public init(site: UISite, host: String, port: Int) {
    self.site = site
    self.host = host
    self.port = port
    token = Self.randomHex(bytes: 32)
    base = "/ui-" + Self.randomHex(bytes: 12)
  }

  private static func randomHex(bytes: Int) -> String {
    SymmetricKey(size: SymmetricKeySize(bitCount: bytes * 8)).withUnsafeBytes { key in
      key.map { String($0, radix: 16).leftPadded(2) }.joined()
    }
  }

  /// Serves until SIGINT or SIGTERM, calling `ready` with the address to
  /// open (the token in it) and the port once listening.
  public func run(ready: @escaping @Sendable (_ address: String, _ port: Int) -> Void) async throws
  {
    let box = PortBox()
    let server = self
    let responder = CallbackResponder { (request: Request, _: BasicRequestContext) in
      await server.answer(request, port: box.port)
    }
    var logger = Logger(label: "art-ui", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    let app = Application(
      responder: responder,
      server: .http1(
        configuration: .init(
          // A client that stops reading is dropped after two minutes, so a
          // stalled download holds the repository lock no longer than that.
          additionalChannelHandlers: [
            IdleStateHandler(writeTimeout: .seconds(120)), CloseWhenIdle(),
          ])),
      configuration: ApplicationConfiguration(
        address: .hostname(host, port: port), serverName: nil),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? server.port
        box.set(port)
        ready("http://\(server.hostForURL):\(port)\(server.base)/?token=\(server.token)", port)
      },
      logger: logger)
    try await app.runService()
  }

  /// The host to put in the address printed: the listening address, in
  /// brackets for IPv6; 127.0.0.1 (or `[::1]`) for a wildcard address.
  var hostForURL: String {
    switch host {
    case "0.0.0.0": "127.0.0.1"
    case "::", "[::]": "[::1]"
    default: host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
  }

  /// Whether `host` names this machine only: `localhost`, `::1` or
  /// 127.x.x.x.
  public static func isLoopback(_ host: String) -> Bool {
    let lower = host.lowercased()
    if lower == "localhost" || lower == "::1" || lower == "[::1]" { return true }
    return ipv4(lower)?.first == 127
  }

  /// The four numbers of a dotted IPv4 address, or nil.
  static func ipv4(_ text: String) -> [Int]? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let numbers = parts.compactMap { part -> Int? in
      guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber)
      else { return nil }
      return Int(part).flatMap { $0 <= 255 ? $0 : nil }
    }
    return parts.count == 4 && numbers.count == 4 ? numbers : nil
  }

  /// Whether a request's `Host` names this server, listening on `bound`.
  ///
  /// That is the address listened on (or `localhost` when it is a
  /// loopback address; any IP address for a wildcard one), with the port
  /// served (80 when left out). A name that resolves here — a DNS
  /// rebinding attack's — is refused.
  static func isOwnHost(_ authority: String, port: Int, bound: String) -> Bool {
    let lower = authority.lowercased()
    var host = lower
    var given = "80"
    if lower.hasPrefix("[") {
      guard let close = lower.firstIndex(of: "]") else { return false }
      host = String(lower[lower.index(after: lower.startIndex)..<close])
      let rest = lower[lower.index(after: close)...]
      if !rest.isEmpty {
        guard rest.hasPrefix(":") else { return false }
        given = String(rest.dropFirst())
      }
      guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." })
      else { return false }
    } else {
      if let colon = lower.lastIndex(of: ":") {
        host = String(lower[..<colon])
        given = String(lower[lower.index(after: colon)...])
      }
      guard host == "localhost" || ipv4(host) != nil else { return false }
    }
    guard given == "\(port)" else { return false }
    let listening = bound.lowercased().trimmingBrackets
    switch listening {
    case "0.0.0.0", "::": return true
    default: return host == listening || (host == "localhost" && isLoopback(listening))
    }
  }

  /// The name of the cookie holding the token (per port, so two servers
  /// on one host keep their own).
  func cookieName(port: Int) -> String { "art-ui-\(port)" }

  /// The answer to `request` on `port`: refused (403, 405) unless its
  /// `Host`, method and token check out, else the site's page.
  func answer(_ request: Request, port: Int) async -> Response {
    let authority = request.head.authority ?? ""
    guard Self.isOwnHost(authority, port: port, bound: host) else {
      return refusal(
        .forbidden,
        "refused: this server answers only to \(hostForURL):\(port), not to Host '\(authority)'")
    }
    guard request.method == .get || request.method == .head else {
      return refusal(.methodNotAllowed, "art ui is read-only: only GET and HEAD are answered")
    }
    // Pages lie under the secret base; anything else is not this server's.
    let fullPath = request.uri.path
    guard fullPath == base || fullPath.hasPrefix(base + "/") else {
      return refusal(.notFound, "no such page; open the address 'art ui' printed")
    }
    let path = fullPath == base ? "/" : String(fullPath.dropFirst(base.count))
    let query = request.uri.query ?? ""
    let items = QueryItem.parse(query[...])
    let cookie = cookieName(port: port)
    let presented = items.first { $0.name == "token" }?.value
    if let presented {
      guard Self.same(presented, token) else {
        return refusal(.forbidden, "refused: wrong token; open the address 'art ui' printed")
      }
      // Answered as asked, with the token kept in a cookie for the pages
      // the links lead to (a redirect would lose it in browsers that drop
      // cookies set on a redirect).
      let rest = Location(path: "/", query: items.filter { $0.name != "token" }).queryString
      var response = Self.httpResponse(
        await site.respond(path: path, query: rest, base: base),
        head: request.method == .head)
      response.headers[.setCookie] =
        "\(cookie)=\(token); Path=\(base)/; HttpOnly; SameSite=Strict"
      return response
    }
    guard
      Self.cookies(request.headers[values: .cookie]).contains(where: {
        $0.name == cookie && Self.same($0.value, token)
      })
    else {
      return refusal(
        .forbidden, "refused: no token; open the address 'art ui' printed (it carries the token)")
    }
    let response = await site.respond(path: path, query: query, base: base)
    return Self.httpResponse(response, head: request.method == .head)
  }

  static let pagePolicy = Chrome.pagePolicy + "; frame-ancestors 'none'"

  static func securityHeaders(policy: String) -> HTTPFields {
    var headers = HTTPFields()
    headers[.contentSecurityPolicy] = policy
    headers[.xContentTypeOptions] = "nosniff"
    for (name, value) in [
      ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
      ("Cross-Origin-Resource-Policy", "same-origin"),
    ] {
      if let field = HTTPField.Name(name) { headers[field] = value }
    }
    headers[.cacheControl] = "no-store"
    return headers
  }

  private func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
    var headers = Self.securityHeaders(policy: Self.pagePolicy)
    headers[.contentType] = "text/plain; charset=utf-8"
    return Response(
      status: status, headers: headers,
      body: ResponseBody(byteBuffer: ByteBuffer(string: "art ui: \(message)\n")))
  }

  /// `response` as HTTP, with the security headers (a page's own policy
  /// replacing the default one); a file's content streamed.
  static func httpResponse(_ response: UIResponse, head: Bool) -> Response {
    var policy = pagePolicy
    var headers = HTTPFields()
    for (name, value) in response.headers {
      if name.lowercased() == "content-security-policy" {
        policy = value
      } else if let field = HTTPField.Name(name) {
        headers[field] = value
      }
    }
    headers.append(contentsOf: securityHeaders(policy: policy))
    headers[.contentType] = response.contentType
    let status = HTTPResponse.Status(code: response.status)
    switch response.body {
    case .text(let text):
      let buffer = ByteBuffer(string: text)
      headers[.contentLength] = "\(buffer.readableBytes)"
      return Response(
        status: status, headers: headers,
        body: head ? ResponseBody() : ResponseBody(byteBuffer: buffer))
    case .content(let id, let size, let repository):
      headers[.contentLength] = "\(size)"
      if head { return Response(status: status, headers: headers) }
      let body = ResponseBody(contentLength: Int(clamping: size)) { writer in
        // The repository (and its lock) lives until the last piece is out.
        let content = ContentStream(id, size: size, store: repository.store)
        try await content.forEach { piece in try await writer.write(ByteBuffer(bytes: piece)) }
        try await writer.finish(nil)
      }
      return Response(status: status, headers: headers, body: body)
    }
  }

  /// `a=1; b=2` as pairs.
  static func cookies(_ headers: [String]) -> [(name: String, value: String)] {
    headers.flatMap { $0.split(separator: ";") }.compactMap { pair in
      let parts = pair.split(separator: "=", maxSplits: 1)
      guard parts.count == 2 else { return nil }
      return (String(parts[0]).trimmingWhitespace(), String(parts[1]).trimmingWhitespace())
    }
  }

  /// Compares in time independent of where the strings differ.
  static func same(_ a: String, _ b: String) -> Bool {
    let (x, y) = (Array(a.utf8), Array(b.utf8))
    guard x.count == y.count else { return false }
    return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
  }
}

/// Closes a connection whose writes stalled (an `IdleStateHandler` event).
private final class CloseWhenIdle: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = NIOAny

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is IdleStateHandler.IdleStateEvent {
      context.close(promise: nil)
    } else {
      context.fireUserInboundEventTriggered(event)
    }
  }
}

/// The port the server got, once it listens.
private final class PortBox: Sendable {
  private let value = Mutex(0)
  var port: Int { value.withLock { $0 } }
  func set(_ port: Int) { value.withLock { $0 = port } }
}

extension String {
  /// Without the brackets around an IPv6 address.
  fileprivate var trimmingBrackets: String {
    hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
  }
}
