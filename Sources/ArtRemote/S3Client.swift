import ArtStore
import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOHTTP1

/// A bucket on an S3-compatible server (AWS S3, SeaweedFS, MinIO, Ceph),
/// addressed path-style (`ENDPOINT/BUCKET/KEY`), every request signed with
/// ``SigV4Signer``.
///
/// Errors are ``ArtError``s that say what to fix: wrong credentials, a
/// missing bucket, a server that is down.
public struct S3Client: Sendable {
  /// `http://host:port` or `https://host`, without a trailing slash.
  public let endpoint: String
  /// The bucket every key is in.
  public let bucket: String
  public let signer: SigV4Signer

  /// A client for `bucket` at `endpoint`.
  public init(endpoint: String, bucket: String, region: String, credentials: AWSCredentials) {
    self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
    self.bucket = bucket
    signer = SigV4Signer(credentials: credentials, region: region)
  }

  /// What a condition on a write asks of the object already there.
  public enum Condition: Sendable {
    /// Write only if no object has the key (`If-None-Match: *`).
    case absent
    /// Write only if the object still has this ETag (`If-Match`).
    case matches(String)
  }

  /// An object's size and ETag.
  public struct ObjectInfo: Sendable, Equatable {
    /// The key, without the bucket.
    public var key: String
    /// Size in bytes.
    public var size: UInt64
    /// The ETag, quotes included.
    public var etag: String
    /// When it was written, as the server says (RFC 3339 in lists).
    public var lastModified: String = ""
  }

  /// A response: status, headers, body.
  struct Response {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
  }

  /// Creates the bucket (an existing one of ours is fine).
  public func createBucket() async throws {
    let response = try await send("PUT", key: nil)
    if response.status == 409,
      String(decoding: response.body, as: UTF8.self).contains("BucketAlreadyOwnedByYou")
    {
      return
    }
    try check(response, "create bucket '\(bucket)'")
  }

  /// Uploads `body` as `key`; returns the new ETag.
  ///
  /// - Throws: ``ArtError`` `.locked` when `condition` does not hold (the
  ///   object changed or exists), or the errors of ``send``.
  @discardableResult
  public func put(_ key: String, _ body: [UInt8], condition: Condition? = nil) async throws
    -> String
  {
    var headers: [(String, String)] = []
    switch condition {
    case .absent: headers.append(("If-None-Match", "*"))
    case .matches(let etag): headers.append(("If-Match", etag))
    case nil: break
    }
    let response = try await send(
      "PUT", key: key, headers: headers, body: body)
    if response.status == 412 || response.status == 409 {
      throw ArtError(
        .locked, "\(key) changed on the remote since it was read",
        hint: "fetch and try again")
    }
    try check(response, "upload \(key)")
    return response.headers.first(name: "ETag") ?? ""
  }

  /// The bytes of `key` (a byte range when given), or nil if there is none.
  public func get(_ key: String, range: ClosedRange<UInt64>? = nil) async throws -> [UInt8]? {
    let headers = range.map { [("Range", "bytes=\($0.lowerBound)-\($0.upperBound)")] } ?? []
    let response = try await send("GET", key: key, headers: headers)
    if response.status == 404 { return nil }
    try check(response, "download \(key)")
    return response.body
  }

  /// The bytes and ETag of `key`, or nil if there is none.
  public func getTagged(_ key: String) async throws -> (bytes: [UInt8], etag: String)? {
    let response = try await send("GET", key: key)
    if response.status == 404 { return nil }
    try check(response, "download \(key)")
    return (response.body, response.headers.first(name: "ETag") ?? "")
  }

  /// The size and ETag of `key`, or nil if there is none.
  public func head(_ key: String) async throws -> ObjectInfo? {
    let response = try await send("HEAD", key: key)
    if response.status == 404 { return nil }
    try check(response, "look up \(key)")
    return ObjectInfo(
      key: key, size: response.headers.first(name: "Content-Length").flatMap { UInt64($0) } ?? 0,
      etag: response.headers.first(name: "ETag") ?? "")
  }

  /// Deletes `key` (a missing one is fine).
  public func delete(_ key: String) async throws {
    let response = try await send("DELETE", key: key)
    if response.status == 404 { return }
    try check(response, "delete \(key)")
  }

