import ArtStore
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// What a server says about a resource: the parts art records and checks.
public struct HTTPResourceHead: Sendable, Equatable {
  /// The status code.
  public var status: Int
  /// `Content-Length`, when given.
  public var length: UInt64?
  /// `ETag`, or empty.
  public var etag: String
  /// `Last-Modified`, or empty.
  public var lastModified: String
}

/// HTTP(S) reads of one URL: its head, and its body streamed in pieces.
///
/// Transfers go through `sharedHTTPClient`; redirects
/// are followed. Every failure is an ``ArtError`` naming the URL.
public struct HTTPResource: Sendable {
  /// The URL, `http://` or `https://`.
  public let url: String

  /// A resource at `url`.
  public init(url: String) {
    self.url = url
  }

  /// The resource's head, from `HEAD` (or from `GET`'s head where the server
  /// refuses `HEAD`).
  ///
  /// - Throws: ``ArtError`` `.notFound` for 404/410, `.io` for any other
  ///   failure.
  public func head() async throws -> HTTPResourceHead {
    var request = HTTPClientRequest(url: url)
    request.method = .HEAD
    var head = try await Self.head(of: send(request))
    if head.status == 405 || head.status == 501 {
      let response = try await send(HTTPClientRequest(url: url))
      // The body is not read: dropping the response cancels the transfer.
      head = Self.head(of: response)
    }
    try check(head)
    return head
  }

  /// Downloads the body, giving each piece to `consume` in order, after
  /// `inspect` has seen (and may refuse) the head.
  ///
  /// - Throws: whatever `inspect` or `consume` throws; ``ArtError``
  ///   `.notFound` for 404/410 and `.io` when the transfer fails or ends
  ///   early, naming the bytes received.
  public func download(
    inspect: (HTTPResourceHead) throws -> Void,
    consume: (UnsafeRawBufferPointer) throws -> Void
  ) async throws {
    let response = try await send(HTTPClientRequest(url: url))
    let head = Self.head(of: response)
    do {
      try check(head)
      try inspect(head)
    } catch {
      throw error  // the unread body is dropped with the response
    }
    var received: UInt64 = 0
    do {
      for try await buffer in response.body {
        try buffer.withUnsafeReadableBytes { try consume($0) }
        received += UInt64(buffer.readableBytes)
      }
    } catch let error as ArtError {
      throw error
    } catch {
      throw ArtError(
        .io,
        "download of \(url) broke off after \(received)"
          + (head.length.map { " of \($0)" } ?? "") + " bytes",
        hint: "check that the server is up, then run the command again", underlying: error)
    }
    if let length = head.length, received != length {
      throw ArtError(
        .io, "download of \(url) ended after \(received) of \(length) bytes",
        hint: "check that the server is up, then run the command again")
    }
  }

  private func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
    do {
      return try await sharedHTTPClient.execute(request, deadline: .now() + .hours(24))
    } catch {
      throw ArtError(
        .io, "cannot reach \(url)", hint: "check the URL and that the server is up",
        underlying: error)
    }
  }

  private func check(_ head: HTTPResourceHead) throws {
    switch head.status {
    case 200..<300: return
    case 404, 410:
      throw ArtError(.notFound, "\(url) is not on the server (HTTP \(head.status))")
    case 401, 403:
      throw ArtError(
        .io, "the server refuses \(url) (HTTP \(head.status))",
        hint: "art sends no credentials for http(s) references; use a URL that needs none")
    default:
      throw ArtError(.io, "the server answered HTTP \(head.status) for \(url)")
    }
  }

  private static func head(of response: HTTPClientResponse) -> HTTPResourceHead {
    HTTPResourceHead(
      status: Int(response.status.code),
      length: response.headers.first(name: "Content-Length").flatMap { UInt64($0) },
      etag: response.headers.first(name: "ETag") ?? "",
      lastModified: response.headers.first(name: "Last-Modified") ?? "")
  }
}
