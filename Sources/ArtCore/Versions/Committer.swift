import ArtStore
import SystemPackage

/// Makes versions: snapshots the paths, writes the version record, and
/// moves the refs, in that order, so a crash before the refs are written
/// leaves only unreferenced objects.
///
/// Root rule (DESIGN.md): one folder committed is its own root; otherwise the
/// repository's top, unless `--root` says. Paths must lie inside the root and
/// outside `.art/`.
public struct Committer: Sendable {
  /// The repository.
  public let repository: Repository
  /// Its refs file, with the lock timeout and reporting to use.
  public let refStore: RefStore

  /// Counts files and bytes as they are stored.
  public let progress: Progress?

  /// A committer for `repository`.
  public init(repository: Repository, refStore: RefStore? = nil, progress: Progress? = nil) {
    self.repository = repository
    self.refStore = refStore ?? repository.refs
    self.progress = progress
  }

  /// Commits `request`.
  ///
  /// - Throws: ``ArtError`` with `.invalidArgument` for bad paths, a changed
  ///   type, `latest` given as an alias or a first commit without a path;
  ///   `.locked` when the refs stay locked; I/O errors. The repository is
  ///   unchanged when it throws.
  public func commit(_ request: CommitRequest) async throws -> CommitResult {
    let refs = try refStore.read()
    let previous = try refs[RefName(request.artifact, .alias(.latest))].flatMap { target in
      if case .version(let id) = target {
        return try repository.loadVersion(id, artifact: request.artifact, in: refs)
      }
      return nil
    }
    // The version the root folder holds (checked out or last committed;
    // the latest when none is recorded or it is gone): what a snapshot of
    // it is compared with and made after.
    var held = previous
    if let recorded = try FolderBases(repository).base(of: request.artifact),
      refs.versions(of: request.artifact).contains(where: { $0.id == recorded.version }),
      // A base whose record was lost with a pack counts as gone: the folder
      // is then compared with the latest, and a commit stores its files again.
      let loaded = try? repository.loadVersion(
        recorded.version, artifact: request.artifact, in: refs)
    {
      held = loaded
    }
    var base: ResolvedVersion? = nil
    if case .folder = request.contents { base = held }
    if request.aliases.contains(.latest) {
      throw ArtError(
        .invalidArgument, "'latest' is moved by art to every new version",
        hint: "leave it out; use another alias such as 'production'")
    }
    if let previous, let type = request.type, type != previous.record.type {
      throw ArtError(
        .invalidArgument,
        "'\(request.artifact)' has type '\(previous.record.type)', not '\(type)'",
        hint: "an artifact's type is fixed by its first version; drop --type or use a new name")
    }
    let type = request.type ?? previous?.record.type ?? "dataset"
    try validateType(type)
    try Self.validateLine(request.job, "--job", example: "--job train")
    try Self.validateLine(request.run, "--run", example: "--run 3f9a2c")

    // References are looked at (hashed, or asked for their head) first:
    // nothing is written if one is missing.
    var recorded: [DescribedReference] = []
    for reference in request.references {
      recorded += try await ReferenceIO().record(reference, checksum: request.checksum)
    }
    var writer = repository.makeWriter(compression: request.compression)
    do {
      var compressor = Compressor(compression: writer.compression)
      var snapshot: Snapshot
      var rootText: String
      // What the new version means for the folder's base: a snapshot of
      // the folder becomes it; a version that only adds references to
      // what the folder holds still matches the folder, so it becomes it
      // when it was made from that (`referencesAddedTo`).
      var isSnapshot = false
      var referencesAddedTo: ResolvedVersion? = nil
      switch request.contents {
      case .built:
        // Made under the refs lock, below.
        snapshot = Snapshot(manifestID: Manifest.emptyID)
        rootText = ""
      case .draft(let from, let root, let adding, let removing):
        let start =
          request.startsEmpty
          ? nil : try from.map { try repository.resolve($0, in: refs) } ?? previous
        base = start
        if adding.isEmpty && removing.isEmpty { referencesAddedTo = start }
        // An empty draft keeps the latest version's root folder unless told.
        let keptRoot =
          request.startsEmpty
          ? previous.map { repository.root.pushing(FilePath($0.record.root)).lexicallyNormalized() }
          : nil
        (snapshot, rootText) = try await draft(
          request, from: start, root: root ?? keptRoot, adding: adding, removing: removing,
          references: recorded, writer: writer, compressor: compressor)
      case .folder(let paths, let root)
      where paths.isEmpty && request.carriesReferences
        && (!recorded.isEmpty || !request.bundleEntries.isEmpty):
        // Only references: added to the latest version's tree, nothing read
        // (so made after the latest, not the folder's base).
        base = nil
        referencesAddedTo = previous
        rootText = previous?.record.root ?? root.map { repository.relativePath($0) } ?? ""
        let editor = DraftEditor(repository: repository, writer: writer, compressor: compressor)
        let (manifest, bytes, delta) = try editor.apply(
          try additions(recorded, request.bundleEntries, editor: editor),
          to: previous?.record.manifest)
        snapshot = Snapshot(manifestID: manifest)
        snapshot.bytes = bytes
        snapshot.count(delta, after: previous?.record)
      case .folder(let paths, let root):
        (snapshot, rootText) = try await snapshotFolder(
          request, paths: paths, root: root, previous: base, latest: previous,
          references: recorded, writer: &writer, compressor: &compressor)
        if base?.record.root != rootText { base = nil }  // another folder: not its base
        isSnapshot = true
      }
      let isDraft: Bool
      if case .draft = request.contents { isDraft = true } else { isDraft = false }
      let finalWriter = writer
      let finalCompressor = compressor
      let finalBase = base
      let result = try refStore.update { refs -> CommitResult in
        // Read again under the lock: a base removed since is no base.
        let base = finalBase.flatMap { base in
          refs.versions(of: request.artifact).contains { $0.id == base.id } ? base : nil
        }
        let writer = finalWriter
        let compressor = finalCompressor
        if case .built(let build) = request.contents {
          let built = try build(refs, writer, compressor)
          snapshot.manifestID = built.manifest
          snapshot.files = built.files
          snapshot.bytes = built.bytes
          rootText = built.root
        }
        // Read again under the lock: another commit may have moved latest.
        let latestName = RefName(request.artifact, .alias(.latest))
        var latest: ResolvedVersion? = nil
        if case .version(let id) = refs[latestName] {
          latest = try repository.loadVersion(id, artifact: request.artifact, in: refs)
        }
        // Nothing to commit when the tree is its base's (the folder was
        // not changed since its checkout) or the latest version's.
        if !request.allowEmpty,
          let same = [base, latest].compactMap({ $0 }).first(where: {
            $0.record.manifest == snapshot.manifestID && $0.record.root == rootText
          })
        {
          snapshot.statistics.add(try writer.finish())
          // The aliases asked for go to the version the tree already is
          // (as W&B gives an unchanged artifact's aliases to its version).
          var moved: [Alias] = []
          for alias in request.aliases {
            let name = RefName(request.artifact, .alias(alias))
            if refs[name] != .version(same.id) {
              refs[name] = .version(same.id)
              moved.append(alias)
            }
          }
          var result = CommitResult(
            version: same, created: false, snapshot: snapshot, base: base, latest: latest)
          result.aliasesMoved = moved
          return result
        }
        let version = try makeVersion(
          request, type: type, tree: snapshot, root: rootText, after: base ?? latest,
          recorded: recorded, refs: &refs, writer: writer, compressor: compressor)
        snapshot.statistics.add(try writer.finish())
        try checkReadable(snapshot.manifestID, of: version, carried: isDraft)
        return CommitResult(
          version: version, created: true, snapshot: snapshot, base: base, latest: latest)
      }
      // A draft that stores or removes files does not match the folder,
      // and leaves its base alone.
      if isSnapshot
        || (result.created && referencesAddedTo != nil && referencesAddedTo?.id == held?.id)
      {
        try FolderBases(repository).record(
          FolderBase(version: result.version.id, artifact: request.artifact))
      }
      snapshot.statCache?.write(store: repository.store)
      return result
    } catch {
      writer.abandon()
      throw error
    }
  }