  /// Every object whose key starts with `prefix` (ListObjectsV2, page by page).
  public func list(prefix: String) async throws -> [ObjectInfo] {
    var result: [ObjectInfo] = []
    var token: String? = nil
    repeat {
      var query = [("list-type", "2"), ("prefix", prefix)]
      if let token { query.append(("continuation-token", token)) }
      let response = try await send("GET", key: nil, query: query)
      try check(response, "list \(prefix)")
      let xml = String(decoding: response.body, as: UTF8.self)
      for contents in Self.elements("Contents", in: xml) {
        result.append(
          ObjectInfo(
            key: Self.unescape(Self.elements("Key", in: contents).first ?? ""),
            size: UInt64(Self.elements("Size", in: contents).first ?? "") ?? 0,
            etag: Self.unescape(Self.elements("ETag", in: contents).first ?? ""),
            lastModified: Self.elements("LastModified", in: contents).first ?? ""))
      }
      token =
        Self.elements("IsTruncated", in: xml).first == "true"
        ? Self.elements("NextContinuationToken", in: xml).first.map(Self.unescape) : nil
    } while token != nil
    return result
  }

  /// How many times a request is tried when the server is busy, failing
  /// (5xx, `SlowDown`) or unreachable: `ART_REMOTE_ATTEMPTS`, default 4.
  static let attempts: Int = {
    let text = ProcessInfo.processInfo.environment["ART_REMOTE_ATTEMPTS"] ?? ""
    return Int(text).map { max(1, $0) } ?? 4
  }()

  /// Sends one signed request and reads the whole response.
  ///
  /// The body is signed with its SHA-256 (pack data goes through
  /// ``put(_:buffer:query:)`` unsigned instead: its records carry their own
  /// checksums). 5xx answers, throttling and broken connections are retried
  /// with exponential backoff (0.2 s, 0.4 s, 0.8 s … with jitter).
  func send(
    _ method: String, key: String?, query: [(String, String)] = [],
    headers: [(String, String)] = [], body: [UInt8] = []
  ) async throws -> Response {
    let payloadHash =
      body.isEmpty ? SigV4Signer.emptyPayloadHash : ObjectHasher.id(of: body).hex
    return try await send(
      method, key: key, query: query, headers: headers,
      body: body.isEmpty && method != "PUT" && method != "POST" ? nil : ByteBuffer(bytes: body),
      payloadHash: payloadHash, consume: nil)
  }

  /// The same, with a body already in a buffer; with `consume`, a 2xx
  /// response's body is handed to it piece by piece instead of collected
  /// (a retry hands it again from the start).
  func send(
    _ method: String, key: String?, query: [(String, String)] = [],
    headers: [(String, String)] = [], body: ByteBuffer?, payloadHash: String,
    consume: (@Sendable (ByteBuffer, Int) throws -> Void)?
  ) async throws -> Response {
    var attempt = 0
    while true {
      attempt += 1
      do {
        let response = try await sendOnce(
          method, key: key, query: query, headers: headers, body: body, payloadHash: payloadHash,
          consume: consume)
        let busy = response.status >= 500 || response.status == 429
        if busy, attempt < Self.attempts {
          try await backoff(attempt)
          continue
        }
        return response
      } catch let error as ArtError {
        // No answer at all: once more only, since each try waits for the
        // connect timeout (5 s) when the server is down.
        if attempt >= min(Self.attempts, 2) { throw error }
        try await backoff(attempt)
      }
    }
  }

  private func backoff(_ attempt: Int) async throws {
    let base = 0.2 * Double(1 << min(attempt - 1, 6))
    try await Task.sleep(for: .seconds(base * Double.random(in: 0.75...1.25)))
  }

