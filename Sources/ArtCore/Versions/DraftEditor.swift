import ArtStore
import SystemPackage

/// Builds a new tree from an existing version plus additions and removals,
/// rewriting only the manifests on the changed paths: nothing else is read
/// or hashed (the W&B `new_draft()` pattern).
struct DraftEditor {
  let repository: Repository
  let writer: ObjectWriter
  let compressor: Compressor

  /// An edit at a path of components relative to the version's root.
  enum Operation {
    case add(ManifestEntry, files: Int)
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
    let (id, size, delta) = try edit(manifest, operations, prefix: "")
    return (id ?? Manifest.emptyID, size, delta)
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
      // Its objects are not published yet, so nothing here reads them back.
      let snapshot = try await Snapshotter(repository: repository, writer: writer)
        .writeManifest(of: path, publish: false)
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

  /// Returns the new manifest id (nil when the folder did not exist and
  /// nothing was added), its total size and the change in file count.
  private func edit(_ id: ObjectID?, _ operations: [([String], Operation)], prefix: String)
    throws -> (ObjectID?, UInt64, Counts)
  {
    var entries: [String: ManifestEntry] = [:]
    if let id {
      for entry in try repository.store.manifest(id).entries { entries[entry.name] = entry }
    }
    var delta = Counts()
    var byName: [String: [([String], Operation)]] = [:]
    for (path, operation) in operations {
      guard let first = path.first else { continue }
      byName[first, default: []].append((Array(path.dropFirst()), operation))
    }
    for (name, operations) in byName.sorted(by: { $0.key < $1.key }) {
      // Removals before additions, so `--remove a --add a/b` works.
      let ordered =
        operations.filter { if case .remove = $0.1 { true } else { false } }
        + operations.filter { if case .add = $0.1 { true } else { false } }
      var deeper: [([String], Operation)] = []
      for (rest, operation) in ordered where rest.isEmpty {
        switch operation {
        case .remove:
          guard let old = entries.removeValue(forKey: name) else {
            throw ArtError(
              .invalidArgument, "'\(prefix + name)' is not in the version, so it cannot be removed",
              hint: "list the version's paths with 'art ls-manifest -r MANIFEST'")
          }
          delta = delta - (try counts(old))
        case .add(let entry, let files):
          if let old = entries[name] { delta = delta - (try counts(old)) }
          entries[name] = entry
          delta = delta + Counts(files: files)
          if entry.kind.pointsOutsideTree {
            delta = delta + Counts(references: 1, referenceBytes: Int64(entry.size))
          }
        }
      }
      deeper = ordered.filter { !$0.0.isEmpty }
      if deeper.isEmpty { continue }
      let existing = entries[name]
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
        entries[name] = nil
      } else if let id {
        entries[name] = ManifestEntry(
          name: name, kind: .folder, id: id, size: size, mode: existing?.mode ?? 0o755)
      }
    }
    let manifest = try Manifest(entries: Array(entries.values))
    let newID = try writer.write(manifest.encoded(), kind: .manifest, compressor: compressor)
    return (newID, manifest.totalSize, delta)
  }

  private func counts(_ entry: ManifestEntry) throws -> Counts {
    switch entry.kind {
    case .file, .chunked: return Counts(files: 1)
    case .symlink: return Counts()
    case .external, .bundle: return Counts(references: 1, referenceBytes: Int64(entry.size))
    case .folder:
      return try repository.store.manifest(entry.id).entries.reduce(Counts()) {
        $0 + (try counts($1))
      }
    }
  }
}