  /// Throws when tree `id` names an object the store lacks or only a lost
  /// pack file lists (see ``ObjectStore/hasBrokenPackFile``), so no version
  /// is made that cannot be checked out.
  ///
  /// A folder's files are stored again by the commit that reads them; a
  /// draft (`carried`) takes its base's entries unread, and cannot. Walks
  /// the whole tree: for a draft, or while some pack file is damaged.
  private func checkReadable(_ id: ObjectID, of version: ResolvedVersion, carried: Bool) throws {
    guard carried || repository.store.hasBrokenPackFile else { return }
    var graph = ObjectGraph(source: LocalObjects(repository.store), onProblem: .stop)
    var visitor = MarkingVisitor()
    do {
      try graph.walkNow([.tree(id, label: version.label)], visitor: &visitor)
    } catch let error as ArtError {
      throw ArtError(
        .corruptData, "\(version.label) was not made: \(error.message)",
        hint: "a pack file is missing or cut short ('art fsck -v' names it); commit the "
          + "files it held again from a folder (or add them to the draft), or fetch them")
    }
  }

  /// Writes the version record of `tree` and names it in `refs`.
  ///
  /// The record has root folder `root` and is made from `previous` (the
  /// folder's base, a draft's `--from`, else the latest version); `refs`
  /// gain its number, `latest` and the request's aliases. Called under the
  /// refs lock.
  private func makeVersion(
    _ request: CommitRequest, type: String, tree: Snapshot, root: String,
    after previous: ResolvedVersion?, recorded: [DescribedReference], refs: inout Refs,
    writer: ObjectWriter, compressor: Compressor
  ) throws -> ResolvedVersion {
    // A bundle's versions are inputs too (lineage shows the edge, and
    // gc keeps them with the bundle).
    var inputs =
      try request.inputs.map { try repository.resolve($0, in: refs).id } + request.inputIDs
    // What the run used (`art use`) is an input of what it makes.
    if !request.run.isEmpty {
      let live = Set(refs.artifacts.flatMap { refs.versions(of: $0).map(\.id) })
      for use in try repository.journal().runs(request.run).first?.uses ?? [] {
        guard let id = use.versionID, live.contains(id), !inputs.contains(id) else { continue }
        inputs.append(id)
      }
    }
    for reference in request.bundleEntries where !inputs.contains(reference.id) {
      inputs.append(reference.id)
    }
    let number = refs.nextNumber(of: request.artifact)
    let created = WallClock.milliseconds()
    var record = VersionRecord(
      artifact: request.artifact.text, type: type, number: number.value, root: root,
      manifest: tree.manifestID, files: UInt64(tree.files), size: tree.bytes,
      previous: previous?.id, description: request.description,
      metadata: Metadata.canonical(request.metadata), created: created, inputs: inputs,
      job: request.job, expires: request.timeToLive.map { created.addingSaturating($0) },
      distributedID: request.distributedID)
    record.run = request.run
    record.referenceCount = tree.references
    record.referenceBytes = tree.referenceBytes
    let id = try writer.write(record.encoded(), kind: .version, compressor: compressor)
    // References recorded here are trusted at checkout (see RecordedReferences).
    try RecordedReferences.append(
      recorded.map { ObjectHasher.id(of: $0.reference.encoded()) }, to: repository)
    refs[RefName(request.artifact, .version(number))] = .version(id)
    refs[RefName(request.artifact, .alias(.latest))] = .version(id)
    for alias in request.aliases {
      refs[RefName(request.artifact, .alias(alias))] = .version(id)
    }
    return ResolvedVersion(id: id, record: record, artifact: request.artifact)
  }

