public import ArtStore
public import SystemPackage

/// What ``Snapshotter/writeManifest(of:)`` stored.
public struct Snapshot: Sendable {
  /// The top manifest's id.
  public var manifestID: ObjectID
  /// Files stored (whole or chunked).
  public var files = 0
  /// Folders, including the top one.
  public var folders = 0
  /// Symbolic links recorded.
  public var symlinks = 0
  /// Bytes of file content.
  public var bytes: UInt64 = 0
  /// Reference entries (outside data and bundle versions) in the tree.
  public var references: UInt64 = 0
  /// Their recorded bytes.
  public var referenceBytes: UInt64 = 0
  /// Paths skipped (sockets, fifos, devices), with the reason.
  public var skipped: [String] = []
  /// What the object writer did.
  public var statistics = WriteStatistics()
  /// Files whose content came from the stat cache, unread.
  public var filesFromCache = 0
  /// The stat cache with this snapshot's files recorded; write it once the
  /// snapshot's objects are published.
  public var statCache: StatCache?
}

/// Stores a folder tree: every file as a blob or chunks, every folder as a
/// manifest, bottom-up.
///
/// Never reads `.art` folders, never follows symbolic
/// links, skips special files.
///
/// Files are read, hashed, chunked and compressed by one worker per core,
/// each with two fixed-size window buffers, so memory does not depend on
/// file sizes.
public struct Snapshotter: Sendable {
  /// The repository written to.
  public let repository: Repository
  /// Where objects go.
  public let writer: ObjectWriter

  /// Known file states; files that match are not read.
  public let statCache: StatCache?
  /// Counts files and bytes as they are stored.
  public let progress: Progress?
  /// Paths not read (the reference entries a commit carries forward).
  public var skipping: Set<FilePath> = []
  /// The root manifest of the version the folder holds, whose modes count.
  ///
  /// A name whose mode on disk is its recorded one less the umask keeps
  /// the recorded one (see ``ConfinedWriter/modeToCount(disk:recorded:)``).
  /// A folder of it whose manifest cannot be read counts as absent, so its
  /// names get the disk's modes. Costs a read of the manifests of the
  /// folders written, and of those above the folders whose manifest the
  /// stat cache keeps; none when the cache keeps the held version's.
  public var heldTree: ObjectID?

  /// A snapshotter writing with `writer` (see ``Repository/makeWriter(codec:)``).
  public init(
    repository: Repository, writer: ObjectWriter, statCache: StatCache? = nil,
    progress: Progress? = nil
  ) {
    self.repository = repository
    self.writer = writer
    self.statCache = statCache
    self.progress = progress
  }

  private struct FileJob: Sendable {
    var path: FilePath
    /// The size seen when the folder was scanned.
    var size: Int
  }

  /// Stores everything under `path` (or only the `selection`, paths of
  /// components relative to it) and returns the top manifest.
  ///
  /// With `publish`, publishes the packs before returning; otherwise the
  /// caller adds objects of its own and calls `writer.finish()`. On error
  /// the partial pack is deleted and nothing becomes visible.
  ///
  /// - Throws: ``ArtError`` with `.notFound` when `path` is missing,
  ///   `.invalidArgument` for a name art cannot store, `.io` for read and
  ///   write failures.
  public func writeManifest(
    of path: FilePath, selecting selection: [[String]]? = nil, publish: Bool = true
  ) async throws -> Snapshot {
    do {
      guard let status = try Syscalls.linkStatus(path), status.kind == .directory else {
        throw ArtError(.notFound, "'\(path)' is not a folder", hint: "give a folder to store")
      }
      var statCache = self.statCache
      statCache?.check(against: repository.store)
      // The manifests kept for the folders above no longer list what is
      // kept for this one (another artifact's root may be one of them).
      var above = path.removingLastComponent()
      while statCache != nil, above.starts(with: repository.root) {
        statCache?.record(above, tree: nil)
        if above == repository.root { break }
        above = above.removingLastComponent()
      }
      var scanner = FolderScanner(statCache: statCache)
      scanner.skipping = skipping
      scanner.ignoreTop = repository.root
      // Content the cache names must be in the store: a pack gc deleted
      // since takes the file back to being read. While every pack the
      // cache was written with is there, so is all it names.
      let writer = self.writer
      let vouched = statCache?.vouchesForContent ?? false
      if !vouched {
        // A pack file lost behind art's back may hold the chunks of a file
        // whose chunk list is elsewhere: then every file is read again.
        let broken = writer.store.hasBrokenPackFile
        scanner.trustsCachedContent = { !broken && writer.contains($0) }
      }
      var top = try await scanner.scan(path, selecting: selection)
      top.mode = status.permissions
      var jobs: [FileJob] = []
      Self.collectJobs(top, into: &jobs)
      let read = try await storeFiles(jobs)
      var snapshot = Snapshot(manifestID: ObjectHasher.id(of: []))
      snapshot.statCache = statCache
      var next = 0
      let compressor = Compressor(compression: writer.compression)
      var held = HeldFolders(store: repository.store, root: heldTree)
      // The kept manifests of the commit that made the version held are
      // that version's folders: nothing to look up to trust them.
      held.keptAreItsFolders = heldTree != nil && statCache?.tree(path)?.id == heldTree
      (snapshot.manifestID, _) = try writeFolder(
        top, at: [], read: read, next: &next, snapshot: &snapshot, held: &held,
        compressor: compressor)
      snapshot.filesFromCache = snapshot.files - jobs.count
      if publish { snapshot.statistics = try writer.finish() }
      return snapshot
    } catch {
      writer.abandon()
      throw error
    }
  }

