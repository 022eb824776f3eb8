public import ArtStore
import Synchronization
public import SystemPackage

/// What a checkout or ``Materializer/write(_:into:)`` did to a folder.
public struct Materialization: Sendable {
  /// Files written.
  public var files = 0
  /// Folders created (a whole tree: including the top one; in place: the
  /// empty folders the version has).
  public var folders = 0
  /// Symbolic links created.
  public var symlinks = 0
  /// Bytes of file content written.
  public var bytes: UInt64 = 0
  /// Reference entries fetched.
  public var referencesFetched = 0
  /// Bytes of those references.
  public var referenceBytes: UInt64 = 0
  /// Reference entries left out (``ReferencePolicy/skip``).
  public var referencesSkipped = 0
  /// File references recorded elsewhere that were not read (``ReferenceTrust``).
  public var referencesRefused: [String] = []
  /// Paths deleted (in place).
  public var deleted = 0
  /// Paths already right, left alone (in place).
  public var unchanged = 0
  /// Files that had the version's content in another mode, given its mode
  /// in place (not counted as written).
  public var modesSet = 0

  /// Files and links written.
  public var written: Int { files + symlinks }
}

/// What a checkout does with reference entries.
public enum ReferencePolicy: Sendable, Equatable {
  /// Fetch each one and check it against what was recorded; with
  /// `allowChanged`, take it even if it differs.
  case fetch(allowChanged: Bool)
  /// Leave them out.
  case skip
}

/// Writes a manifest's tree into a new or empty folder: the inverse of
/// ``Snapshotter``.
///
/// Every file, link and folder goes through a ``ConfinedWriter``. Each file
/// is written unnamed or under a temporary name in its folder, checked
/// against its SHA-256 as it is written, then named, so a file that appears
/// under its name is complete and correct.
public struct Materializer: Sendable {
  /// Where objects are read from.
  public let store: ObjectStore
  /// Counts files and bytes as they are written.
  public let progress: Progress?
  /// Which file references are read; by default every one.
  public var trust = ReferenceTrust(references: nil, folders: [])

  /// A materializer reading from `store`.
  public init(store: ObjectStore, progress: Progress? = nil) {
    self.store = store
    self.progress = progress
  }

  /// A writer for `target`, made if missing; refuses one that holds anything.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument` and `hint`.
  static func emptyFolder(_ target: FilePath, hint: String, outside store: FilePath? = nil)
    throws -> ConfinedWriter
  {
    if let status = try Syscalls.linkStatus(target),
      try status.kind != .directory || !directoryEntries(target).isEmpty
    {
      throw ArtError(
        .invalidArgument, "'\(target)' exists and is not an empty folder", hint: hint)
    }
    return try ConfinedWriter(top: target, create: true, outside: store)
  }

  struct FileJob: Sendable {
    var path: ConfinedPath
    var entry: ManifestEntry

    init(path: ConfinedPath, entry: ManifestEntry) {
      self.path = path
      self.entry = entry
    }

    /// The job writing flattened `entry` at `path` (nil for the top itself).
    init?(path: ConfinedPath, _ entry: TreeEntry) {
      guard let name = path.name else { return nil }
      self.path = path
      self.entry = ManifestEntry(
        name: name, kind: entry.kind, id: entry.id, size: entry.size, mode: entry.mode)
    }
  }

  /// Writes manifest `id` into `target`, which must not exist or be empty;
  /// its file references are read as ``trust`` allows.
  ///
  /// - Throws: ``ArtError`` with `.invalidArgument` when `target` has files
  ///   or lies inside `.art`, `.notFound` / `.corruptData` for missing or
  ///   damaged objects (the file being written is then removed), `.io` for
  ///   write failures.
  public func write(
    _ id: ObjectID, into target: FilePath,
    references: ReferencePolicy = .fetch(allowChanged: false),
    outside store: FilePath? = nil
  ) async throws -> Materialization {
    try await write(
      id, with: try Self.emptyFolder(target, hint: "give a new or empty folder", outside: store),
      references: references)
  }

  /// Writes manifest `id` below `writer`'s top, which should be empty.
  func write(_ id: ObjectID, with writer: ConfinedWriter, references: ReferencePolicy)
    async throws -> Materialization
  {
    var layout = LayOut(store: store, writer: writer, expandsBundles: references != .skip)
    var graph = ObjectGraph(source: LocalObjects(store), onProblem: .stop)
    graph.visitsEveryPath = true
    try graph.walkNow([.tree(id, label: "tree \(id.prefix(12))")], visitor: &layout)
    var result = layout.result
    var jobs = layout.jobs
    let folderModes = layout.folderModes
    let referenceJobs = jobs.filter { $0.entry.kind == .external }
    jobs.removeAll { $0.entry.kind == .external }
    result.files = jobs.count
    result.bytes = jobs.reduce(0) { $0 &+ $1.entry.size }
    // References first: a changed one stops the copy before the files.
    if case .fetch(let allowChanged) = references {
      let fetched = try await fetch(referenceJobs, writer: writer, allowChanged: allowChanged)
      result.referenceBytes = fetched.bytes
      result.referencesFetched = referenceJobs.count - fetched.refused.count
      result.referencesRefused = fetched.refused
    } else {
      result.referencesSkipped += referenceJobs.count
    }
    try await writeFiles(jobs, writer: writer)
    // Deepest first, so a read-only folder is closed after its contents exist.
    for (path, mode) in folderModes.reversed() { try writer.setFolderMode(path, mode) }
    return result
  }