  /// A snapshot of the folder `paths` select below their root folder.
  ///
  /// `references` and the request's bundle entries are added, and the
  /// latest version's external references and bundle entries carried
  /// forward (not read from the folder). When there are any, the folder's
  /// objects are published and `writer` is replaced by a new one for the
  /// rest.
  private func snapshotFolder(
    _ request: CommitRequest, paths: [FilePath], root: FilePath?, previous: ResolvedVersion?,
    latest: ResolvedVersion?, references: [DescribedReference], writer: inout ObjectWriter,
    compressor: inout Compressor
  ) async throws -> (Snapshot, String) {
    let (root, selection) = try plan(
      request, paths: paths, root: root, previous: previous ?? latest)
    let rootText = repository.relativePath(root)
    // References of the version the folder holds (else of the latest, when
    // it has this root) stay references: their paths are not read from the
    // folder, and they are carried forward.
    var carried: [[String]: ManifestEntry] = [:]
    let source = [previous, latest].compactMap { $0 }.first { $0.record.root == rootText }
    if request.carriesReferences, let source, source.record.referenceCount > 0 {
      for (path, entry) in try TreeListing.entries(
        of: source.record.manifest, in: repository.store) where entry.kind.pointsOutsideTree
      {
        let parts = path.text.split(separator: "/").map(String.init)
        carried[parts] = ManifestEntry(
          name: parts[parts.count - 1], kind: entry.kind, id: entry.id, size: entry.size,
          mode: entry.mode)
      }
    }
    for path in references.map(\.path) + request.bundleEntries.map(\.path) {
      carried[path] = nil  // given again
    }
    let skipped = Set(carried.keys).union(references.map(\.path))
      .union(request.bundleEntries.map(\.path))
    var snapshotter = Snapshotter(
      repository: repository, writer: writer, statCache: StatCache(repository: repository),
      progress: progress)
    snapshotter.skipping = Set(skipped.map { root.appending($0.joined(separator: "/")) })
    // Modes as a checkout of the version there left them are no change.
    snapshotter.heldTree = source?.record.manifest
    var snapshot = try await snapshotter.writeManifest(
      of: root, selecting: selection, publish: !skipped.isEmpty)
    if !skipped.isEmpty {
      // The folder's objects are published; the references and the
      // manifests above them go into a second writer.
      let folderStatistics = snapshot.statistics
      writer = repository.makeWriter(compression: request.compression)
      compressor = Compressor(compression: writer.compression)
      let editor = DraftEditor(repository: repository, writer: writer, compressor: compressor)
      let operations =
        carried.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map {
          ($0.key, DraftEditor.Operation.add($0.value, files: 0))
        } + (try additions(references, request.bundleEntries, editor: editor))
      let (manifest, bytes, delta) = try editor.apply(operations, to: snapshot.manifestID)
      snapshot.manifestID = manifest
      snapshot.bytes = bytes
      snapshot.files += delta.files
      snapshot.statistics = folderStatistics
      snapshot.references = UInt64(delta.references)
      snapshot.referenceBytes = UInt64(delta.referenceBytes)
    }
    return (snapshot, rootText)
  }

