public import ArtStore

/// One name in a folder's manifest.
public struct ManifestEntry: Sendable, Equatable {
  /// What the entry is.
  ///
  /// Raw values are on disk and never renumbered.
  public enum Kind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A file stored as one blob; id = blob id = the file's SHA-256.
    case file = 1
    /// A file stored as chunks; id = chunk list id = the file's SHA-256.
    case chunked = 2
    /// A folder; id = its manifest.
    case folder = 3
    /// A symbolic link; id = the blob holding its target.
    case symlink = 4
    /// An external reference: a file kept outside the store; id = its
    /// ``Reference`` object.
    case external = 5
    /// A bundle entry: another version, checked out as a folder
    /// (`--reference art:SPEC`); id = its version record.
    case bundle = 6

    /// Whether the entry points outside this tree (an external reference or
    /// a bundle entry): its bytes are not the tree's own.
    public var pointsOutsideTree: Bool { self == .external || self == .bundle }

    public var description: String {
      switch self {
      case .file: "file"
      case .chunked: "chunked"
      case .folder: "manifest"
      case .symlink: "symlink"
      case .external: "reference"
      case .bundle: "version"
      }
    }
  }

  /// The entry's name: valid UTF-8, not empty, `.`, `..` or `.art`, without
  /// `/`, NUL or newline.
  public var name: String
  /// What the entry is.
  public var kind: Kind
  /// The object holding its content.
  public var id: ObjectID
  /// Bytes of content: a file's length, a link target's length, or the total
  /// of every file below a folder.
  public var size: UInt64
  /// Permission bits (`0o7777` at most).
  public var mode: UInt32

  /// An entry; `name` must already be checked with ``validateName(_:)``.
  public init(name: String, kind: Kind, id: ObjectID, size: UInt64, mode: UInt32) {
    self.name = name
    self.kind = kind
    self.id = id
    self.size = size
    self.mode = mode
  }

  /// Whether the entry is file content (whole or chunked).
  public var isFile: Bool { kind == .file || kind == .chunked }

  /// Why `name` cannot be stored, or nil when it can.
  public static func problem(withName name: [UInt8]) -> String? {
    if name.isEmpty { return "an empty name" }
    if name == [0x2E] || name == [0x2E, 0x2E] { return "a name of '.' or '..'" }
    if name.contains(0x2F) || name.contains(0) { return "a '/' or NUL in its name" }
    if name.contains(0x0A) { return "a newline in its name" }
    // `.art` anywhere would make its folder a repository for whoever works there.
    if name == Array(".art".utf8) { return "the name '.art', which art keeps for repositories" }
    if String(validating: name, as: UTF8.self) == nil { return "a name that is not UTF-8" }
    return nil
  }
}
