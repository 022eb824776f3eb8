public import ArtStore
public import SystemPackage

/// Remembers, per file path, the `stat` fields seen when its content was
/// last hashed, so an unchanged file is not read again: a re-commit of an
/// unchanged tree costs about one `lstat` per file.
///
/// A file is trusted only if size, mtime and ctime (nanoseconds), inode and
/// mode all match. Files modified less than ``racyWindow`` before the cache
/// is written are left out of it (git's "racy clean" rule): a later write
/// within the same timestamp would keep the same mtime, so such files are
/// re-hashed next time.
///
/// File `.art/state/stat-cache`: a line `# art-stat-cache v1`, then one line
/// per file: `size mtime ctime inode mode kind id path`. It is a cache: a
/// damaged or missing file is ignored and rebuilt.
public struct StatCache: Sendable {
  /// What is known about one file.
  public struct Entry: Sendable, Equatable {
    var size: Int64
    var modified: Int64
    var changed: Int64
    var inode: UInt64
    var mode: UInt32
    /// The content id and whether it is chunked.
    public var content: StoredContent
  }

  /// Entries by absolute path.
  var entries: [String: Entry] = [:]
  let path: FilePath

  /// Nanoseconds before the write during which a modification is "racy".
  static let racyWindow: Int64 = 2_000_000_000
  static let header = "# art-stat-cache v1"

  /// Loads the cache of `repository`, empty if missing or damaged.
  public init(repository: Repository) {
    path = repository.directory.appending("state/stat-cache")
    guard let bytes = try? AtomicFile.read(path, limit: 1 << 30),
      let text = String(validating: bytes, as: UTF8.self)
    else { return }
    var lines = text.split(separator: "\n")[...]
    guard lines.first == Self.header[...] else { return }
    lines = lines.dropFirst()
    for line in lines {
      let fields = line.split(separator: " ", maxSplits: 7, omittingEmptySubsequences: false)
      guard fields.count == 8, let size = Int64(fields[0]), let modified = Int64(fields[1]),
        let changed = Int64(fields[2]), let inode = UInt64(fields[3]),
        let mode = UInt32(fields[4]), let id = ObjectID(fields[6])
      else {
        entries = [:]
        return
      }
      entries[String(fields[7])] = Entry(
        size: size, modified: modified, changed: changed, inode: inode, mode: mode,
        content: StoredContent(id: id, size: UInt64(size), isChunked: fields[5] == "c"))
    }
  }

  /// The stored content of `file` if its status is unchanged.
  func lookup(_ file: FilePath, _ status: FileStatus) -> StoredContent? {
    guard let entry = entries[file.string], entry.size == status.size,
      entry.modified == status.modificationNanoseconds, entry.changed == status.changeNanoseconds,
      entry.inode == status.inode, entry.mode == status.permissions
    else { return nil }
    return entry.content
  }

  /// Records that `file`, with `status` as seen before it was read, holds `content`.
  mutating func record(_ file: FilePath, _ status: FileStatus, _ content: StoredContent) {
    entries[file.string] = Entry(
      size: status.size, modified: status.modificationNanoseconds,
      changed: status.changeNanoseconds, inode: status.inode, mode: status.permissions,
      content: content)
  }

  /// Writes the cache, leaving out racy entries.
  ///
  /// Failure is harmless (the next command re-hashes), so errors are
  /// returned, not thrown.
  @discardableResult
  public func write() -> ArtError? {
    let now = Syscalls.currentTimeMilliseconds() * 1_000_000
    var text = Self.header + "\n"
    for (file, entry) in entries.sorted(by: { $0.key < $1.key })
    where entry.modified < now - Self.racyWindow && entry.changed < now - Self.racyWindow {
      text +=
        "\(entry.size) \(entry.modified) \(entry.changed) \(entry.inode) \(entry.mode) "
        + "\(entry.content.isChunked ? "c" : "f") \(entry.content.id.hex) \(file)\n"
    }
    do {
      var folder = path
      folder.removeLastComponent()
      try Syscalls.makeDirectories(folder)
      try AtomicFile.write(Array(text.utf8), to: path)
      return nil
    } catch {
      return error as? ArtError
    }
  }
}
