public import ArtRemote
import ArtStore
import SystemPackage

/// Where a remote is: `[remote "NAME"]` in `.art/config`.
///
/// Credentials are never stored: they come from `AWS_ACCESS_KEY_ID` /
/// `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, or `AWS_PROFILE` with
/// `~/.aws/credentials`.
public struct RemoteSpec: Sendable, Equatable {
  /// `s3://bucket/prefix`, or an absolute folder path.
  public var url: String
  /// The S3 endpoint (`http://127.0.0.1:8333`); nil for AWS or the
  /// `AWS_ENDPOINT_URL` environment variable.
  public var endpoint: String?
  /// The S3 region; nil for `AWS_REGION`, else `us-east-1`.
  public var region: String?

  /// A remote at `url`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a URL that is neither
  ///   `s3://bucket[/prefix]` nor an absolute path, or a bad endpoint.
  public init(url: String, endpoint: String? = nil, region: String? = nil) throws {
    if url.hasPrefix("s3://") {
      let rest = url.dropFirst(5)
      let bucket = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
      let validBucket =
        (3...63).contains(bucket.count)
        && bucket.utf8.allSatisfy {
          ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 46
        }
      guard validBucket, !rest.contains("//"), !rest.split(separator: "/").contains("..") else {
        throw ArtError(
          .invalidArgument, "'\(url)' is not an S3 URL art can use",
          hint: "write s3://BUCKET or s3://BUCKET/PREFIX (bucket: 3-63 lower-case letters, "
            + "digits, '-', '.')")
      }
    } else if url.contains("://") {
      throw ArtError(
        .invalidArgument, "'\(url)' is not a remote art can use",
        hint: "give s3://BUCKET/PREFIX, or the absolute path of a folder on a shared disk")
    } else if Self.startsWithScheme(url) {
      throw ArtError(
        .invalidArgument, "'\(url)' is not a remote URL: it starts like one, without '//'",
        hint: "write s3://BUCKET/PREFIX; for a folder whose name has a ':', write "
          + "./\(url)")
    } else if !url.hasPrefix("/") {
      throw ArtError(
        .invalidArgument, "'\(url)' is not a remote URL",
        hint: "give s3://BUCKET/PREFIX, or the absolute path of a folder on a shared disk")
    }
    if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
      throw ArtError(
        .invalidArgument, "endpoint '\(endpoint)' is not an http:// or https:// URL",
        hint: "for example --endpoint http://127.0.0.1:8333")
    }
    self.url = url.count > 1 && url.hasSuffix("/") ? String(url.dropLast()) : url
    self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    self.region = region
  }

  /// Whether the remote is an S3 bucket (else a folder).
  public var isS3: Bool { url.hasPrefix("s3://") }

  /// Whether `text` begins with a URL scheme and its colon (`s3:`,
  /// `https:`), before any `/`: a URL, perhaps mistyped, not a folder.
  public static func startsWithScheme(_ text: String) -> Bool {
    guard let colon = text.firstIndex(of: ":") else { return false }
    let scheme = text[..<colon].utf8
    guard let first = scheme.first, (65...90).contains(first) || (97...122).contains(first)
    else { return false }
    return scheme.allSatisfy {
      (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 43
        || $0 == 45 || $0 == 46
    }
  }

  /// The storage this spec names, with credentials from `environment`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` when an S3 remote has no
  ///   credentials, or the credentials file is malformed.
  public func open(environment: [String: String]) throws -> any RemoteStorage {
    guard isS3 else { return FolderStorage(root: FilePath(url)) }
    let (client, prefix) = try s3Client(environment: environment)
    return S3Storage(client: client, prefix: prefix)
  }

  /// The client of an `s3://BUCKET[/KEY]` URL's bucket, and KEY (empty when
  /// none), with credentials, region and endpoint from `environment`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` when there are no
  ///   credentials, or the credentials file is malformed.
  public func s3Client(environment: [String: String]) throws -> (client: S3Client, key: String) {
    let parts = url.dropFirst(5).split(separator: "/", maxSplits: 1).map(String.init)
    let credentials: AWSCredentials?
    do {
      credentials = try AWSCredentials.standard(environment: environment)
    } catch let error as CredentialsError {
      throw ArtError(
        .invalidArgument, "cannot read the AWS credentials: \(error.description)",
        hint: "fix the credentials file, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    }
    guard let credentials else {
      throw ArtError(
        .invalidArgument, "no credentials for \(url)",
        hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with "
          + "~/.aws/credentials")
    }
    let region =
      region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
    let endpoint =
      self.endpoint ?? environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"]
      ?? "https://s3.\(region).amazonaws.com"
    let client = S3Client(
      endpoint: endpoint, bucket: parts[0], region: region, credentials: credentials)
    return (client, parts.count > 1 ? parts[1] : "")
  }

  /// The remotes among config `values` (`remote "NAME".key` → value, line).
  static func parse(
    _ values: [String: (String, Int)], malformed: (Int, String) -> ArtError
  ) throws -> [String: RemoteSpec] {
    var fields: [String: [String: (String, Int)]] = [:]
    for (key, value) in values where key.hasPrefix("remote \"") {
      let rest = key.dropFirst("remote \"".count)
      guard let close = rest.firstIndex(of: "\""), rest[rest.index(after: close)...].first == "."
      else {
        throw malformed(value.1, "expected [remote \"NAME\"] with 'url = s3://BUCKET/PREFIX'")
      }
      let name = String(rest[..<close])
      fields[name, default: [:]][String(rest[rest.index(close, offsetBy: 2)...])] = value
    }
    var remotes: [String: RemoteSpec] = [:]
    for (name, values) in fields {
      guard isValidLabel(name) else {
        throw malformed(values.first?.value.1 ?? 0, "bad remote name '\(name)'")
      }
      guard let (url, line) = values["url"] else {
        throw malformed(values.first?.value.1 ?? 0, "remote '\(name)' has no url")
      }
      for (key, (_, line)) in values where !["url", "endpoint", "region"].contains(key) {
        throw malformed(line, "unknown setting '\(key)' for remote '\(name)'")
      }
      do {
        remotes[name] = try RemoteSpec(
          url: url, endpoint: values["endpoint"]?.0, region: values["region"]?.0)
      } catch let error as ArtError {
        throw malformed(line, error.message)
      }
    }
    return remotes
  }
}

extension Repository {
  /// Adds `[remote "NAME"]` to `.art/config`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a bad or taken name (a
  ///   project's name is taken too: both are `NAME/…` in specs).
  public func addRemote(_ name: String, _ spec: RemoteSpec) throws {
    guard isValidLabel(name) else {
      throw ArtError(
        .invalidArgument, "'\(name)' is not a valid remote name",
        hint: "use letters, digits, '.', '_' and '-', starting with a letter or digit")
    }
    if let existing = configuration.remotes[name] {
      throw ArtError(
        .invalidArgument, "remote '\(name)' already exists (\(existing.url))",
        hint: "remove it first with 'art remote rm \(name)'")
    }
    if configuration.projects[name] != nil {
      throw ArtError(
        .invalidArgument, "'\(name)' is already a project's name",
        hint: "pick another name: remotes and projects share NAME/artifact specs")
    }
    var text = "[remote \"\(name)\"]\n\turl = \(spec.url)\n"
    if let endpoint = spec.endpoint { text += "\tendpoint = \(endpoint)\n" }
    if let region = spec.region { text += "\tregion = \(region)\n" }
    try editConfig { $0 + ($0.hasSuffix("\n") ? "" : "\n") + text }
  }

  /// Removes remote `name` from `.art/config` and its local state.
  ///
  /// - Throws: ``ArtError`` `.notFound` when there is no such remote.
  public func removeRemote(_ name: String) throws {
    guard configuration.remotes[name] != nil else {
      throw ArtError(.notFound, "no remote '\(name)'", hint: "list them with 'art remote ls'")
    }
    try removeSection("remote \"\(name)\"")
    try? removeTree(layout.remote(name))
  }

  /// The remote `name` from the config.
  ///
  /// - Throws: ``ArtError`` `.notFound` naming the configured remotes.
  public func remoteSpec(_ name: String) throws -> RemoteSpec {
    guard let spec = configuration.remotes[name] else {
      let known = configuration.remotes.keys.sorted()
      throw ArtError(
        .notFound,
        "no remote '\(name)'"
          + (known.isEmpty ? " (none added)" : " (remotes: \(known.joined(separator: ", ")))"),
        hint: "add it with 'art remote add \(name) s3://BUCKET/PREFIX'")
    }
    return spec
  }
}
