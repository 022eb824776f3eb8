public import ArtStore
public import SystemPackage

/// One worker's contribution to a distributed draft (`art upsert`).
public struct DraftPart: Sendable {
  /// The part file's name.
  public var name: String
  /// The tree this worker stored (paths relative to ``root``).
  public var manifest: ObjectID
  /// Who added it (`--worker`, default host:pid).
  public var worker: String
  /// When, in milliseconds since 1970.
  public var created: Int64
  /// Files and bytes in it.
  public var files: Int
  public var bytes: UInt64
  /// The version's root folder, relative to the repository.
  public var root: String
}

/// Versions made by many workers at once: each `upsert`s its part under a
/// shared distributed id, then one `finish` merges the parts into a version.
///
/// Parts live in `.art/drafts/<artifact>/<id>/part-<pid>-<n>` (text, see
/// `Docs/FORMAT.md`), written atomically after their objects are published
/// and while the refs lock is held, so `finish` (which merges under the same
/// lock) sees every part that was upserted before it and none after. A
/// finished draft is known by the version recording its distributed id.
public enum DistributedDraft {
  static let header = "# art-draft-part v1"

  /// The folder of the draft `id` of `artifact`.
  public static func folder(_ repository: Repository, _ artifact: ArtifactName, _ id: String)
    -> FilePath
  {
    repository.layout.drafts.appending(artifact.text).appending(id)
  }