  /// The tree of `base` (nil: an empty tree, for a first version or
  /// `--fresh`) plus the request's additions, minus its removals.
  ///
  /// Paths are relative to the version's root folder; a path on disk inside
  /// that folder is taken as its place there. Without a base the root is
  /// `root` (`--root`, or for `--fresh` the latest version's), else the
  /// repository's top.
  private func draft(
    _ request: CommitRequest, from base: ResolvedVersion?, root: FilePath?,
    adding: [DraftAddition], removing: [DraftPath], references: [DescribedReference],
    writer: ObjectWriter, compressor: Compressor
  ) async throws -> (Snapshot, String) {
    if let base, base.artifact != request.artifact {
      throw ArtError(
        .invalidArgument, "--from \(base.label) is a version of another artifact",
        hint: "give a version of '\(request.artifact)'")
    }
    if adding.isEmpty && removing.isEmpty && references.isEmpty
      && request.bundleEntries.isEmpty && !(request.allowEmpty && base != nil)
    {
      throw ArtError(
        .invalidArgument,
        base == nil
          ? "a draft from an empty tree needs at least one --add or --reference"
          : "a draft from \(base?.label ?? "a version") needs at least one --add, --remove or --reference",
        hint: "give what changes, or --allow-empty to make a version of the same files")
    }
    let rootText: String
    if let base {
      rootText = base.record.root
    } else if let root {
      try repository.requireInside(root, asRoot: true)
      rootText = repository.relativePath(root)
    } else {
      rootText = ""
    }
    let root = repository.root.pushing(FilePath(rootText)).lexicallyNormalized()
    let label = base?.label ?? "'\(request.artifact)'"
    /// A path on disk inside the root: its place below it.
    func place(onDisk path: FilePath) -> [String]? {
      guard path.starts(with: root), path != root, (try? repository.requireInside(path)) != nil
      else { return nil }
      return path.components.dropFirst(root.components.count).map(\.string)
    }
    /// A path as written, relative to the root.
    func place(_ text: String, flag: String) throws -> [String] {
      guard let path = try? ConfinedPath(text), !path.components.isEmpty else {
        throw ArtError(
          .invalidArgument, "'\(text)' is not a path inside \(label)",
          hint: "\(flag) takes a path relative to the version's root folder "
            + "('\(rootText.isEmpty ? "." : rootText)'), such as images/cat.jpg")
      }
      return path.components
    }
    let editor = DraftEditor(repository: repository, writer: writer, compressor: compressor)
    var operations: [([String], DraftEditor.Operation)] = []
    /// Whether the base version has `parts`.
    func has(_ parts: [String]) -> Bool {
      guard let manifest = base?.record.manifest else { return false }
      return (try? TreeListing.entry(at: parts, of: manifest, in: repository.store)) != nil
    }
    for path in removing {
      // A path on disk inside the root folder, or the text as written
      // relative to the root: whichever the version has.
      let candidates = [place(onDisk: path.onDisk), try? place(path.text, flag: "--remove")]
        .compactMap { $0 }
      let parts =
        try candidates.first(where: has) ?? candidates.first
        ?? place(path.text, flag: "--remove")
      operations.append((parts, .remove))
    }
    for addition in adding {
      try refuseInsideArtFolder(addition.source)
      let parts: [String]
      if let destination = addition.destination, destination == "." || destination.isEmpty {
        // A folder's contents merged at the top of the version.
        guard try Syscalls.linkStatus(addition.source)?.kind == .directory else {
          throw ArtError(
            .invalidArgument, "'\(addition.source)' is not a folder, so it cannot go at '.'",
            hint: "give a file a path in the version: --add \(addition.source)=NAME")
        }
        parts = []
      } else if let destination = addition.destination {
        parts = try place(destination, flag: "--add SRC=DEST")
      } else if let inside = place(onDisk: addition.source) {
        parts = inside
      } else {
        throw ArtError(
          .invalidArgument,
          "'\(addition.source)' is outside the root folder '\(root)' of \(label)",
          hint: "say where it goes in the version: --add \(addition.source)=PATH, "
            + "e.g. =notes/\(addition.source.lastComponent?.string ?? "file")")
      }
      let (entry, files) = try await editor.store(addition.source, name: parts.last ?? ".")
      // A folder merges into a folder already there; anything else replaces.
      operations.append(
        (parts, entry.kind == .folder ? .merge(entry, files: files) : .add(entry, files: files)))
    }
    operations += try additions(references, request.bundleEntries, editor: editor)
    let (manifest, bytes, delta) = try editor.apply(operations, to: base?.record.manifest)
    var snapshot = Snapshot(manifestID: manifest)
    snapshot.bytes = bytes
    snapshot.count(delta, after: base?.record)
    snapshot.skipped = editor.skippedPaths
    return (snapshot, rootText)
  }

