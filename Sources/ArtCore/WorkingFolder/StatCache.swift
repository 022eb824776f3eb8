public import ArtStore
import SystemPackage

/// Remembers, per folder and file name, the `stat` fields seen when a
/// file's content was last hashed, so an unchanged file is not read again: a
/// re-commit of an unchanged tree costs about one `fstatat` per file.
///
/// A file is trusted only if size, mtime and ctime (nanoseconds), inode and
/// mode all match. Files modified less than ``racyWindow`` before the cache
/// is written are left out of it (git's "racy clean" rule): a later write
/// within the same timestamp would keep the same mtime, so such files are
/// re-hashed next time.
///
/// File `.art/state/stat-cache`, binary, described in `Docs/FORMAT.md`. It
/// is a cache: a damaged or missing file is ignored and rebuilt.
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

    init(_ status: FileStatus, _ content: StoredContent) {
      size = status.size
      modified = status.modificationNanoseconds
      changed = status.changeNanoseconds
      inode = status.inode
      mode = status.permissions
      self.content = content
    }

    init(
      size: Int64, modified: Int64, changed: Int64, inode: UInt64, mode: UInt32,
      content: StoredContent
    ) {
      self.size = size
      self.modified = modified
      self.changed = changed
      self.inode = inode
      self.mode = mode
      self.content = content
    }

    /// The content, if `status` is the status this entry was made from.
    func content(ifUnchanged status: FileStatus) -> StoredContent? {
      guard size == status.size, modified == status.modificationNanoseconds,
        changed == status.changeNanoseconds, inode == status.inode, mode == status.permissions
      else { return nil }
      return content
    }
  }

  /// The files known in one folder, by name.
  public typealias Folder = [String: Entry]

  /// Folders by absolute path.
  private(set) var folders: [String: Folder] = [:]
  let path: FilePath

  /// Nanoseconds before the write during which a modification is "racy".
  static let racyWindow: Int64 = 2_000_000_000
  static let magic = Array("ARTSTAT".utf8) + [2]

  /// Whether anything changed since loading.
  private(set) var isDirty = false

  /// Loads the cache of `repository`, empty if missing or damaged.
  public init(repository: Repository) {
    path = repository.layout.statCache
    guard let bytes = try? AtomicFile.read(path, limit: 1 << 31) else { return }
    guard let parsed = bytes.withUnsafeBytes({ Self.parse($0) }) else {
      isDirty = true  // damaged or an older format: rewrite it
      return
    }
    folders = parsed
  }

  private static func parse(_ bytes: UnsafeRawBufferPointer) -> [String: Folder]? {
    guard bytes.count >= magic.count + 4, bytes.starts(with: magic) else { return nil }
    let end = bytes.count - 4
    guard crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<end])) == bytes.littleEndian(at: end)
    else { return nil }
    var position = magic.count
    func need(_ count: Int) -> Bool { count <= end - position }
    func text(_ count: Int) -> String {
      defer { position += count }
      return String(decoding: bytes[position..<position + count], as: UTF8.self)
    }
    var folders: [String: Folder] = [:]
    while position < end {
      guard need(8) else { return nil }
      let pathLength = Int(bytes.littleEndian(at: position, as: UInt32.self))
      let count = Int(bytes.littleEndian(at: position + 4, as: UInt32.self))
      position += 8
      guard need(pathLength) else { return nil }
      let folderPath = text(pathLength)
      var folder = Folder(minimumCapacity: count)
      for _ in 0..<count {
        guard need(2) else { return nil }
        let nameLength = Int(bytes.littleEndian(at: position, as: UInt16.self))
        position += 2
        guard need(nameLength + 69) else { return nil }
        let name = text(nameLength)
        let size: Int64 = bytes.littleEndian(at: position)
        let id = ObjectID(
          bytes: UnsafeRawBufferPointer(rebasing: bytes[position + 37..<position + 69]))
        folder[name] = Entry(
          size: size, modified: bytes.littleEndian(at: position + 8),
          changed: bytes.littleEndian(at: position + 16),
          inode: bytes.littleEndian(at: position + 24),
          mode: bytes.littleEndian(at: position + 32),
          content: StoredContent(
            id: id, size: UInt64(size), isChunked: bytes[position + 36] & 1 != 0)
        )
        position += 69
      }
      folders[folderPath] = folder
    }
    return folders
  }

  /// The files known in `folder`.
  func folder(_ folder: FilePath) -> Folder? { folders[folder.string] }

  /// The stored content of `file` if its status is unchanged.
  func lookup(_ file: FilePath, _ status: FileStatus) -> StoredContent? {
    guard let name = file.lastComponent?.string else { return nil }
    return folders[file.removingLastComponent().string]?[name]?.content(ifUnchanged: status)
  }

  /// Replaces what is known of `folder` by `files`, or, with `merging`, adds
  /// them to it.
  mutating func update(_ folder: FilePath, with files: Folder, merging: Bool) {
    let key = folder.string
    let old = folders[key]
    let new = merging ? (old ?? [:]).merging(files) { $1 } : files
    if old != new {
      folders[key] = new.isEmpty ? nil : new
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
    let limit = WallClock.milliseconds() * 1_000_000 - Self.racyWindow
    var writer = ByteWriter(capacity: folders.reduce(64) { $0 + 64 + $1.value.count * 100 })
    writer.append(Self.magic)
    for (folderPath, files) in folders.sorted(by: { $0.key < $1.key }) {
      let kept = files.filter { $0.value.modified < limit && $0.value.changed < limit }
      if kept.isEmpty { continue }
      writer.append(UInt32(folderPath.utf8.count))
      writer.append(UInt32(kept.count))
      writer.append(Array(folderPath.utf8))
      for (name, entry) in kept.sorted(by: { $0.key < $1.key }) {
        writer.append(UInt16(name.utf8.count))
        writer.append(Array(name.utf8))
        writer.append(UInt64(bitPattern: entry.size))
        writer.append(UInt64(bitPattern: entry.modified))
        writer.append(UInt64(bitPattern: entry.changed))
        writer.append(entry.inode)
        writer.append(entry.mode)
        writer.append(UInt8(entry.content.isChunked ? 1 : 0))
        writer.append(entry.content.id)
      }
    }
    var bytes = writer.bytes
    let checksum = bytes.withUnsafeBytes { crc32($0) }
    withUnsafeBytes(of: checksum.littleEndian) { bytes += $0 }
    do {
      try Syscalls.makeDirectories(path.removingLastComponent())
      try AtomicFile.write(bytes, to: path)
      return nil
    } catch {
      return error as? ArtError
    }
  }
}