  /// Checks a distributed id: 1–128 letters, digits, `.`, `_`, `-`.
  public static func validate(_ id: String) throws {
    let allowed = id.utf8.allSatisfy {
      ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122)
        || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
    }
    guard allowed, (1...128).contains(id.utf8.count), id != ".", id != ".." else {
      throw ArtError(
        .invalidArgument, "'\(id)' is not a valid distributed id",
        hint: "use 1-128 letters, digits, '.', '_' and '-', e.g. a job or run id")
    }
  }

  /// The version that finished draft `id`, if any.
  public static func finished(
    _ repository: Repository, _ refs: Refs, _ artifact: ArtifactName, _ id: String
  ) throws -> ResolvedVersion? {
    for (_, versionID) in refs.versions(of: artifact).reversed() {
      let version = try repository.loadVersion(versionID, artifact: artifact)
      if version.record.distributedID == id { return version }
    }
    return nil
  }

  /// The parts of draft `id`, oldest first.
  ///
  /// - Throws: ``ArtError`` with `.corruptData` naming a damaged part file.
  public static func parts(_ repository: Repository, _ artifact: ArtifactName, _ id: String)
    throws -> [DraftPart]
  {
    let folder = folder(repository, artifact, id)
    guard Syscalls.isDirectory(folder) else { return [] }
    var parts: [DraftPart] = []
    for raw in try directoryEntries(folder) {
      guard let name = String(validating: raw, as: UTF8.self), name.hasPrefix("part-") else {
        continue
      }
      let path = folder.appending(name)
      guard let bytes = try AtomicFile.read(path, limit: 1 << 20) else { continue }
      parts.append(try decode(bytes, name: name, source: path.string))
    }
    return parts.sorted { ($0.created, $0.name) < ($1.created, $1.name) }
  }

  /// The text of a part file (see `Docs/FORMAT.md`).
  public static func encode(_ part: DraftPart) -> [UInt8] {
    Array(
      ("\(header)\nmanifest \(part.manifest.hex)\nworker \(part.worker)\ncreated \(part.created)\n"
        + "files \(part.files)\nbytes \(part.bytes)\nroot \(part.root)\n").utf8)
  }

  /// Parses a part file named `name`; errors name `source`.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged part.
  public static func decode(_ bytes: [UInt8], name: String, source: String) throws -> DraftPart {
    var fields: [String: String] = [:]
    let text = String(decoding: bytes, as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    for line in lines.dropFirst() {
      guard let space = line.firstIndex(of: " ") else { continue }
      fields[String(line[..<space])] = String(line[line.index(after: space)...])
    }
    guard lines.first == Substring(header),
      let manifest = fields["manifest"].flatMap(ObjectID.init),
      let created = fields["created"].flatMap({ Int64($0) }),
      let files = fields["files"].flatMap({ Int($0) }), files >= 0,
      let size = fields["bytes"].flatMap({ UInt64($0) }), size <= UInt64(Int64.max),
      let root = fields["root"], let worker = fields["worker"]
    else {
      throw ArtError(
        .corruptData, "draft part '\(source)' is damaged",
        hint: "delete it and run that worker's 'art upsert' again")
    }
    // Written by another machine: its root becomes the version's.
    if let problem = VersionRecord.rootProblem(root) {
      throw ArtError(
        .corruptData, "draft part '\(source)' has a root folder '\(root)' with \(problem)",
        hint: "delete it and run that worker's 'art upsert' again")
    }
    return DraftPart(
      name: name, manifest: manifest, worker: worker, created: created, files: files,
      bytes: size, root: root)
  }

  /// Writes `part` into the local folder of draft `id` (a part another
  /// machine upserted to a remote, before `finish` merges it).
  static func write(
    _ part: DraftPart, _ repository: Repository, _ artifact: ArtifactName, _ id: String
  )
    throws
  {
    let folder = folder(repository, artifact, id)
    try Syscalls.makeDirectories(folder)
    try AtomicFile.write(encode(part), to: folder.appending(part.name))
  }

  /// Deletes one part file of draft `id` (once a remote holds it).
  public static func removePart(
    _ part: DraftPart, _ repository: Repository, _ artifact: ArtifactName, _ id: String
  ) {
    let folder = folder(repository, artifact, id)
    try? Syscalls.unlink(folder.appending(part.name))
    try? Syscalls.removeDirectory(folder)
  }

  /// Records `part` for draft `id`, unless the draft was finished; call
  /// with the refs lock held, after the part's objects are published.
  static func record(
    _ part: DraftPart, _ repository: Repository, _ refs: Refs, _ artifact: ArtifactName,
    _ id: String
  ) throws {
    if let version = try finished(repository, refs, artifact, id) {
      throw ArtError(
        .invalidArgument, "draft '\(artifact)' '\(id)' was finished as \(version.label)",
        hint: "use a new --distributed-id for a new version")
    }
    try write(part, repository, artifact, id)
  }

  /// Merges the parts of draft `id` into one tree.
  ///
  /// The tree is the union of their paths. The same path with the same content from two workers is fine;
  /// with different content it is an error naming the path and both
  /// workers.
  static func merge(
    _ parts: [DraftPart], artifact: ArtifactName, id: String, repository: Repository,
    writer: ObjectWriter, compressor: Compressor
  ) throws -> BuiltTree {
    guard let first = parts.first else {
      throw ArtError(
        .notFound, "draft '\(artifact)' '\(id)' has no parts",
        hint: "run 'art upsert \(artifact) --distributed-id \(id) PATH' on each worker first")
    }
    if let other = parts.first(where: { $0.root != first.root }) {
      throw ArtError(
        .invalidArgument,
        "workers of draft '\(id)' used different roots: '\(first.root)' (\(first.worker)) and "
          + "'\(other.root)' (\(other.worker))",
        hint: "give every worker the same --root")
    }
    var merged: [TreePath: (entry: TreeEntry, worker: String)] = [:]
    for part in parts {
      for (path, entry) in try TreeListing.entries(of: part.manifest, in: repository.store) {
        if let seen = merged[path] {
          guard seen.entry.kind == entry.kind, seen.entry.id == entry.id else {
            throw ArtError(
              .invalidArgument,
              "'\(path)' was added with different content by \(seen.worker) and \(part.worker)",
              hint: "each path may come from one worker, or be the same in all")
          }
          continue
        }
        merged[path] = (entry, part.worker)
      }
    }
    _ = try writer.write(Manifest(entries: []).encoded(), kind: .manifest, compressor: compressor)
    let editor = DraftEditor(repository: repository, writer: writer, compressor: compressor)
    var files = 0
    let operations = merged.sorted { $0.key < $1.key }.map { path, value in
      let components = path.text.split(separator: "/").map(String.init)
      let isFile = value.entry.kind == .file || value.entry.kind == .chunked
      if isFile { files += 1 }
      let entry = ManifestEntry(
        name: components.last ?? path.text, kind: value.entry.kind, id: value.entry.id,
        size: value.entry.size, mode: value.entry.mode)
      return (components, DraftEditor.Operation.add(entry, files: isFile ? 1 : 0))
    }
    let (manifest, bytes, _) = try editor.apply(operations, to: nil)
    return BuiltTree(manifest: manifest, files: files, bytes: bytes, root: first.root)
  }

  /// Every draft with parts and no finishing version: (artifact, id, parts).
  public static func pending(_ repository: Repository, _ refs: Refs) throws
    -> [(artifact: ArtifactName, id: String, parts: [DraftPart])]
  {
    try scan(repository, refs).pending
  }

  /// Pending drafts, and finished ones whose parts are still on disk (a
  /// `finish` that stopped before deleting them).
  static func scan(_ repository: Repository, _ refs: Refs) throws
    -> (
      pending: [(artifact: ArtifactName, id: String, parts: [DraftPart])],
      finished: [(ArtifactName, String)]
    )
  {
    let top = repository.layout.drafts
    guard Syscalls.isDirectory(top) else { return ([], []) }
    var drafts: [(ArtifactName, String, [DraftPart])] = []
    var finishedDrafts: [(ArtifactName, String)] = []
    for rawName in try directoryEntries(top).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
      guard let text = String(validating: rawName, as: UTF8.self),
        let artifact = try? ArtifactName(text)
      else { continue }
      for rawID in try directoryEntries(top.appending(text)).sorted(by: {
        $0.lexicographicallyPrecedes($1)
      }) {
        guard let id = String(validating: rawID, as: UTF8.self), (try? validate(id)) != nil else {
          continue
        }
        let parts = try parts(repository, artifact, id)
        if parts.isEmpty { continue }
        if try finished(repository, refs, artifact, id) != nil {
          finishedDrafts.append((artifact, id))
          continue
        }
        drafts.append((artifact, id, parts))
      }
    }
    return (drafts, finishedDrafts)
  }

  /// Stores `paths` (inside `root`, default the repository's top) as this
  /// worker's part of draft `id`.
  ///
  /// - Throws: ``ArtError`` for a bad id or path, or when the draft was
  ///   finished already (checked again under the refs lock).
  public static func upsert(
    _ repository: Repository, refStore: RefStore, artifact: ArtifactName, id: String,
    paths: [FilePath], root: FilePath?, worker: String, progress: Progress? = nil
  ) async throws -> DraftPart {
    try validate(id)
    if let version = try finished(repository, refStore.read(), artifact, id) {
      throw ArtError(
        .invalidArgument, "draft '\(artifact)' '\(id)' was finished as \(version.label)",
        hint: "use a new --distributed-id for a new version")
    }
    guard !paths.isEmpty else {
      throw ArtError(
        .invalidArgument, "give the paths this worker adds",
        hint: "for example: art upsert \(artifact) --distributed-id \(id) data/shard-3")
    }
    let root = root ?? repository.root
    try repository.requireInside(root, asRoot: true)
    var selection: [[String]]? = []
    for path in paths {
      try repository.requireInside(path)
      if path == root {
        selection = nil  // The whole root folder.
        continue
      }
      guard path.starts(with: root) else {
        throw ArtError(
          .invalidArgument, "'\(path)' is not inside the root folder '\(root)'",
          hint: "every worker adds paths below the same --root (default: the repository's top)")
      }
      guard try Syscalls.linkStatus(path) != nil else {
        throw ArtError(.notFound, "'\(path)' does not exist", hint: "check the path")
      }
      selection?.append(path.components.dropFirst(root.components.count).map(\.string))
    }
    let snapshot = try await Snapshotter(
      repository: repository, writer: repository.makeWriter(), progress: progress
    ).writeManifest(of: root, selecting: selection, publish: true)
    let part = DraftPart(
      name: "part-\(Syscalls.processID)-\(UInt64.random(in: 0...UInt64.max))",
      manifest: snapshot.manifestID, worker: worker,
      created: WallClock.milliseconds(), files: snapshot.files, bytes: snapshot.bytes,
      root: repository.relativePath(root))
    try refStore.update { refs in try record(part, repository, refs, artifact, id) }
    return part
  }

  /// Merges every part of draft `id` into the next version of the request's
  /// artifact (with its metadata, aliases, description), then drops the
  /// parts.
  public static func finish(
    _ repository: Repository, refStore: RefStore, request: CommitRequest, id: String
  ) async throws -> CommitResult {
    try validate(id)
    var request = request
    let artifact = request.artifact
    request.distributedID = id
    request.allowEmpty = true
    request.contents = .built { refs, writer, compressor in
      if let version = try finished(repository, refs, artifact, id) {
        throw ArtError(
          .invalidArgument, "draft '\(artifact)' '\(id)' was finished already as \(version.label)",
          hint: "use a new --distributed-id for a new version")
      }
      return try merge(
        parts(repository, artifact, id), artifact: artifact, id: id, repository: repository,
        writer: writer, compressor: compressor)
    }
    let result = try await Committer(repository: repository, refStore: refStore).commit(request)
    remove(repository, artifact, id)
    return result
  }

  /// Deletes the parts of draft `id` (once finished, or expired).
  public static func remove(_ repository: Repository, _ artifact: ArtifactName, _ id: String) {
    let folder = folder(repository, artifact, id)
    for raw in (try? directoryEntries(folder)) ?? [] {
      try? Syscalls.unlink(folder.appending(String(decoding: raw, as: UTF8.self)))
    }
    try? Syscalls.removeDirectory(folder)
  }
}
