import Crypto
import Foundation

/// AWS credentials: an access key, its secret, and a session token for
/// temporary ones.
public struct AWSCredentials: Sendable, Equatable {
  public var accessKeyID: String
  public var secretAccessKey: String
  public var sessionToken: String?

  public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
    self.accessKeyID = accessKeyID
    self.secretAccessKey = secretAccessKey
    self.sessionToken = sessionToken
  }

  /// Credentials from the standard places, in AWS's order: the
  /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`)
  /// variables, else profile `AWS_PROFILE` (default `default`) of
  /// `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`).
  ///
  /// Returns nil when none are set; throws when the file is unreadable or
  /// the profile lacks a key.
  public static func standard(environment: [String: String]) throws -> AWSCredentials? {
    if let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty,
      let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
    {
      return AWSCredentials(
        accessKeyID: key, secretAccessKey: secret,
        sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }
    let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
    let path =
      environment["AWS_SHARED_CREDENTIALS_FILE"]
      ?? (environment["HOME"].map { $0 + "/.aws/credentials" } ?? "")
    guard !path.isEmpty, FileManager.default.fileExists(atPath: path) else {
      if environment["AWS_PROFILE"] != nil {
        throw CredentialsError("AWS_PROFILE is '\(profile)' but there is no '\(path)'")
      }
      return nil
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw CredentialsError("cannot read '\(path)'")
    }
    let values = parseProfile(text, profile: profile)
    guard !values.isEmpty else {
      if environment["AWS_PROFILE"] != nil {
        throw CredentialsError("'\(path)' has no profile [\(profile)]")
      }
      return nil
    }
    guard let key = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
      throw CredentialsError(
        "profile [\(profile)] of '\(path)' lacks aws_access_key_id or aws_secret_access_key")
    }
    return AWSCredentials(
      accessKeyID: key, secretAccessKey: secret, sessionToken: values["aws_session_token"])
  }

  /// The `key = value` lines of `[profile]` in an INI-style credentials file.
  static func parseProfile(_ text: String, profile: String) -> [String: String] {
    var values: [String: String] = [:]
    var inProfile = false
    for raw in text.split(whereSeparator: \.isNewline) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasPrefix("[") && line.hasSuffix("]") {
        inProfile = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces) == profile
        continue
      }
      guard inProfile, let equals = line.firstIndex(of: "=") else { continue }
      values[line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()] =
        line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
    }
    return values
  }
}

/// Why credentials could not be read.
public struct CredentialsError: Error, CustomStringConvertible, Sendable {
  public var description: String
  init(_ description: String) { self.description = description }
}

/// AWS Signature Version 4 over HTTP headers, as S3 uses it.
///
/// The canonical request is: method, the URI-encoded path, the sorted and
/// encoded query, each signed header as `name:value` (lower-case names,
/// trimmed values, sorted), the signed header names, and the payload's
/// SHA-256 in hex. The signature is HMAC-SHA256 of the string to sign under
/// a key derived from the secret, the date, the region and the service.
public struct SigV4Signer: Sendable {
  public var credentials: AWSCredentials
  public var region: String
  public var service: String

  public init(credentials: AWSCredentials, region: String, service: String = "s3") {
    self.credentials = credentials
    self.region = region
    self.service = service
  }

  /// The SHA-256 of an empty payload, in hex.
  public static let emptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

  /// Signs a request.
  ///
  /// - Parameters:
  ///   - method: `GET`, `PUT`, …
  ///   - path: the path as sent, not yet encoded (`/bucket/key name`).
  ///   - query: the query parameters, not yet encoded.
  ///   - headers: the other headers to sign, `host` among them.
  ///   - payloadHash: the body's SHA-256 in hex (or `UNSIGNED-PAYLOAD`).
  ///   - date: the request time.
  /// - Returns: the headers to add: `x-amz-date`, `x-amz-content-sha256`
  ///   (for S3), `x-amz-security-token` (with a session token) and
  ///   `authorization`.
  public func sign(
    method: String, path: String, query: [(String, String)] = [], headers: [(String, String)],
    payloadHash: String, date: Date
  ) -> [(String, String)] {
    let (amzDate, day) = Self.timestamps(date)
    var added: [(String, String)] = [("x-amz-date", amzDate)]
    if service == "s3" { added.append(("x-amz-content-sha256", payloadHash)) }
    if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
    var signed: [String: String] = [:]
    for (name, value) in headers + added {
      let key = name.lowercased()
      let trimmed = Self.collapseSpaces(value)
      signed[key] = signed[key].map { $0 + "," + trimmed } ?? trimmed
    }
    let names = signed.keys.sorted()
    let canonical = [
      method,
      Self.uriEncode(path, encodeSlash: false),
      Self.canonicalQuery(query),
      names.map { "\($0):\(signed[$0] ?? "")\n" }.joined(),
      names.joined(separator: ";"),
      payloadHash,
    ].joined(separator: "\n")
    let scope = "\(day)/\(region)/\(service)/aws4_request"
    let stringToSign = [
      "AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Data(canonical.utf8))),
    ].joined(separator: "\n")
    var key = SymmetricKey(data: Data(("AWS4" + credentials.secretAccessKey).utf8))
    for part in [day, region, service, "aws4_request"] {
      key = SymmetricKey(
        data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
    }
    let signature = Self.hex(
      HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    added.append(
      (
        "authorization",
        "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
          + "SignedHeaders=\(names.joined(separator: ";")), Signature=\(signature)"
      ))
    return added
  }

  /// `20130524T000000Z` and `20130524` for `date` (UTC).
  static func timestamps(_ date: Date) -> (String, String) {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
    let day = "\(c.year ?? 1970)\(two(c.month))\(two(c.day))"
    return (day + "T\(two(c.hour))\(two(c.minute))\(two(c.second))Z", day)
  }

  /// RFC 3986 encoding as SigV4 wants it: unreserved characters kept,
  /// everything else `%XX` in upper case; `/` kept unless `encodeSlash`.
  public static func uriEncode(_ text: String, encodeSlash: Bool) -> String {
    var out = ""
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
        UInt8(ascii: "."), UInt8(ascii: "~"):
        out.append(Character(UnicodeScalar(byte)))
      case UInt8(ascii: "/") where !encodeSlash:
        out.append("/")
      default:
        let digits = Array("0123456789ABCDEF")
        out += "%\(digits[Int(byte >> 4)])\(digits[Int(byte & 15)])"
      }
    }
    return out
  }

  /// Query parameters encoded and sorted by name, then value.
  public static func canonicalQuery(_ query: [(String, String)]) -> String {
    query.map { (uriEncode($0.0, encodeSlash: true), uriEncode($0.1, encodeSlash: true)) }
      .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
      .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
  }

  private static func collapseSpaces(_ value: String) -> String {
    value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
      .trimmingCharacters(in: .whitespaces)
  }

  private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
  }
}