  /// Refuses a draft source inside this repository's `.art` (its real
  /// path: a link on the way does not hide it).
  private func refuseInsideArtFolder(_ source: FilePath) throws {
    let store = repository.root.appending(Repository.directoryName)
    var real = source.lexicallyNormalized()
    if let parent = Syscalls.realPath(real.removingLastComponent()), let last = real.lastComponent {
      real = parent.appending(last)
    }
    let realStore = Syscalls.realPath(store) ?? store
    if source.lexicallyNormalized().starts(with: store) || real.starts(with: realStore) {
      throw ArtError(
        .invalidArgument, "'\(source)' is inside .art, which art manages itself",
        hint: "add files of the working folder, e.g. --add data/new.csv")
    }
  }

  /// The root folder and, when only some paths under it are committed, those
  /// paths as components relative to it.
  private func plan(
    _ request: CommitRequest, paths: [FilePath], root: FilePath?, previous: ResolvedVersion?
  ) throws -> (FilePath, [[String]]?) {
    var paths = paths
    if paths.isEmpty {
      guard let previous else {
        throw ArtError(
          .invalidArgument,
          "'\(request.artifact)' has no versions yet, so give the paths to commit",
          hint: "for example: art commit \(request.artifact) data/")
      }
      paths = [repository.root.pushing(FilePath(previous.record.root)).lexicallyNormalized()]
    }
    for path in paths { try repository.requireInside(path) }
    for path in paths where try Syscalls.linkStatus(path) == nil {
      throw ArtError(.notFound, "'\(path)' does not exist", hint: "check the path")
    }
    if root == nil, paths.count == 1, let only = paths.first,
      try Syscalls.linkStatus(only)?.kind == .symlink, Syscalls.isDirectory(only)
    {
      // Stored as what it is, a link, the version would hold no files.
      throw ArtError(
        .invalidArgument,
        "'\(only)' is a symbolic link to a folder; art stores a link as a link, not the "
          + "files it points to",
        hint: "commit the folder itself (its real path), or give --root to store the link as a link"
      )
    }
    if root == nil, paths.count == 1, let only = paths.first,
      try Syscalls.linkStatus(only)?.kind == .directory
    {
      return (only, nil)
    }
    let root = root ?? repository.root
    try repository.requireInside(root, asRoot: true)
    var selection: [[String]] = []
    for path in paths {
      guard path.starts(with: root) else {
        throw ArtError(
          .invalidArgument, "'\(path)' is outside the root folder '\(root)'",
          hint: "choose a --root that holds every path")
      }
      let components = path.components.dropFirst(root.components.count).map(\.string)
      if components.isEmpty { return (root, nil) }  // the root itself: everything
      selection.append(Array(components))
    }
    return (root, selection)
  }

