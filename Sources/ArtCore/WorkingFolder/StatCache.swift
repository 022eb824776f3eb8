public import ArtStore
import Synchronization
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

  /// The files known in one folder, by the bytes of their names (two names
  /// equal as Swift strings, composed and decomposed `é`, are two files).
  public typealias Folder = [[UInt8]: Entry]

  /// The manifest a commit last wrote for a folder, reused while the
  /// folder's files match the cache and its other entries ``shape`` the same.
  public struct FolderTree: Sendable, Equatable {
    /// The manifest's id.
    public var id: ObjectID
    /// Its ``Manifest/totalSize``.
    public var size: UInt64
    /// How many files it lists (the folder's own, not below).
    public var files: UInt64
    /// A digest of the folder's entries other than files (each subfolder
    /// with its manifest, each link with its target's blob) and of how many
    /// names it skipped on purpose.
    public var shape: ObjectID
  }

  /// Where one folder's section lies in the loaded file.
  private struct Section: Sendable {
    /// Its entries.
    var entries: Range<Int>
    /// How many.
    var count: Int
    /// The folder's manifest, when the section names one.
    var tree: FolderTree?
  }

  /// Folders decoded from the loaded file, each once, shared by copies
  /// (the loaded bytes never change).
  private final class Decoded: Sendable {
    let folders = Mutex<[TreePath: Folder]>([:])
  }

  /// The file as loaded, its checksum checked.
  private var loaded: [UInt8] = []
  /// Folders of the loaded file by absolute path, decoded on first use.
  private var sections: [TreePath: Section] = [:]
  private let decoded = Decoded()
  /// Folders replaced since loading (empty when forgotten).
  private var replaced: [TreePath: Folder] = [:]
  /// Folders' manifests recorded since loading (nil when forgotten).
  private var trees: [TreePath: FolderTree?] = [:]
  /// The store's packs when the loaded file was written, sorted: while
  /// every one is still there, so is every object the file names.
  private var packs: [ObjectID] = []
  /// Whether ``check(against:)`` found every pack of ``packs`` in the store.
  private(set) var vouchesForContent = false
  let path: FilePath

  /// Nanoseconds before the write during which a modification is "racy".
  static let racyWindow: Int64 = 2_000_000_000
  static let magic = Array("ARTSTAT".utf8) + [3]
  /// The format before folders' manifests were recorded: read, never written.
  static let magicWithoutTrees = Array("ARTSTAT".utf8) + [2]
  /// Bytes of an entry after its name.
  private static let fixedEntrySize = 69

  /// Whether anything changed since loading.
  private(set) var isDirty = false

  /// Loads the cache of `repository`, empty if missing or damaged.
  ///
  /// Only the folders' places are read here; a folder's files are decoded
  /// when it is first asked for, by whichever task scans it.
  public init(repository: Repository) {
    path = repository.layout.statCache
    guard let bytes = try? AtomicFile.read(path, limit: 1 << 31) else { return }
    guard let (packs, sections) = bytes.withUnsafeBytes({ Self.index($0) }) else {
      isDirty = true  // damaged or an older format: rewrite it
      return
    }
    loaded = bytes
    self.packs = packs
    self.sections = sections
  }

  /// Sets ``vouchesForContent``: whether every pack the cache was written
  /// with is still in `store`, its file whole (``Pack/fileLooksWhole``).
  ///
  /// Only gc and repack delete packs, and never while another command
  /// runs, so then every file content and manifest the cache names is in
  /// the store, unlooked-up. A pack file lost or cut short behind art's
  /// back voids that.
  mutating func check(against store: ObjectStore) {
    guard !packs.isEmpty else { return }
    let present = Dictionary(store.allPacks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    vouchesForContent = packs.allSatisfy { present[$0]?.fileLooksWhole ?? false }
  }

  /// The packs the file names and where each folder's section lies, every
  /// length checked; nil when the file is damaged or of another format.
  private static func index(_ bytes: UnsafeRawBufferPointer)
    -> (packs: [ObjectID], sections: [TreePath: Section])?
  {
    guard bytes.count >= magic.count + 4 else { return nil }
    let hasTrees = bytes.starts(with: magic)
    guard hasTrees || bytes.starts(with: magicWithoutTrees) else { return nil }
    let end = bytes.count - 4
    guard crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<end])) == bytes.littleEndian(at: end)
    else { return nil }
    var position = magic.count
    var packs: [ObjectID] = []
    if hasTrees {
      guard end - position >= 4 else { return nil }
      let count = Int(bytes.littleEndian(at: position, as: UInt32.self))
      position += 4
      guard (end - position) / 32 >= count else { return nil }
      packs = (0..<count).map { ObjectID(in: bytes, at: position + $0 * 32) }
      position += count * 32
    }
    var sections: [TreePath: Section] = [:]
    while position < end {
      let header = hasTrees ? 8 + treeSize : 8
      guard end - position >= header else { return nil }
      let pathLength = Int(bytes.littleEndian(at: position, as: UInt32.self))
      let count = Int(bytes.littleEndian(at: position + 4, as: UInt32.self))
      let tree = hasTrees ? decodeTree(bytes, at: position + 8) : nil
      // Sizes a file or folder cannot have are damage (and would not fit
      // the arithmetic that uses them).
      if let tree, tree.size > UInt64(Int64.max) { return nil }
      position += header
      guard end - position >= pathLength else { return nil }
      let folderPath = String(decoding: bytes[position..<position + pathLength], as: UTF8.self)
      position += pathLength
      let entries = position
      for _ in 0..<count {
        guard end - position >= 2 else { return nil }
        let nameLength = Int(bytes.littleEndian(at: position, as: UInt16.self))
        guard end - position - 2 >= nameLength + fixedEntrySize,
          bytes.littleEndian(at: position + 2 + nameLength, as: Int64.self) >= 0
        else { return nil }
        position += 2 + nameLength + fixedEntrySize
      }
      sections[TreePath(folderPath)] = Section(
        entries: entries..<position, count: count, tree: tree)
    }
    return (packs, sections)
  }

  /// Bytes of a section's manifest fields: id, total size, files, shape.
  private static let treeSize = 80

  /// The manifest fields at `position`; nil when the id is all zero (none).
  private static func decodeTree(_ bytes: UnsafeRawBufferPointer, at position: Int)
    -> FolderTree?
  {
    let id = ObjectID(in: bytes, at: position)
    guard id != ObjectID.zero else { return nil }
    return FolderTree(
      id: id, size: bytes.littleEndian(at: position + 32),
      files: bytes.littleEndian(at: position + 40), shape: ObjectID(in: bytes, at: position + 48))
  }

  /// The files of a section whose bounds ``index(_:)`` checked.
  private static func decode(_ bytes: UnsafeRawBufferPointer, _ section: Section) -> Folder {
    var folder = Folder(minimumCapacity: section.count)
    var position = section.entries.lowerBound
    for _ in 0..<section.count {
      let nameLength = Int(bytes.littleEndian(at: position, as: UInt16.self))
      folder[Array(bytes[position + 2..<position + 2 + nameLength])] = entry(
        bytes, at: position + 2 + nameLength)
      position += 2 + nameLength + fixedEntrySize
    }
    return folder
  }

  /// The 69 bytes of an entry after its name, at `position`.
  private static func entry(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Entry {
    let size: Int64 = bytes.littleEndian(at: position)
    return Entry(
      size: size, modified: bytes.littleEndian(at: position + 8),
      changed: bytes.littleEndian(at: position + 16),
      inode: bytes.littleEndian(at: position + 24),
      mode: bytes.littleEndian(at: position + 32),
      content: StoredContent(
        id: ObjectID(in: bytes, at: position + 37), size: UInt64(size),
        isChunked: bytes[position + 36] & 1 != 0))
  }

  /// One folder's files as a scan asks for them: by the bytes of a name,
  /// found by binary search in the loaded section, no name decoded.
  struct FolderView: Sendable {
    private let bytes: [UInt8]
    /// Where each entry starts, in the section's order (by name bytes).
    private let starts: [Int]
    /// A folder replaced since loading.
    private let replaced: Folder?

    /// A view of the `count` entries starting at `first` in `bytes`,
    /// whose bounds ``StatCache/index(_:)`` checked.
    fileprivate init(bytes: [UInt8], first: Int, count: Int) {
      self.bytes = bytes
      replaced = nil
      var starts: [Int] = []
      starts.reserveCapacity(count)
      var position = first
      bytes.withUnsafeBytes { bytes in
        for _ in 0..<count {
          starts.append(position)
          position += 2 + Int(bytes.littleEndian(at: position, as: UInt16.self)) + fixedEntrySize
        }
      }
      self.starts = starts
    }

    /// A view of a folder replaced since loading.
    fileprivate init(_ folder: Folder) {
      bytes = []
      starts = []
      replaced = folder
    }

    /// How many files the cache knows in the folder.
    var count: Int { replaced?.count ?? starts.count }

    /// What the cache knows of `name`.
    ///
    /// A section written out of order (by an older art, for names beyond
    /// ASCII) may miss a name: then the file is read again.
    subscript(name: [UInt8]) -> Entry? {
      if let replaced { return replaced[name] }
      return bytes.withUnsafeBytes { bytes -> Entry? in
        var low = 0
        var high = starts.count
        while low < high {
          let middle = (low + high) / 2
          let start = starts[middle]
          let length = Int(bytes.littleEndian(at: start, as: UInt16.self))
          let order = name.withUnsafeBytes {
            byteOrder(UnsafeRawBufferPointer(rebasing: bytes[start + 2..<start + 2 + length]), $0)
          }
          if order == 0 { return StatCache.entry(bytes, at: start + 2 + length) }
          if order < 0 { low = middle + 1 } else { high = middle }
        }
        return nil
      }
    }
  }

  /// The files known in `folder`, for a scan.
  func view(_ folder: FilePath) -> FolderView? {
    let key = TreePath(folder.string)
    if let known = replaced[key] { return known.isEmpty ? nil : FolderView(known) }
    guard let section = sections[key], section.count > 0 else { return nil }
    return FolderView(bytes: loaded, first: section.entries.lowerBound, count: section.count)
  }

  /// The files known in `folder`.
  func folder(_ folder: FilePath) -> Folder? {
    let key = TreePath(folder.string)
    if let known = replaced[key] { return known.isEmpty ? nil : known }
    guard let section = sections[key] else { return nil }
    if let known = decoded.folders.withLock({ $0[key] }) { return known }
    let files = loaded.withUnsafeBytes { Self.decode($0, section) }
    decoded.folders.withLock { $0[key] = files }
    return files
  }

  /// The manifest last recorded for `folder`.
  func tree(_ folder: FilePath) -> FolderTree? { tree(at: TreePath(folder.string)) }

  /// The manifest last recorded for the folder at `key`: this command's,
  /// else the loaded file's.
  private func tree(at key: TreePath) -> FolderTree? {
    if let recorded = trees[key] { return recorded }
    return sections[key]?.tree
  }

  /// Records `tree` as `folder`'s manifest (nil forgets it).
  mutating func record(_ folder: FilePath, tree: FolderTree?) {
    if self.tree(folder) != tree {
      trees[TreePath(folder.string)] = .some(tree)
      isDirty = true
    }
  }

  /// The stored content of `file` if its status is unchanged.
  func lookup(_ file: FilePath, _ status: FileStatus) -> StoredContent? {
    guard let name = file.lastComponent?.string else { return nil }
    return self.folder(file.removingLastComponent())?[Array(name.utf8)]?.content(
      ifUnchanged: status)
  }

  /// Replaces what is known of `folder` by `files`, or, with `merging`, adds
  /// them to it.
  mutating func update(_ folder: FilePath, with files: Folder, merging: Bool) {
    guard merging else {
      // Called for a folder a scan found changed: nothing to compare.
      replaced[TreePath(folder.string)] = files
      isDirty = true
      return
    }
    let old = self.folder(folder) ?? [:]
    let new = old.merging(files) { $1 }
    if old != new {
      replaced[TreePath(folder.string)] = new
      isDirty = true
    }
  }

  /// Writes the cache, leaving out racy entries, with the packs of
  /// `store` now.
  ///
  /// When the cache did not vouch for its content (``check(against:)``),
  /// every file content and manifest it names is looked up in `store` and
  /// those missing are left out; otherwise folders not replaced since
  /// loading are copied as they were read (their entries passed the racy
  /// rule when written, and still do). Failure is harmless (the next
  /// command re-hashes), so errors are returned, not thrown.
  @discardableResult
  public func write(store: ObjectStore) -> ArtError? {
    if !isDirty && vouchesForContent { return nil }
    let limit = WallClock.milliseconds() * 1_000_000 - Self.racyWindow
    // Packs published since the store was opened (this command's, or a
    // concurrent commit's whose objects a write found) are named too.
    _ = try? store.refresh()
    let present = store.allPacks.map(\.id)
    var writer = ByteWriter(
      capacity: 12 + present.count * 32 + loaded.count
        + replaced.reduce(64) { $0 + 64 + $1.value.count * 100 })
    writer.append(Self.magic)
    writer.append(UInt32(present.count))
    for pack in present { writer.append(pack) }
    let paths = Set(sections.keys).union(replaced.keys).union(trees.keys).sorted()
    for folderPath in paths {
      var tree = tree(at: folderPath)
      var files = replaced[folderPath]
      if !vouchesForContent {
        if let id = tree?.id, !store.contains(id) { tree = nil }
        let known =
          files
          ?? sections[folderPath].map { section in
            loaded.withUnsafeBytes { Self.decode($0, section) }
          }
        files = known?.filter { store.contains($0.value.content.id) }
        if files?.count != known?.count { tree = nil }
      }
      guard let files else {
        // Entries as loaded: they passed the racy rule when written.
        let section = sections[folderPath]
        if section == nil && tree == nil { continue }
        appendHeader(folderPath.text, count: section?.count ?? 0, tree: tree, to: &writer)
        if let section { writer.append(loaded[section.entries]) }
        continue
      }
      var kept: [(prefix: UInt64, name: [UInt8], entry: Entry)] = []
      kept.reserveCapacity(files.count)
      for (name, entry) in files where entry.modified < limit && entry.changed < limit {
        kept.append((name.withUnsafeBytes { byteOrderPrefix($0) }, name, entry))
      }
      kept.sort { a, b in
        a.prefix != b.prefix
          ? a.prefix < b.prefix
          : a.name.withUnsafeBytes { a in b.name.withUnsafeBytes { b in byteOrder(a, b) < 0 } }
      }
      // A manifest is kept only with every file it lists: a scan that
      // finds all the cache knows must mean the folder is unchanged.
      if kept.count != files.count { tree = nil }
      if kept.isEmpty && tree == nil { continue }
      appendHeader(folderPath.text, count: kept.count, tree: tree, to: &writer)
      for (_, name, entry) in kept {
        writer.append(UInt16(name.count))
        writer.append(name)
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

  /// A folder section's header: path length, entry count, manifest fields
  /// (zero without a manifest), path.
  private func appendHeader(
    _ folderPath: String, count: Int, tree: FolderTree?, to writer: inout ByteWriter
  ) {
    writer.append(UInt32(folderPath.utf8.count))
    writer.append(UInt32(count))
    writer.append(tree?.id ?? ObjectID.zero)
    writer.append(tree?.size ?? 0)
    writer.append(tree?.files ?? 0)
    writer.append(tree?.shape ?? ObjectID.zero)
    writer.append(utf8: folderPath)
  }
}