  /// Creates the folders and links of a tree below a writer's top and lists
  /// the files to write, as a walk of the graph reaches each folder; a
  /// bundle entry becomes a folder holding its version when
  /// `expandsBundles`, else it is counted as skipped.
  private struct LayOut: GraphVisitor {
    let store: ObjectStore
    let writer: ConfinedWriter
    let expandsBundles: Bool
    var jobs: [FileJob] = []
    /// Folders with their modes, parents before children.
    var folderModes: [(ConfinedPath, UInt32)] = []
    var result = Materialization()

    func follows(_ entry: ManifestEntry, at place: GraphPlace) -> Bool {
      entry.kind == .folder || (expandsBundles && entry.kind == .bundle)
    }

    mutating func visit(_ id: ObjectID, _ node: GraphNode, raw: [UInt8]?, at place: GraphPlace)
      throws
    {
      guard case .manifest(let manifest) = node else { return }
      // Names were checked when the manifest was read.
      let folder = place.path.isEmpty ? ConfinedPath.top : try ConfinedPath(place.path)
      result.folders += 1
      for entry in manifest.entries {
        let path = try folder.appending(entry.name)
        switch entry.kind {
        case .file, .chunked, .external:
          jobs.append(FileJob(path: path, entry: entry))
        case .folder:
          try writer.makeFolder(path)
          folderModes.append((path, entry.mode))
        case .bundle:
          if expandsBundles {
            try writer.makeFolder(path)
          } else {
            result.referencesSkipped += 1
          }
        case .symlink:
          try writer.symlink(target: store.read(entry.id, as: .blob), at: path)
          result.symlinks += 1
        }
      }
    }
  }

  /// Fetches reference entries into place, a few at a time.
  ///
  /// Returns the bytes written and the paths of untrusted file references
  /// that were refused (see ``ReferenceTrust``: nothing is written for
  /// them); errors name paths relative to the writer's top.
  func fetch(_ jobs: [FileJob], writer: ConfinedWriter, allowChanged: Bool) async throws
    -> (bytes: UInt64, refused: [String])
  {
    let store = self.store
    let trust = self.trust
    let totals = try await forEachConcurrently(
      count: jobs.count, makeState: { (bytes: UInt64(0), refused: [String]()) },
      { state, index in
        let job = jobs[index]
        let staged = try writer.stage(job.path, mode: job.entry.mode)
        do {
          state.bytes += try await ReferenceIO().fetch(
            store.reference(job.entry.id), label: job.path.description, into: staged,
            allowChanged: allowChanged, within: trust.folders(for: job.entry.id))
          try staged.place()
        } catch let error as ArtError where error.code == .referenceRefused {
          staged.discard()
          state.refused.append(job.path.description)
        } catch {
          staged.discard()
          throw error
        }
      }, finish: { $0 })
    return (totals.reduce(0) { $0 + $1.bytes }, totals.flatMap(\.refused))
  }

  func writeFiles(_ jobs: [FileJob], writer: ConfinedWriter) async throws {
    let store = self.store
    let progress = self.progress
    progress?.setTotal(files: jobs.count, bytes: jobs.reduce(0) { $0 &+ Int($1.entry.size) })
    _ = try await forEachConcurrently(
      count: jobs.count, makeState: { () },
      { _, index in
        let job = jobs[index]
        let staged = try writer.stage(job.path, mode: job.entry.mode)
        do {
          try Self.fill(staged, job, store: store)
          try staged.place()
        } catch {
          staged.discard()
          throw error
        }
        progress?.add(fileOf: Int(job.entry.size))
      }, finish: { _ in () })
  }

  /// Whether `name` is a temporary file a checkout left when it was killed
  /// (`.art-tmp-<pid>-<n>` of a process that is gone): not data, so commit
  /// and status pass over it.
  static func isLeftover(_ name: [UInt8]) -> Bool {
    let prefix = Array(".art-tmp-".utf8)
    guard name.count > prefix.count, name.starts(with: prefix) else { return false }
    let parts = name[prefix.count...].split(separator: UInt8(ascii: "-"))
    guard parts.count == 2,
      parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= 48 && $0 <= 57 } }),
      let pid = Int32(String(decoding: parts[0], as: UTF8.self))
    else { return false }
    return !Syscalls.processExists(pid)
  }

  /// Writes the verified content of `job` into `staged`.
  private static func fill(_ staged: StagedFile, _ job: FileJob, store: ObjectStore) throws {
    var written: UInt64 = 0
    let name = staged.path
    // Chunks are checked by the whole-file hash alone: the file gets its
    // name only after that passes.
    try ContentReader.read(job.entry.id, from: store, wholeFileCheckOnly: true) { bytes in
      written += UInt64(bytes.count)
      guard written <= job.entry.size else {
        throw ArtError.corrupt(
          name.string, "its content is longer than the \(job.entry.size) bytes its manifest says")
      }
      try writeAll(staged.descriptor, bytes, path: name)
    }
    guard written == job.entry.size else {
      throw ArtError.corrupt(
        name.string, "its content is \(written) bytes, its manifest says \(job.entry.size)")
    }
  }
}
