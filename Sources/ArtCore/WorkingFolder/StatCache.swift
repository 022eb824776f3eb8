public import ArtStore
import SystemPackage

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

  /// Whether ``record(_:_:_:)`` changed anything since loading.
  private(set) var isDirty = false

  /// Loads the cache of `repository`, empty if missing or damaged.
  ///
  /// Parses bytes directly: a cache of 100,000 files loads in milliseconds.
  public init(repository: Repository) {
    path = repository.directory.appending("state/stat-cache")
    guard let bytes = try? AtomicFile.read(path, limit: 1 << 30) else { return }
    guard let parsed = Self.parse(bytes) else {
      isDirty = true  // damaged: rewrite it
      return
    }
    entries = parsed
  }

  private static func parse(_ bytes: [UInt8]) -> [String: Entry]? {
    let header = Array((Self.header + "\n").utf8)
    guard bytes.starts(with: header) else { return nil }
    var entries: [String: Entry] = [:]
    // About 150 bytes a line: reserve once instead of growing.
    entries.reserveCapacity(bytes.count / 120)
    var position = header.count
    let end = bytes.count
    func number(_ limit: Int) -> Int64? {
      var value: Int64 = 0
      var digits = 0
      while position < limit, bytes[position] != UInt8(ascii: " ") {
        let digit = bytes[position] &- UInt8(ascii: "0")
        guard digit < 10, digits < 19 else { return nil }
        value = value * 10 + Int64(digit)
        digits += 1
        position += 1
      }
      guard digits > 0, position < limit else { return nil }
      position += 1  // the space
      return value
    }
    while position < end {
      guard let newline = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
      guard let size = number(newline), let modified = number(newline),
        let changed = number(newline), let inode = number(newline), let mode = number(newline),
        position + 2 + 65 <= newline
      else { return nil }
      let chunked = bytes[position] == UInt8(ascii: "c")
      position += 2
      let id = bytes[position..<position + 64].withUnsafeBytes { ObjectID(hexBytes: $0) }
      guard let id else { return nil }
      position += 65
      let file = String(decoding: bytes[position..<newline], as: UTF8.self)
      entries[file] = Entry(
        size: size, modified: modified, changed: changed, inode: UInt64(inode),
        mode: UInt32(truncatingIfNeeded: mode),
        content: StoredContent(id: id, size: UInt64(size), isChunked: chunked))
      position = newline + 1
    }
    return entries
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
    let entry = Entry(
      size: status.size, modified: status.modificationNanoseconds,
      changed: status.changeNanoseconds, inode: status.inode, mode: status.permissions,
      content: content)
    let key = file.string
    if entries[key] != entry {
      entries[key] = entry
      isDirty = true
    }
  }

  /// Writes the cache, leaving out racy entries.
  ///
  /// Failure is harmless (the next command re-hashes), so errors are
  /// returned, not thrown.
  @discardableResult
  public func write() -> ArtError? {
    if !isDirty { return nil }
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