  private func sendOnce(
    _ method: String, key: String?, query: [(String, String)], headers: [(String, String)],
    body: ByteBuffer?, payloadHash: String,
    consume: (@Sendable (ByteBuffer, Int) throws -> Void)?
  ) async throws -> Response {
    let path = "/" + bucket + (key.map { "/" + $0 } ?? "")
    let host =
      endpoint.split(separator: "/", maxSplits: 3).dropFirst(1).first.map(String.init) ?? ""
    let signed = signer.sign(
      method: method, path: path, query: query, headers: [("host", host)] + headers,
      payloadHash: payloadHash, date: Date())
    let queryText = SigV4Signer.canonicalQuery(query)
    var request = HTTPClientRequest(
      url: endpoint + SigV4Signer.uriEncode(path, encodeSlash: false)
        + (queryText.isEmpty ? "" : "?" + queryText))
    request.method = HTTPMethod(rawValue: method)
    for (name, value) in headers + signed { request.headers.add(name: name, value: value) }
    if let body {
      request.body = .bytes(body)
      request.headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)")
    }
    let response: HTTPClientResponse
    do {
      response = try await sharedHTTPClient.execute(request, deadline: .now() + .minutes(30))
    } catch {
      throw unreachable(error)
    }
    var bytes: [UInt8] = []
    do {
      if method != "HEAD" {
        if let consume, (200..<300).contains(Int(response.status.code)) {
          var offset = 0
          for try await buffer in response.body {
            try consume(buffer, offset)
            offset += buffer.readableBytes
          }
        } else {
          if let length = response.headers.first(name: "Content-Length").flatMap({ Int($0) }) {
            bytes.reserveCapacity(length)
          }
          for try await buffer in response.body { bytes += buffer.readableBytesView }
        }
      }
    } catch let error as ArtError where error.code != .io {
      throw error
    } catch {
      throw unreachable(error)
    }
    return Response(status: Int(response.status.code), headers: response.headers, body: bytes)
  }

  private func unreachable(_ error: any Error) -> ArtError {
    if let error = error as? ArtError { return error }
    return ArtError(
      .io, "cannot reach the remote at \(endpoint)",
      hint: "check the endpoint and that the server is up", underlying: error)
  }

  /// Writes bytes `range` of `key` through `write(buffer, offset in the
  /// range)` as they arrive, without holding the range in memory.
  ///
  /// - Throws: ``ArtError`` `.notFound` when there is no such object, or
  ///   the errors of the request and of `write`.
  public func download(
    _ key: String, range: Range<UInt64>,
    write: @escaping @Sendable (ByteBuffer, Int) throws -> Void
  ) async throws {
    let response = try await send(
      "GET", key: key, headers: [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")],
      body: nil, payloadHash: SigV4Signer.emptyPayloadHash, consume: write)
    if response.status == 404 {
      throw ArtError(.notFound, "\(bucket)/\(key) is missing")
    }
    try check(response, "download \(key)")
  }

  /// Uploads `body` as `key` without signing its content (pack data).
  public func put(_ key: String, buffer body: ByteBuffer, query: [(String, String)] = [])
    async throws -> String
  {
    let response = try await send(
      "PUT", key: key, query: query, body: body, payloadHash: "UNSIGNED-PAYLOAD", consume: nil)
    try check(response, "upload \(key)")
    return response.headers.first(name: "ETag") ?? ""
  }

  /// Turns an error response into an ``ArtError`` naming what to fix.
  func check(_ response: Response, _ action: String) throws {
    guard !(200..<300).contains(response.status) else { return }
    let xml = String(decoding: response.body, as: UTF8.self)
    let code = Self.elements("Code", in: xml).first ?? "HTTP \(response.status)"
    switch code {
    case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied":
      throw ArtError(
        .io, "the remote refuses the credentials (\(code)) to \(action)",
        hint: "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
    case "NoSuchBucket":
      throw ArtError(
        .notFound, "the remote has no bucket '\(bucket)'",
        hint: "create it, or check the remote's URL")
    default:
      throw ArtError(.io, "the remote answered \(code) to \(action)")
    }
  }

  /// The text inside every `<name>…</name>` of `xml`.
  static func elements(_ name: String, in xml: String) -> [String] {
    var result: [String] = []
    var rest = xml[...]
    while let open = rest.range(of: "<\(name)>") {
      guard let close = rest[open.upperBound...].range(of: "</\(name)>") else { break }
      result.append(String(rest[open.upperBound..<close.lowerBound]))
      rest = rest[close.upperBound...]
    }
    return result
  }

  /// Decodes XML entities: the five named ones and `&#NN;` / `&#xNN;`
  /// (SeaweedFS writes quotes as `&#34;`).
  static func unescape(_ text: String) -> String {
    guard text.contains("&") else { return text }
    var out = ""
    var rest = text[...]
    while let amp = rest.firstIndex(of: "&") {
      out += rest[..<amp]
      guard let semicolon = rest[amp...].firstIndex(of: ";"),
        rest.distance(from: amp, to: semicolon) <= 10
      else {
        out += "&"
        rest = rest[rest.index(after: amp)...]
        continue
      }
      let name = rest[rest.index(after: amp)..<semicolon]
      let named = ["quot": "\"", "lt": "<", "gt": ">", "apos": "'", "amp": "&"]
      if let value = named[String(name)] {
        out += value
      } else if name.hasPrefix("#x"), let code = UInt32(name.dropFirst(2), radix: 16),
        let scalar = Unicode.Scalar(code)
      {
        out.unicodeScalars.append(scalar)
      } else if name.hasPrefix("#"), let code = UInt32(name.dropFirst()),
        let scalar = Unicode.Scalar(code)
      {
        out.unicodeScalars.append(scalar)
      } else {
        out += rest[amp...semicolon]
      }
      rest = rest[rest.index(after: semicolon)...]
    }
    return out + rest
  }
}
