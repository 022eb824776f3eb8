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

    /// Whether the entry is file content (whole or chunked).
    public var isFile: Bool { self == .file || self == .chunked }

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
  public var isFile: Bool { kind.isFile }

  /// Why `name` cannot be stored, or nil when it can.
  public static func problem(withName name: [UInt8]) -> String? {
    name.withUnsafeBufferPointer { problem(withName: $0) }
  }

  /// Why the name `bytes` hold cannot be stored, or nil when it can: one
  /// pass over the bytes, with UTF-8 checked only when one is not ASCII.
  static func problem(withName name: UnsafeBufferPointer<UInt8>) -> String? {
    switch name.count {
    case 0: return "an empty name"
    case 1 where name[0] == 0x2E, 2 where name[0] == 0x2E && name[1] == 0x2E:
      return "a name of '.' or '..'"
    // `.art` anywhere would make its folder a repository for whoever works there.
    case 4 where name.elementsEqual(".art".utf8):
      return "the name '.art', which art keeps for repositories"
    default: break
    }
    var ascii = true
    for byte in name {
      if byte == 0x2F || byte == 0 { return "a '/' or NUL in its name" }
      if byte == 0x0A { return "a newline in its name" }
      if byte >= 0x80 { ascii = false }
    }
    if !ascii, String(validating: name, as: UTF8.self) == nil {
      return "a name that is not UTF-8"
    }
    return nil
  }

  /// Why `name` cannot be stored, or nil when it can.
  static func problem(withName name: String) -> String? {
    name.utf8.withContiguousStorageIfAvailable { problem(withName: $0) }
      ?? problem(withName: Array(name.utf8))
  }

  /// Whether `a`'s UTF-8 bytes sort before `b`'s (the order of a manifest).
  static func precedes(_ a: String, _ b: String) -> Bool { order(a, b) < 0 }

  /// The order of `a`'s and `b`'s UTF-8 bytes: negative when `a` comes first,
  /// zero when they are the same bytes.
  static func order(_ a: String, _ b: String) -> Int {
    let fast = a.utf8.withContiguousStorageIfAvailable { a in
      b.utf8.withContiguousStorageIfAvailable { b in
        byteOrder(UnsafeRawBufferPointer(a), UnsafeRawBufferPointer(b))
      }
    }
    if let fast, let order = fast { return order }
    if a.utf8.elementsEqual(b.utf8) { return 0 }
    return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
  }

}
