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
    /// The content, when the stat cache vouches for it.
    var cached: StoredContent?
  }

  private indirect enum Node {
    case file(index: Int, mode: UInt32)
    case symlink(target: [UInt8], mode: UInt32)
    case folder(Folder)
  }

  private struct Folder {
    var entries: [(name: String, node: Node)] = []
    var mode: UInt32 = 0o755
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
      var jobs: [FileJob] = []
      var snapshot = Snapshot(manifestID: ObjectHasher.id(of: []))
      let compressor = Compressor(codec: writer.codec)
      var top = try scan(
        path, selection: selection.map { Selection(paths: $0) }, jobs: &jobs,
        snapshot: &snapshot, compressor: compressor)
      top.mode = status.permissions
      let read = try await storeFiles(jobs)
      let stored = read.map(\.content)
      let (id, _) = try writeFolder(top, stored: stored, compressor: compressor)
      snapshot.manifestID = id
      snapshot.files = jobs.count
      snapshot.bytes = stored.reduce(0) { $0 + $1.size }
      snapshot.filesFromCache = jobs.count { $0.cached != nil }
      if var cache = statCache {
        for (job, result) in zip(jobs, read) {
          if let status = result.status { cache.record(job.path, status, result.content) }
        }
        snapshot.statCache = cache
      }
      if publish { snapshot.statistics = try writer.finish() }
      return snapshot
    } catch {
      writer.abandon()
      throw error
    }
  }

  /// Which paths below a folder a scan includes; `whole` takes everything.
  private final class Selection {
    var children: [String: Selection] = [:]
    var whole = false

    init() {}

    init(paths: [[String]]) {
      for path in paths {
        var node = self
        for component in path {
          let next = node.children[component] ?? Selection()
          node.children[component] = next
          node = next
        }
        node.whole = true
      }
    }
  }

  private func scan(
    _ path: FilePath, selection: Selection?, jobs: inout [FileJob], snapshot: inout Snapshot,
    compressor: Compressor
  ) throws -> Folder {
    var folder = Folder()
    snapshot.folders += 1
    for (name, status) in try directoryEntriesWithStatus(path) {
      guard let component = pathComponent(name) else { continue }
      var childSelection: Selection? = nil
      if let selection, !selection.whole {
        guard let child = selection.children[String(decoding: name, as: UTF8.self)] else {
          continue
        }
        childSelection = child.whole ? nil : child
      }
      let child = path.appending(component)
      if let problem = ManifestEntry.problem(withName: name) {
        throw ArtError(
          .invalidArgument, "cannot store '\(child)': it has \(problem)",
          hint: "rename it, or move it out of the folder being stored")
      }
      let text = String(decoding: name, as: UTF8.self)
      switch status.kind {
      case .regular:
        var cached = statCache?.lookup(child, status)
        if let content = cached, !writer.contains(content.id) { cached = nil }
        jobs.append(FileJob(path: child, size: Int(status.size), cached: cached))
        folder.entries.append((text, .file(index: jobs.count - 1, mode: status.permissions)))
      case .directory:
        // A repository folder (ours or a nested one) is never data.
        if name == Array(Repository.directoryName.utf8) { continue }
        var sub = try scan(
          child, selection: childSelection, jobs: &jobs, snapshot: &snapshot,
          compressor: compressor)
        sub.mode = status.permissions
        folder.entries.append((text, .folder(sub)))
      case .symlink:
        let target = try Syscalls.readLink(child)
        snapshot.symlinks += 1
        folder.entries.append((text, .symlink(target: target, mode: status.permissions)))
      case .special:
        snapshot.skipped.append("\(child.string): not a regular file, folder or symbolic link")
      }
    }
    return folder
  }

  /// Stores every job's file (or takes its cached content) and returns, in
  /// job order, the content and the status it had while it was read.
  private func storeFiles(_ jobs: [FileJob]) async throws
    -> [(content: StoredContent, status: FileStatus?)]
  {
    let writer = self.writer
    let chunker = repository.chunker
    let compressors = CompressorPool(codec: writer.codec)
    let toRead = jobs.indices.filter { jobs[$0].cached == nil }
    let progress = self.progress
    progress?.setTotal(files: toRead.count, bytes: toRead.reduce(0) { $0 + jobs[$1].size })
    let batches = try await forEachConcurrently(
      count: toRead.count,
      makeState: {
        let storer = ContentStorer(writer: writer, chunker: chunker, compressors: compressors)
        if let progress { storer.onBytesStored = { progress.add(bytes: $0) } }
        return (storer, [(Int, StoredContent, FileStatus)]())
      },
      { state, position in
        let index = toRead[position]
        let (content, status) = try await Self.read(jobs[index].path, with: state.0)
        state.1.append((index, content, status))
        progress?.addFile()
      },
      finish: { $0.1 })
    var results: [(content: StoredContent, status: FileStatus?)?] = jobs.map { job in
      job.cached.map { ($0, nil) }
    }
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

  private func writeFolder(_ folder: Folder, stored: [StoredContent], compressor: Compressor)
    throws -> (ObjectID, UInt64)
  {
    var entries: [ManifestEntry] = []
    entries.reserveCapacity(folder.entries.count)
    for (name, node) in folder.entries {
      switch node {
      case .file(let index, let mode):
        let content = stored[index]
        entries.append(
          ManifestEntry(
            name: name, kind: content.isChunked ? .chunked : .file, id: content.id,
            size: content.size, mode: mode))
      case .symlink(let target, let mode):
        let id = try writer.write(target, kind: .blob, compressor: compressor)
        entries.append(
          ManifestEntry(name: name, kind: .symlink, id: id, size: UInt64(target.count), mode: mode))
      case .folder(let sub):
        let (id, size) = try writeFolder(sub, stored: stored, compressor: compressor)
        entries.append(ManifestEntry(name: name, kind: .folder, id: id, size: size, mode: sub.mode))
      }
    }
    let manifest = try Manifest(entries: entries)
    let id = try writer.write(manifest.encoded(), kind: .manifest, compressor: compressor)
    return (id, manifest.totalSize)
  }
}
