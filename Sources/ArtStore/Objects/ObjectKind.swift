/// What an object holds.
///
/// Raw values are on disk and never renumbered.
public enum ObjectKind: UInt8, CaseIterable, Sendable, CustomStringConvertible {
  /// A whole small file's bytes, or one chunk of a large file.
  case blob = 1
  /// The ordered chunks of one large file; its id is the file's SHA-256.
  case chunkList = 2
  /// One folder's listing.
  case manifest = 3
  /// One version of an artifact.
  case version = 4
  /// Where a file outside the store is, and how to recognize it.
  case reference = 5
  /// A zstd dictionary that the pack holding it compresses small objects
  /// against; no version names it, and it never leaves its pack.
  case dictionary = 6

  /// The four bytes every object of this kind starts with (`ARTC`,
  /// `ARTM`, `ARTV`, `ARTR`); nil for blobs and dictionaries (zstd's own
  /// magic, checked when one is read).
  ///
  /// Checked with the hash: a file's bytes, which hash to the file's id,
  /// cannot pass for a folder or a record under that id.
  public var magic: [UInt8]? {
    switch self {
    case .chunkList: Array("ARTC".utf8)
    case .manifest: Array("ARTM".utf8)
    case .version: Array("ARTV".utf8)
    case .reference: Array("ARTR".utf8)
    case .blob, .dictionary: nil
    }
  }

  /// The name `cat-object -t` prints.
  public var description: String {
    switch self {
    case .blob: "blob"
    case .chunkList: "chunklist"
    case .manifest: "manifest"
    case .version: "version"
    case .reference: "reference"
    case .dictionary: "dictionary"
    }
  }
}
