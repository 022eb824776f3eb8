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
/// each with a fixed-size buffer, so memory does not depend on file sizes.
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

  private struct FileNode: Sendable {
    var status: FileStatus
    /// The content, when the stat cache vouches for it.
    var cached: StoredContent?
  }

  private indirect enum Node: Sendable {
    case file(FileNode)
    case symlink(target: [UInt8], mode: UInt32)
    case folder(Folder)
  }

  private struct Folder: Sendable {
    var path: FilePath
    var entries: [(name: String, node: Node)] = []
    var mode: UInt32 = 0o755
    /// Whether every entry of the folder was scanned (no selection).
    var complete: Bool
    /// Whether the stat cache's view of this folder needs rewriting.
    var cacheIsStale = false
    /// Paths skipped in this folder, with the reason.
    var skipped: [String] = []
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
      var top = try await scan(path, selection: selection.map { Selection(paths: $0) })
      top.mode = status.permissions
      var jobs: [FileJob] = []
      Self.collectJobs(top, into: &jobs)
      let read = try await storeFiles(jobs)
      var snapshot = Snapshot(manifestID: ObjectHasher.id(of: []))
      snapshot.statCache = statCache
      var next = 0
      let compressor = Compressor(codec: writer.codec)
      (snapshot.manifestID, _) = try writeFolder(
        top, read: read, next: &next, snapshot: &snapshot, compressor: compressor)
      snapshot.filesFromCache = snapshot.files - jobs.count
      if publish { snapshot.statistics = try writer.finish() }
      return snapshot
    } catch {
      writer.abandon()
      throw error
    }
  }

  /// Which paths below a folder a scan includes; `whole` takes everything.
  private struct Selection: Sendable {
    var children: [String: Selection] = [:]
    var whole = false

    init() {}

    init(paths: [[String]]) {
      for path in paths { insert(path[...]) }
    }

    private mutating func insert(_ path: ArraySlice<String>) {
      guard let first = path.first else {
        whole = true
        return
      }
      children[first, default: Selection()].insert(path.dropFirst())
    }
  }

  /// Lists `path` and, concurrently, its subfolders; files the stat cache
  /// vouches for are marked as such and will not be read.
  private func scan(_ path: FilePath, selection: Selection?, depth: Int = 0) async throws -> Folder
  {
    // Async calls keep their frames on the heap, but a version this deep
    // could not be read back (see Manifest.maximumDepth).
    guard depth <= Manifest.maximumDepth else {
      throw ArtError(
        .invalidArgument,
        "cannot store '\(path)': folders nest deeper than \(Manifest.maximumDepth) levels",
        hint: "commit a folder further down")
    }
    var folder = Folder(path: path, complete: selection == nil)
    let known = statCache?.folder(path)
    var hits = 0
    var files = 0
    var subfolders: [(index: Int, path: FilePath, selection: Selection?, mode: UInt32)] = []
    for (name, status) in try directoryEntriesWithStatus(path) {
      let text = String(decoding: name, as: UTF8.self)
      var childSelection: Selection? = nil
      if let selection {
        guard let child = selection.children[text] else { continue }
        childSelection = child.whole ? nil : child
      }
      guard let component = pathComponent(name) else { continue }
      if !skipping.isEmpty, skipping.contains(path.appending(component)) { continue }
      // A repository folder (ours or a nested one) is never data, and no
      // version may hold the name: it is skipped, a file with a warning.
      if name == Array(Repository.directoryName.utf8) {
        if status.kind != .directory {
          folder.skipped.append(
            "\(path.appending(component).string): the name .art is kept for repositories")
        }
        continue
      }
      if let problem = ManifestEntry.problem(withName: name) {
        throw ArtError(
          .invalidArgument, "cannot store '\(path.appending(component))': it has \(problem)",
          hint: "rename it, or move it out of the folder being stored")
      }
      switch status.kind {
      case .regular:
        if Materializer.isLeftover(name) { continue }
        files += 1
        var cached = known?[text]?.content(ifUnchanged: status)
        if let content = cached, !writer.contains(content.id) { cached = nil }
        if cached != nil { hits += 1 }
        folder.entries.append((text, .file(FileNode(status: status, cached: cached))))
      case .directory:
        subfolders.append(
          (folder.entries.count, path.appending(component), childSelection, status.permissions))
        folder.entries.append((text, .symlink(target: [], mode: 0)))  // replaced below
      case .symlink:
        let target = try Syscalls.readLink(path.appending(component))
        folder.entries.append((text, .symlink(target: target, mode: status.permissions)))
      case .special:
        folder.skipped.append(
          "\(path.appending(component).string): not a regular file, folder or symbolic link")
      }
    }
    // Stale when a file must be read, or the cache knows files that are gone.
    folder.cacheIsStale = hits != files || (selection == nil && hits != (known?.count ?? 0))
    if subfolders.count == 1, let only = subfolders.first {
      var sub = try await scan(only.path, selection: only.selection, depth: depth + 1)
      sub.mode = only.mode
      folder.entries[only.index].node = .folder(sub)
    } else if !subfolders.isEmpty {
      try await withThrowingTaskGroup(of: (Int, Folder).self) { group in
        for item in subfolders {
          group.addTask {
            var sub = try await scan(item.path, selection: item.selection, depth: depth + 1)
            sub.mode = item.mode
            return (item.index, sub)
          }
        }
        for try await (index, sub) in group { folder.entries[index].node = .folder(sub) }
      }
    }
    return folder
  }

  /// The files of `folder` that must be read, in the order ``writeFolder``
  /// visits them.
  private static func collectJobs(_ folder: Folder, into jobs: inout [FileJob]) {
    for (name, node) in folder.entries {
      switch node {
      case .file(let file) where file.cached == nil:
        jobs.append(FileJob(path: folder.path.appending(name), size: Int(file.status.size)))
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
    let compressors = CompressorPool(codec: writer.codec)
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
  private func writeFolder(
    _ folder: Folder, read: [(content: StoredContent, status: FileStatus)], next: inout Int,
    snapshot: inout Snapshot, compressor: Compressor
  ) throws -> (ObjectID, UInt64) {
    var entries: [ManifestEntry] = []
    entries.reserveCapacity(folder.entries.count)
    var known = StatCache.Folder()
    snapshot.folders += 1
    snapshot.skipped += folder.skipped
    for (name, node) in folder.entries {
      switch node {
      case .file(let file):
        var content: StoredContent
        var status = file.status
        if let cached = file.cached {
          content = cached
        } else {
          (content, status) = read[next]
          next += 1
        }
        if folder.cacheIsStale { known[name] = StatCache.Entry(status, content) }
        snapshot.files += 1
        snapshot.bytes += content.size
        entries.append(
          ManifestEntry(
            name: name, kind: content.isChunked ? .chunked : .file, id: content.id,
            size: content.size, mode: file.status.permissions))
      case .symlink(let target, let mode):
        let id = try writer.write(target, kind: .blob, compressor: compressor)
        snapshot.symlinks += 1
        entries.append(
          ManifestEntry(name: name, kind: .symlink, id: id, size: UInt64(target.count), mode: mode))
      case .folder(let sub):
        let (id, size) = try writeFolder(
          sub, read: read, next: &next, snapshot: &snapshot, compressor: compressor)
        entries.append(ManifestEntry(name: name, kind: .folder, id: id, size: size, mode: sub.mode))
      }
    }
    if folder.cacheIsStale {
      snapshot.statCache?.update(folder.path, with: known, merging: !folder.complete)
    }
    let manifest = try Manifest(entries: entries)
    let id = try writer.write(manifest.encoded(), kind: .manifest, compressor: compressor)
    return (id, manifest.totalSize)
  }
}
