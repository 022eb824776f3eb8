import ArtStore
public import SystemPackage

/// A folder of scratch files outside any repository, made new for this
/// process (mode 0700) and removed with everything in it by ``remove()``.
public final class TemporaryFolder: Sendable {
  /// Where it is.
  public let path: FilePath

  /// Makes `$TMPDIR/PREFIX-XXXXXX` (or under `/tmp`).
  ///
  /// - Throws: ``ArtError`` `.io` when it cannot be made.
  public init(prefix: String) throws {
    path = try Syscalls.makeTemporaryFolder(prefix: prefix)
  }

  /// Deletes the folder and what is in it, never following a link.
  public func remove() {
    try? removeTree(path)
  }
}