  /// The operations adding `recorded` (their reference objects are
  /// written) and `versions` (entries pointing at version records).
  private func additions(
    _ recorded: [DescribedReference], _ versions: [BundleEntryRequest], editor: DraftEditor
  ) throws -> [([String], DraftEditor.Operation)] {
    try recorded.map { try editor.addition($0) }
      + versions.map { reference in
        let entry = ManifestEntry(
          name: reference.path[reference.path.count - 1], kind: .bundle, id: reference.id,
          size: reference.size, mode: 0o755)
        return (reference.path, DraftEditor.Operation.add(entry, files: 0))
      }
  }

  /// Job and run are free text, but one line of at most 200 bytes.
  static func validateLine(_ value: String, _ flag: String, example: String) throws {
    if value.contains(where: \.isNewline) || value.utf8.count > 200 {
      throw ArtError(
        .invalidArgument, "\(flag) must be one line of at most 200 bytes",
        hint: "for example \(example)")
    }
  }

  private func validateType(_ type: String) throws {
    guard isValidLabel(type) else {
      throw ArtError(
        .invalidArgument, "'\(type)' is not a valid type",
        hint: "use letters, digits, '.', '_' and '-', e.g. dataset, model")
    }
  }
}

extension Snapshot {
  /// Sets the file and reference counts of a tree edited from `base`'s
  /// (none: an empty tree) by changes counting `delta`.
  mutating func count(_ delta: DraftEditor.Counts, after base: VersionRecord?) {
    files = max(0, Int(base?.files ?? 0) + delta.files)
    references = UInt64(max(0, Int(base?.referenceCount ?? 0) + delta.references))
    referenceBytes = UInt64(max(0, Int64(base?.referenceBytes ?? 0) + delta.referenceBytes))
  }
}
