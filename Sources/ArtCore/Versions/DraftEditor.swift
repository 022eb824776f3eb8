import ArtStore
import Synchronization
import SystemPackage

/// Builds a new tree from an existing version plus additions and removals,
/// rewriting only the manifests on the changed paths: nothing else is read
/// or hashed (the W&B `new_draft()` pattern).
struct DraftEditor {
  let repository: Repository
  let writer: ObjectWriter
  let compressor: Compressor
  /// Manifests this editor wrote and has not published: read back from
  /// here when a later edit goes below them.
  private let written = Written()

  /// The manifests an editor wrote, by id, and the paths its folders
  /// left out.
  private final class Written: Sendable {
    let manifests = Mutex<[ObjectID: Manifest]>([:])
    let skipped = Mutex<[String]>([])
  }

  init(repository: Repository, writer: ObjectWriter, compressor: Compressor) {
    self.repository = repository
    self.writer = writer
    self.compressor = compressor
  }

  /// An edit at a path of components relative to the version's root.
  enum Operation {
    /// Put the entry there, replacing what is there.
    case add(ManifestEntry, files: Int)
    /// Merge the folder entry (its manifests published) into a folder there:
    /// its files are added or replace the ones at their paths, nothing else
    /// goes. Over anything else, or nothing, it is an `add`.
    case merge(ManifestEntry, files: Int)
    case remove
  }

  /// Files and references in a tree, or a change in them.
  struct Counts: Equatable {
    var files = 0
    var references = 0
    var referenceBytes: Int64 = 0

    static func + (a: Counts, b: Counts) -> Counts {
      Counts(
        files: a.files + b.files, references: a.references + b.references,
        referenceBytes: a.referenceBytes + b.referenceBytes)
    }
    static func - (a: Counts, b: Counts) -> Counts {
      Counts(
        files: a.files - b.files, references: a.references - b.references,
        referenceBytes: a.referenceBytes - b.referenceBytes)
    }
  }

  /// The edited tree: its manifest id, total bytes and the change in
  /// files and references.
  func apply(_ operations: [([String], Operation)], to manifest: ObjectID?) throws
    -> (ObjectID, bytes: UInt64, delta: Counts)
  {
    // Removals go first, as a pass of their own when anything is added,
    // so `--remove d/x --add SRC=d` drops the version's x, not SRC's; then
    // folders merged at the top (`--add SRC=.`), in order; then the rest.
    var start = manifest
    var delta = Counts()
    var operations = operations
    let isRemoval: (([String], Operation)) -> Bool = {
      if case .remove = $0.1 { true } else { false }
    }
    if operations.contains(where: isRemoval), operations.contains(where: { !isRemoval($0) }) {
      let (id, _, change) = try edit(start, operations.filter(isRemoval), prefix: "")
      start = id ?? Manifest.emptyID
      delta = change
      operations.removeAll(where: isRemoval)
    }
    for (path, operation) in operations where path.isEmpty {
      guard case .merge(let entry, _) = operation else { continue }
      let (id, _, change) = try merge(entry.id, into: start ?? Manifest.emptyID, prefix: "")
      start = id
      delta = delta + change
    }
    let (id, size, change) = try edit(start, operations, prefix: "")
    return (id ?? Manifest.emptyID, size, delta + change)
  }

  /// The operation adding `recorded`: its reference object is written.
  func addition(_ recorded: DescribedReference) throws -> ([String], Operation) {
    let id = try writer.write(
      recorded.reference.encoded(), kind: .reference, compressor: compressor)
    let entry = ManifestEntry(
      name: recorded.path[recorded.path.count - 1], kind: .external, id: id,
      size: recorded.reference.size, mode: recorded.mode)
    return (recorded.path, .add(entry, files: 0))
  }

  /// Stores the file, link or folder at `path` and returns its entry.
  func store(_ path: FilePath, name: String) async throws -> (ManifestEntry, files: Int) {
    guard let status = try Syscalls.linkStatus(path) else {
      throw ArtError(.notFound, "'\(path)' does not exist", hint: "check the --add path")
    }
    switch status.kind {
    case .directory:
      // Published at once, a pack per folder added, by a writer of its own,
      // so a merge can read its manifests; if the commit fails, gc collects
      // them.
      let snapshot = try await Snapshotter(
        repository: repository, writer: repository.makeWriter(compression: writer.compression)
      ).writeManifest(of: path, publish: true)
      written.skipped.withLock { $0 += snapshot.skipped }
      return (
        ManifestEntry(
          name: name, kind: .folder, id: snapshot.manifestID, size: snapshot.bytes,
          mode: status.permissions), snapshot.files
      )
    case .symlink:
      let target = try Syscalls.readLink(path)
      let id = try writer.write(target, kind: .blob, compressor: compressor)
      return (
        ManifestEntry(
          name: name, kind: .symlink, id: id, size: UInt64(target.count), mode: status.permissions),
        0
      )
    case .regular:
      let fd = try openForReading(path)
      defer { try? fd.close() }
      var source = FileSource(descriptor: fd, name: path.string)
      let content = try await ContentStorer(writer: writer, chunker: repository.chunker).store(
        &source)
      return (
        ManifestEntry(
          name: name, kind: content.isChunked ? .chunked : .file, id: content.id,
          size: content.size, mode: status.permissions), 1
      )
    case .special:
      throw ArtError(.invalidArgument, "'\(path)' is not a file, folder or symbolic link")
    }
  }

  /// Paths the folders stored for the draft left out (sockets, FIFOs),
  /// with why.
  var skippedPaths: [String] { written.skipped.withLock { $0 } }

