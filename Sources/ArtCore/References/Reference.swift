public import ArtStore

/// A file whose bytes stay outside the store: where it is and how to tell
/// whether it is still what was recorded.
///
/// Layout, format version 1 (little-endian; "string" is a u32 byte length
/// then UTF-8):
///
/// | field          | encoding                                      |
/// |----------------|-----------------------------------------------|
/// | magic, version | `ARTR`, u8 = 1, 3 zero bytes                  |
/// | uri            | string: `file:///…`, `http(s)://…`, `s3://…`   |
/// | size           | u64 bytes                                     |
/// | sha256         | u8 0/1, then 32 bytes if 1                    |
/// | etag           | string (HTTP `ETag`, or empty)                |
/// | last modified  | string (HTTP `Last-Modified`, or empty)       |
public struct Reference: Sendable, Equatable {
  /// Where the bytes are.
  public var uri: String
  /// Their length when recorded.
  public var size: UInt64
  /// Their SHA-256 when recorded (always for files; for URLs with `--checksum`).
  public var sha256: ObjectID?
  /// The server's `ETag` when recorded, or empty.
  public var etag: String
  /// The server's `Last-Modified` when recorded, or empty.
  public var lastModified: String

  static let magic: [UInt8] = Array("ARTR".utf8)

  /// A reference with every field given.
  public init(
    uri: String, size: UInt64, sha256: ObjectID?, etag: String = "", lastModified: String = ""
  ) {
    self.uri = uri
    self.size = size
    self.sha256 = sha256
    self.etag = etag
    self.lastModified = lastModified
  }

  /// The canonical bytes.
  public func encoded() -> [UInt8] {
    var out = ByteWriter()
    out.append(Self.magic)
    out.append([1, 0, 0, 0])
    out.append(string: uri)
    out.append(size)
    if let sha256 {
      out.append(UInt8(1))
      out.append(sha256)
    } else {
      out.append(UInt8(0))
    }
    out.append(string: etag)
    out.append(string: lastModified)
    return out.bytes
  }

  /// Parses a reference object; errors name `id`.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData`, or `.unsupportedFormat`.
  public init(decoding bytes: [UInt8], id: ObjectID) throws {
    var subject: String { "reference \(id)" }
    var r = ByteReader(bytes, subject: subject)
    try r.objectHeader(magic: Self.magic)
    uri = try r.string()
    size = try r.uint64()
    sha256 = try r.uint8() == 1 ? try r.objectID() : nil
    etag = try r.string()
    lastModified = try r.string()
    guard r.remaining == 0 else {
      throw ArtError.corrupt(subject, "\(r.remaining) bytes after the last field")
    }
    guard ReferenceScheme(uri) != nil else {
      throw ArtError.corrupt(subject, "'\(uri)' is not a file or http(s) URI")
    }
  }

  /// The local path of a `file://` reference, or nil.
  public var filePath: String? {
    uri.hasPrefix("file://") ? String(uri.dropFirst("file://".count)) : nil
  }

  /// What is recorded to recognize the bytes, for messages:
  /// `sha256 ab12…, 1.2 MB` or `ETag "x", 1.2 MB`.
  public var recordedSummary: String {
    var parts: [String] = []
    if let sha256 { parts.append("sha256 \(sha256.prefix(12))") }
    if !etag.isEmpty { parts.append("ETag \(etag)") }
    if etag.isEmpty, !lastModified.isEmpty { parts.append("Last-Modified \(lastModified)") }
    parts.append("\(size) bytes")
    return parts.joined(separator: ", ")
  }
}

/// The kinds of place a reference can point to.
public enum ReferenceScheme: Sendable {
  case file, http, s3

  /// The scheme of `uri`, or nil when art cannot fetch it.
  public init?(_ uri: String) {
    if uri.hasPrefix("file:///") {
      self = .file
    } else if uri.hasPrefix("http://") || uri.hasPrefix("https://") {
      self = .http
    } else if uri.hasPrefix("s3://") {
      self = .s3
    } else {
      return nil
    }
  }
}

extension ObjectStore {
  /// Reads and parses the reference `id`.
  ///
  /// - Throws: ``ArtError`` with code `.notFound`, `.corruptData`, or
  ///   `.invalidArgument` when `id` is some other kind of object.
  public func reference(_ id: ObjectID) throws -> Reference {
    try Reference(decoding: read(id, as: .reference), id: id)
  }
}