  /// The files of `folder` that must be read, in the order ``writeFolder``
  /// visits them.
  private static func collectJobs(_ folder: ScannedFolder, into jobs: inout [FileJob]) {
    for (name, node) in folder.entries {
      switch node {
      case .file(let status, cached: nil):
        jobs.append(FileJob(path: folder.path.appending(name), size: Int(status.size)))
      case .folder(let sub): collectJobs(sub, into: &jobs)
      case .file, .symlink: continue
      }
    }
  }

  /// Stores every job's file and returns, in job order, the content and
  /// the status it had while it was read.
  private func storeFiles(_ jobs: [FileJob]) async throws
    -> [(content: StoredContent, status: FileStatus)]
  {
    let writer = self.writer
    let chunker = repository.chunker
    let compressors = CompressorPool(compression: writer.compression)
    let progress = self.progress
    progress?.setTotal(files: jobs.count, bytes: jobs.reduce(0) { $0 + $1.size })
    let batches = try await forEachConcurrently(
      count: jobs.count,
      makeState: {
        let storer = ContentStorer(writer: writer, chunker: chunker, compressors: compressors)
        if let progress { storer.onBytesStored = { progress.add(bytes: $0) } }
        return (storer, [(Int, StoredContent, FileStatus)]())
      },
      { state, index in
        let (content, status) = try await Self.read(jobs[index].path, with: state.0)
        state.1.append((index, content, status))
        progress?.addFile()
      },
      finish: { $0.1 })
    var results = [(content: StoredContent, status: FileStatus)?](repeating: nil, count: jobs.count)
    for batch in batches {
      for (index, content, status) in batch { results[index] = (content, status) }
    }
    return try results.enumerated().map { index, result in
      // Every worker ran to completion, so every job has a result.
      guard let result else {
        throw ArtError(.io, "'\(jobs[index].path)' was not stored")
      }
      return result
    }
  }

  /// Stores one file, re-reading it if it changed while being read, so the
  /// id recorded always matches bytes that were on disk as a whole.
  private static func read(_ path: FilePath, with storer: ContentStorer) async throws
    -> (StoredContent, FileStatus)
  {
    for _ in 0..<3 {
      let fd = try openForReading(path)
      defer { try? fd.close() }
      let before = try Syscalls.status(fd, path: path)
      var source = FileSource(descriptor: fd, name: path.string)
      let content = try await storer.store(&source)
      let after = try Syscalls.status(fd, path: path)
      if before.size == after.size, before.modificationNanoseconds == after.modificationNanoseconds,
        before.changeNanoseconds == after.changeNanoseconds, UInt64(after.size) == content.size
      {
        return (content, before)
      }
    }
    throw ArtError(
      .io, "'\(path)' kept changing while it was being read",
      hint: "stop whatever is writing it, then run the command again")
  }

