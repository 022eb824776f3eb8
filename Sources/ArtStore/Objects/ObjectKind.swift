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