  /// Manifest `id`: one this editor wrote, else the store's.
  private func manifest(_ id: ObjectID) throws -> Manifest {
    if id == Manifest.emptyID { return try Manifest(entries: []) }
    if let manifest = written.manifests.withLock({ $0[id] }) { return manifest }
    return try repository.store.manifest(id)
  }

  /// Writes `manifest` and keeps it for reading back.
  private func write(_ manifest: Manifest) throws -> ObjectID {
    let id = try writer.write(manifest.encoded(), kind: .manifest, compressor: compressor)
    written.manifests.withLock { $0[id] = manifest }
    return id
  }

  /// Folder `added` merged into folder `base`: the new manifest id, its
  /// size and the change in counts.
  private func merge(_ added: ObjectID, into base: ObjectID, prefix: String) throws
    -> (ObjectID, UInt64, Counts)
  {
    // By name bytes: two names equal as strings are two files.
    var entries = try manifest(base).entriesByName
    var delta = Counts()
    for entry in try manifest(added).entries {
      let name = TreePath(entry.name)
      if let old = entries[name], old.kind == .folder, entry.kind == .folder {
        let (id, size, change) = try merge(
          entry.id, into: old.id, prefix: prefix + entry.name + "/")
        entries[name] = ManifestEntry(
          name: entry.name, kind: .folder, id: id, size: size, mode: entry.mode)
        delta = delta + change
        continue
      }
      if let old = entries[name] {
        try refuseOverFolder(entry, old, path: prefix + entry.name)
        delta = delta - (try counts(old))
      }
      entries[name] = entry
      delta = delta + (try counts(entry))
    }
    let merged = try Manifest(entries: Array(entries.values))
    return (try write(merged), merged.totalSize, delta)
  }

  /// Anything but a folder put where the version has a folder would drop
  /// the folder's files, which an addition never does.
  private func refuseOverFolder(_ entry: ManifestEntry, _ old: ManifestEntry, path: String)
    throws
  {
    guard entry.kind != .folder, old.kind == .folder else { return }
    let what = entry.kind == .symlink ? "a symbolic link" : "not a folder"
    throw ArtError(
      .invalidArgument,
      "'\(path)' is a folder in the version, and what is added there is \(what)",
      hint: "--remove \(path) too, to replace the folder whole")
  }

  /// Returns the new manifest id, its total size and the change in files
  /// and references.
  private func edit(_ id: ObjectID?, _ operations: [([String], Operation)], prefix: String)
    throws -> (ObjectID?, UInt64, Counts)
  {
    // By name bytes: two names equal as strings are two files.
    var entries = try id.map { try manifest($0).entriesByName } ?? [:]
    var delta = Counts()
    var byName: [TreePath: [([String], Operation)]] = [:]
    for (path, operation) in operations {
      guard let first = path.first else { continue }
      byName[TreePath(first), default: []].append((Array(path.dropFirst()), operation))
    }
    for (key, operations) in byName.sorted(by: { $0.key < $1.key }) {
      let name = key.text
      // Removals before additions, so `--remove a --add a/b` works.
      let ordered =
        operations.filter { if case .remove = $0.1 { true } else { false } }
        + operations.filter { if case .remove = $0.1 { false } else { true } }
      var deeper: [([String], Operation)] = []
      for (rest, operation) in ordered where rest.isEmpty {
        switch operation {
        case .remove:
          guard let old = entries.removeValue(forKey: key) else {
            throw ArtError(
              .invalidArgument, "'\(prefix + name)' is not in the version, so it cannot be removed",
              hint: "list the version's paths with 'art ls-manifest -r MANIFEST'")
          }
          delta = delta - (try counts(old))
        case .merge(let entry, _) where entries[key]?.kind == .folder:
          guard let old = entries[key] else { continue }
          let (id, size, change) = try merge(entry.id, into: old.id, prefix: prefix + name + "/")
          entries[key] = ManifestEntry(
            name: name, kind: .folder, id: id, size: size, mode: entry.mode)
          delta = delta + change
        case .add(let entry, let files), .merge(let entry, let files):
          if let old = entries[key] {
            try refuseOverFolder(entry, old, path: prefix + name)
            delta = delta - (try counts(old))
          }
          entries[key] = entry
          delta = delta + Counts(files: files)
          if entry.kind.pointsOutsideTree {
            delta = delta + Counts(references: 1, referenceBytes: Int64(entry.size))
          }
        }
      }
      deeper = ordered.filter { !$0.0.isEmpty }
      if deeper.isEmpty { continue }
      let existing = entries[key]
      if let existing, existing.kind != .folder {
        throw ArtError(
          .invalidArgument, "'\(prefix + name)' is a file in the version, not a folder",
          hint: "remove it first with --remove")
      }
      let (id, size, childDelta) = try edit(existing?.id, deeper, prefix: prefix + name + "/")
      delta = delta + childDelta
      let removes = deeper.contains { if case .remove = $0.1 { true } else { false } }
      if removes, id == Manifest.emptyID, let existing, existing.id != Manifest.emptyID {
        // Its last path was removed: the folder goes too, as in git.
        entries[key] = nil
      } else if let id {
        entries[key] = ManifestEntry(
          name: name, kind: .folder, id: id, size: size, mode: existing?.mode ?? 0o755)
      }
    }
    let edited = try Manifest(entries: Array(entries.values))
    return (try write(edited), edited.totalSize, delta)
  }

  private func counts(_ entry: ManifestEntry) throws -> Counts {
    switch entry.kind {
    case .file, .chunked: return Counts(files: 1)
    case .symlink: return Counts()
    case .external, .bundle: return Counts(references: 1, referenceBytes: Int64(entry.size))
    case .folder:
      return try manifest(entry.id).entries.reduce(Counts()) {
        $0 + (try counts($1))
      }
    }
  }
}