  /// Writes the manifests of `folder` bottom-up, taking the content of
  /// files read from `read` in ``collectJobs`` order, counting into
  /// `snapshot` and updating its stat cache.
  ///
  /// A folder whose files all match the stat cache (as many as its
  /// recorded manifest lists), whose subfolders and links are as they were,
  /// and whose manifest is still in the store keeps the manifest the cache
  /// records, as git's index keeps a tree.
  private func writeFolder(
    _ folder: ScannedFolder, at components: [String],
    read: [(content: StoredContent, status: FileStatus)], next: inout Int,
    snapshot: inout Snapshot, held: inout HeldFolders, compressor: Compressor
  ) throws -> (ObjectID, UInt64) {
    var entries: [ManifestEntry] = []
    entries.reserveCapacity(folder.entries.count)
    var others: [ManifestEntry] = []
    var files = 0
    var known = StatCache.Folder()
    if folder.cacheIsStale { known.reserveCapacity(folder.entries.count) }
    snapshot.folders += 1
    snapshot.skipped += folder.skipped
    for (name, node) in folder.entries {
      switch node {
      case .file(let scanned, let cached):
        var content: StoredContent
        var status = scanned
        if let cached {
          content = cached
        } else {
          (content, status) = read[next]
          next += 1
        }
        if folder.cacheIsStale { known[Array(name.utf8)] = StatCache.Entry(status, content) }
        files += 1
        snapshot.files += 1
        snapshot.bytes += content.size
        // The mode read with the content, as the stat cache records it.
        entries.append(
          ManifestEntry(
            name: name, kind: content.isChunked ? .chunked : .file, id: content.id,
            size: content.size, mode: status.permissions))
      case .symlink(let target, let mode):
        let id = try writer.write(target, kind: .blob, compressor: compressor)
        snapshot.symlinks += 1
        let entry = ManifestEntry(
          name: name, kind: .symlink, id: id, size: UInt64(target.count), mode: mode)
        others.append(entry)
        entries.append(entry)
      case .folder(let sub):
        let (id, size) = try writeFolder(
          sub, at: components + [name], read: read, next: &next, snapshot: &snapshot,
          held: &held, compressor: compressor)
        let entry = ManifestEntry(name: name, kind: .folder, id: id, size: size, mode: sub.mode)
        others.append(entry)
        entries.append(entry)
      }
    }
    var shape: ObjectID? = nil
    // Without a stat cache nothing is kept or recorded. (Mutated through
    // `snapshot`, never a copy, so its tables are not copied.)
    if snapshot.statCache != nil {
      if folder.cacheIsStale {
        snapshot.statCache?.update(folder.path, with: known, merging: !folder.complete)
      }
      let folderShape = Self.shape(others, skipped: folder.skippedOnPurpose)
      // A kept manifest counted its modes against the version then held:
      // it stands while that is the one held now, as after its commit.
      if folder.complete, !folder.cacheIsStale, let tree = snapshot.statCache?.tree(folder.path),
        tree.files == UInt64(files), tree.shape == folderShape,
        snapshot.statCache?.vouchesForContent == true || writer.contains(tree.id),
        held.keptAreItsFolders || held.folderID(at: components) == tree.id
      {
        held.forget(components)
        return (tree.id, tree.size)
      }
      shape = folderShape
    }
    var manifest = try Manifest(entries: entries)
    // Only a folder written anew counts its modes: a kept one did then.
    if let old = held.manifest(at: components) {
      manifest.updateModes(matching: old) { entry, old in
        ConfinedWriter.modeToCount(disk: (entry.kind, entry.mode), recorded: (old.kind, old.mode))
      }
    }
    held.forget(components)
    let id = try writer.write(manifest.encoded(), kind: .manifest, compressor: compressor)
    if let shape {
      snapshot.statCache?.record(
        folder.path,
        tree: folder.complete
          ? StatCache.FolderTree(
            id: id, size: manifest.totalSize, files: UInt64(files), shape: shape) : nil)
    }
    return (id, manifest.totalSize)
  }

  /// The digest of a folder's entries other than files, in name order, of
  /// the number of names its scan skipped on purpose, and of the umask,
  /// which a kept manifest's modes were counted with.
  private static func shape(_ others: [ManifestEntry], skipped: Int) -> ObjectID {
    others.isEmpty && skipped == 0 ? shapeOfFilesOnly : digest(others, skipped: skipped)
  }

  /// The shape of a folder of files only (most folders), hashed once.
  private static let shapeOfFilesOnly = digest([], skipped: 0)

  /// The SHA-256 of `skipped` and of `others` as ``shape(_:skipped:)`` orders them.
  private static func digest(_ others: [ManifestEntry], skipped: Int) -> ObjectID {
    var bytes = ByteWriter(capacity: 16 + others.count * 80)
    bytes.append(UInt64(skipped))
    bytes.append(Syscalls.fileCreationMask)
    for entry in others.sorted(by: { ManifestEntry.precedes($0.name, $1.name) }) {
      bytes.append(entry.kind.rawValue)
      bytes.append(UInt16(entry.name.utf8.count))
      bytes.append(entry.mode)
      bytes.append(entry.size)
      bytes.append(entry.id)
      bytes.append(utf8: entry.name)
    }
    return ObjectHasher.id(of: bytes.bytes)
  }
}

/// The folders of the version a folder holds, by their path below its
/// root, each manifest read once, when first asked for, and dropped once
/// its folder is written.
private struct HeldFolders {
  let store: ObjectStore
  let root: ObjectID?
  /// Whether every manifest the stat cache keeps is the folder of `root`
  /// at its path (the cache's top folder is `root` itself).
  var keptAreItsFolders = false
  private var read: [[String]: Manifest?] = [:]

  init(store: ObjectStore, root: ObjectID?) {
    self.store = store
    self.root = root
  }

  /// The id of the manifest of the folder at `components`, or nil when the
  /// version has no folder there (or there is none).
  mutating func folderID(at components: [String]) -> ObjectID? {
    guard let name = components.last else { return root }
    guard let entry = manifest(at: Array(components.dropLast()))?.entry(named: name),
      entry.kind == .folder
    else { return nil }
    return entry.id
  }

  /// The manifest of the folder at `components`, or nil when the version
  /// has no folder there, or its manifest cannot be read.
  mutating func manifest(at components: [String]) -> Manifest? {
    if let known = read[components] { return known }
    let found = folderID(at: components).flatMap { try? store.manifest($0) }
    read[components] = .some(found)
    return found
  }

  /// Drops what was read of the folder at `components`: its subfolders,
  /// the only ones to ask for it, are written.
  mutating func forget(_ components: [String]) { read[components] = nil }
}
