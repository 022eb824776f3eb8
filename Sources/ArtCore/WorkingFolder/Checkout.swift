import ArtStore
public import SystemPackage

/// Glob patterns for `--path`: `*`, `?` and `[a-z]` within a path
/// component (see ``Glob``), `**` across components; a pattern naming a
/// folder matches everything below it.
public struct PathPattern: Sendable {
  /// The pattern as given.
  public let text: String
  private let components: [String]

  /// A pattern such as `images/**/*.jpg` or `labels`.
  public init(_ text: String) throws {
    self.text = text
    let parts = text.split(separator: "/").map(String.init).filter { $0 != "." }
    guard !parts.isEmpty, !parts.contains(".."), !text.contains("\n") else {
      throw ArtError(
        .invalidArgument, "'\(text)' is not a path pattern",
        hint: "use a path relative to the version's root, e.g. 'images/**/*.jpg'")
    }
    components = parts
  }

  /// Whether `path` (relative, `/`-separated) matches, or lies below a match.
  public func matches(_ path: String) -> Bool {
    let parts = path.split(separator: "/").map(String.init)
    return Self.match(components[...], parts[...])
  }

  private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
    guard let first = pattern.first else { return true }  // below a matched folder
    if first == "**" {
      var rest = path
      while true {
        if match(pattern.dropFirst(), rest) { return true }
        guard !rest.isEmpty else { return false }
        rest = rest.dropFirst()
      }
    }
    guard let head = path.first, globMatches(Array(first.utf8)[...], Array(head.utf8)[...]) else {
      return false
    }
    return match(pattern.dropFirst(), path.dropFirst())
  }
}

/// Whether `s` matches the glob `p` (see ``Glob``: `*`, `?`, `[a-z]`),
/// in time linear in the product of their lengths.
func globMatches(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
  Glob.matches(Glob.compile(Array(p)), Array(s))
}

/// Makes a folder match a version.
///
/// In place (no `--to`), the version's root folder is brought to the
/// version for every path the artifact tracks — those of this version and of
/// the version checked out before (or the latest): missing and changed files
/// are written, files the old version had and this one lacks are deleted,
/// untracked files are never touched, and files already right are not
/// rewritten. A path is overwritten or deleted only if it is absent or
/// still matches the old version, or a version a checkout began writing
/// there (``FolderBase/partial``); anything else is a local change and
/// stops the checkout, listing them, unless `force`.
public struct Checkout: Sendable {
  /// The repository.
  public let repository: Repository

  /// Counts files and bytes as they are written.
  public let progress: Progress?
  /// What to do with reference entries.
  public var references = ReferencePolicy.fetch(allowChanged: false)
  /// How long a checkout into a folder waits for another one into the
  /// same folder.
  public var lockTimeout: Duration = .seconds(60)

  /// A checkout in `repository`.
  public init(repository: Repository, progress: Progress? = nil) {
    self.repository = repository
    self.progress = progress
  }

  /// Writes `version` into the folder `target`, made if missing, only paths
  /// matching `patterns` when any are given, and records it as the
  /// folder's base.
  ///
  /// A new or empty folder gets a whole copy, folder modes included. In a
  /// folder that holds files, as when a script downloads its data again,
  /// the copy is brought to `version` as in place: files already right are
  /// kept, files of the folder's previous base (a `--to` checkout) or of a
  /// checkout stopped half way are replaced or deleted, other differing
  /// files are conflicts unless
  /// `force`, and files art never wrote are kept unless `clean` (refused
  /// for a folder that holds the repository or an artifact's root folder).
  /// A failed checkout into a new or empty folder leaves nothing behind,
  /// and the folder's base as it was. Checkouts into one folder take turns.
  ///
  /// - Throws: ``ArtError`` `.conflict` listing local changes (nothing is
  ///   changed then); `.referenceRefused` after writing everything else,
  ///   when file references recorded elsewhere were skipped (see
  ///   ``ReferenceTrust``); `.locked` when another checkout into the
  ///   folder outlasts ``lockTimeout``.
  public func copy(
    _ version: ResolvedVersion, to target: FilePath, patterns: [PathPattern], force: Bool = false,
    clean: Bool = false
  ) async throws -> Materialization {
    let target = target.lexicallyNormalized()
    let existing = try Syscalls.linkStatus(target)
    if let existing, existing.kind != .directory {
      throw ArtError(
        .invalidArgument, "'\(target)' exists and is not a folder",
        hint: "give a folder to --to, or move the file away")
    }
    if clean { try refuseCleaning(target) }
    let bases = FolderBases(repository)
    let lock = try bases.lock(folder: target, timeout: lockTimeout)
    defer { try? lock.close() }
    let base = FolderBase(
      version: version.id, artifact: version.artifact, folder: target.string,
      patterns: patterns.map(\.text))
    // Recorded under this folder's own file whatever the one read says.
    let previous = try bases.base(ofFolder: target).map { found in
      var pinned = found
      pinned.folder = target.string
      return pinned
    }
    // Recorded before the first write: a checkout stopped half way leaves
    // files of `version` that the next checkout must know for art's.
    let writing =
      previous?.writing(version.id, patterns: base.patterns)
      ?? .speculative(
        version: version.id, artifact: version.artifact, folder: target.string,
        patterns: base.patterns)
    try writing.checkSize()
    let trust = try ReferenceTrust(repository)
    var result = Materialization()
    let empty = try existing == nil || directoryEntries(target).isEmpty
    if empty {
      let writer = try ConfinedWriter(
        top: target, create: true, replacingLinks: force, outside: repository.directory)
      do {
        try bases.record(writing)
        if patterns.isEmpty {
          // The whole tree: written as stored, folder modes included.
          var materializer = Materializer(store: repository.store, progress: progress)
          materializer.trust = trust
          result = try await materializer.write(
            version.record.manifest, with: writer, references: references)
        } else {
          let wanted = try selected(version.record.manifest, patterns, required: true)
          result = try await apply(
            writes: wanted.sorted { $0.key < $1.key }, deletes: [], writer: writer, trust: trust)
          try setFolderModes(
            writer, from: nil, to: version.record.manifest, force: false, onlyMade: true)
        }
      } catch {
        // Nothing of a failed copy is left: the folder was empty or missing.
        removeFailedCopy(of: version, patterns: patterns, writer: writer)
        if existing == nil { try? Syscalls.removeDirectory(target) }
        if let previous { try? bases.record(previous) } else { try? bases.remove(folder: target) }
        throw error
      }
      try bases.record(base)
    } else {
      let writer = try ConfinedWriter(
        top: target, create: false, replacingLinks: force, outside: repository.directory)
      // The folder's base reaches as far as its own patterns went; one
      // recorded before a first checkout finished counts as partial only.
      var known = KnownEntries()
      var oldTree: ObjectID? = nil
      if let previous {
        if !previous.isSpeculative,
          let record = try? repository.store.versionRecord(previous.version)
        {
          known.base = try selected(
            record.manifest, try previous.patterns.map { try PathPattern($0) })
          if previous.patterns.isEmpty { oldTree = record.manifest }
        }
        try addPartial(of: previous, to: &known, refs: try repository.refs.read(), root: nil)
      }
      let new = try selected(version.record.manifest, patterns, required: true)
      result = try await update(writer, from: known, to: new, force: force) {
        try bases.record(writing)
      }
      try setFolderModes(
        writer, from: oldTree, to: version.record.manifest, force: force,
        onlyMade: !patterns.isEmpty)
      try bases.record(base)
      if clean { result.deleted += try removeUntracked(writer, keeping: new) }
    }
    if !result.referencesRefused.isEmpty { throw ReferenceTrust.refused(result.referencesRefused) }
    return result
  }

  /// Removes what a failed checkout of `version` into an empty folder
  /// wrote there, and only that.
  ///
  /// The files and links at the version's paths go, then its folders once
  /// empty; what anyone else put there meanwhile stays.
  ///
  /// When the version's paths cannot be listed (a damaged manifest, where
  /// the copy stopped), everything in the folder goes, as it was empty.
  private func removeFailedCopy(
    of version: ResolvedVersion, patterns: [PathPattern], writer: ConfinedWriter
  ) {
    guard let wanted = try? selected(version.record.manifest, patterns) else {
      for name in (try? directoryEntries(writer.top)) ?? [] {
        guard let name = String(validating: name, as: UTF8.self),
          let path = try? ConfinedPath(name)
        else { continue }
        _ = try? writer.remove(path)
      }
      return
    }
    for path in wanted.keys.sorted(by: >) {
      guard case .present(let status) = (try? writer.inspect(path)) ?? .missing,
        status.kind != .directory
      else { continue }
      _ = try? writer.remove(path)
    }
    for folder in Self.folders(holding: wanted.keys).union(wanted.keys).sorted(by: >) {
      writer.removeIfEmptyFolder(folder)
    }
  }

  /// Brings the version's root folder to `version` in place.
  ///
  /// - Throws: ``ArtError`` with `.conflict` listing local changes that
  ///   would be lost, `.invalidArgument` for symbolic links where the
  ///   version has folders (nothing is changed then; `force` discards the
  ///   changes and replaces the links by real folders, never writing
  ///   through them).
  ///
  /// A version of another project (`tracked` false) has no previous
  /// version here: files are written, nothing is deleted, and it is not
  /// recorded as the folder's base. With `patterns`, the base stays and the
  /// version is added to its ``FolderBase/partial`` ones (when the folder
  /// has a base). Checkouts into one folder take turns.
  public func inPlace(
    _ version: ResolvedVersion, patterns: [PathPattern], force: Bool, tracked: Bool = true
  ) async throws -> Materialization {
    let writer = try ConfinedWriter(top: repository.root, create: false, replacingLinks: force)
      .descending(into: try version.record.rootPath())
    let bases = FolderBases(repository)
    let lock = try bases.lock(folder: writer.top, timeout: lockTimeout)
    defer { try? lock.close() }
    let refs = try repository.refs.read()
    let recorded = tracked ? try bases.base(of: version.artifact) : nil
    var previousID = recorded?.version
    if let id = previousID, !refs.versions(of: version.artifact).contains(where: { $0.id == id }) {
      previousID = nil  // removed since; fall back to latest
    }
    if tracked, previousID == nil,
      case .version(let id) = refs[RefName(version.artifact, .alias(.latest))]
    {
      previousID = id
    }
    var known = KnownEntries()
    var oldTree: ObjectID? = nil
    if let previousID {
      let previous = try repository.loadVersion(previousID, artifact: version.artifact, in: refs)
      if previous.record.root == version.record.root {
        known.base = try selected(previous.record.manifest, patterns)
        oldTree = previous.record.manifest
      }
    }
    if let recorded {
      try addPartial(of: recorded, to: &known, refs: refs, root: version.record.root, patterns)
    }
    let new = try selected(version.record.manifest, patterns, required: true)
    let result = try await update(writer, from: known, to: new, force: force) {
      // Recorded before the first write, in the base as it is now (a commit
      // may have moved it since). One limited by --path stays: the files it
      // wrote are art's while the base names another version. A folder
      // with no base gets none from a --path checkout (its files are then
      // local changes to the next one, the safe side).
      let fresh =
        patterns.isEmpty
        ? FolderBase(version: previousID ?? version.id, artifact: version.artifact) : nil
      guard tracked, var current = try bases.base(of: version.artifact) ?? fresh else { return }
      current.folder = nil
      try bases.record(current.writing(version.id, patterns: patterns.map(\.text)))
    }
    try setFolderModes(
      writer, from: oldTree, to: version.record.manifest, force: force,
      onlyMade: !patterns.isEmpty)
    if patterns.isEmpty && tracked {
      try bases.record(FolderBase(version: version.id, artifact: version.artifact))
    }
    if !result.referencesRefused.isEmpty { throw ReferenceTrust.refused(result.referencesRefused) }
    return result
  }

  /// Gives the folders of tree `new` the modes it records, less the umask,
  /// as a copy into an empty folder does.
  ///
  /// Only where the mode on disk is still what art left there: tree
  /// `old`'s mode, or for a folder `old` lacks, that of a folder made with
  /// none given (`0o755` less the umask). A mode changed by hand is a
  /// local change and stays, unless `force`. A folder this checkout made
  /// gets its mode in any case; with `onlyMade` (a checkout of some paths),
  /// only those do. Only folders whose mode differs between the trees are
  /// looked at (all of them with `force`, or when the checkout made one),
  /// found by a walk that skips what both trees share. Folders of bundled
  /// versions keep the modes they were made with.
  private func setFolderModes(
    _ writer: ConfinedWriter, from old: ObjectID?, to new: ObjectID, force: Bool,
    onlyMade: Bool = false
  ) throws {
    // Folders this checkout made (one deleted by hand, a new one) get
    // their mode whatever the versions say: then every folder is listed.
    let made = writer.foldersMade
    if onlyMade && made.isEmpty { return }
    var changed: [(path: String, old: UInt32?, new: UInt32)] = []
    try Self.folderModes(
      from: old, to: new, prefix: "", all: force || !made.isEmpty, store: repository.store,
      into: &changed)
    for (path, before, mode) in changed {
      let folder = try ConfinedPath(path)
      let fresh = made.contains(folder)
      guard fresh || (!onlyMade && (force || before != mode)),
        case .present(let status) = try writer.inspect(folder), status.kind == .directory
      else { continue }
      // Set-group-id and sticky bits come from where the folder is (and
      // are never set by a checkout): only the permissions count.
      guard status.permissions & 0o777 != ConfinedWriter.permissions(mode) else { continue }
      // As art left it (the old mode less the umask, or as recorded: set by
      // hand and then committed), counted as status counts it.
      let left = before ?? 0o755
      let asLeft =
        ConfinedWriter.modeToCount(disk: (.folder, status.permissions), recorded: (.folder, left))
        == left
      if force || fresh || asLeft {
        try writer.setFolderMode(folder, mode)
      }
    }
  }

  /// Adds to `result` each folder below tree `new` (at `prefix`) whose mode
  /// differs in tree `old`, or that `old` lacks, with both modes.
  ///
  /// With `all`, every folder. Subtrees equal in both are not read unless
  /// `all`.
  private static func folderModes(
    from old: ObjectID?, to new: ObjectID, prefix: String, all: Bool, store: ObjectStore,
    into result: inout [(path: String, old: UInt32?, new: UInt32)]
  ) throws {
    if old == new && !all { return }
    if prefix.utf8.count(where: { $0 == UInt8(ascii: "/") }) > Manifest.maximumDepth {
      throw Manifest.tooDeep(prefix)
    }
    let before = try old.map { try store.manifest($0).entriesByName } ?? [:]
    for entry in try store.manifest(new).entries where entry.kind == .folder {
      let path = prefix + entry.name
      let previous = before[TreePath(entry.name)].flatMap { $0.kind == .folder ? $0 : nil }
      if all || previous?.mode != entry.mode { result.append((path, previous?.mode, entry.mode)) }
      try folderModes(
        from: previous?.id, to: entry.id, prefix: path + "/", all: all, store: store,
        into: &result)
    }
  }

  /// Adds to `known` the entries of `base`'s partial versions (each within
  /// its own patterns and `patterns`) whose content a checkout can check.
  ///
  /// A version no longer among the artifact's (removed, collected), or in
  /// place (`root` given) one of another root folder, vouches for nothing,
  /// nor does a reference entry without a SHA-256 or a bundle entry.
  private func addPartial(
    of base: FolderBase, to known: inout KnownEntries, refs: Refs, root: String?,
    _ patterns: [PathPattern] = []
  ) throws {
    let live = Set(refs.versions(of: base.artifact).map(\.id))
    for entry in base.partial where live.contains(entry.version) {
      guard let record = try? repository.store.versionRecord(entry.version),
        root == nil || record.root == root
      else { continue }
      let own = try entry.patterns.map { try PathPattern($0) }
      for (path, found) in try selected(record.manifest, patterns) {
        guard own.isEmpty || own.contains(where: { $0.matches(path.description) }) else {
          continue
        }
        switch found.kind {
        case .file, .chunked, .symlink, .folder: break
        case .bundle: continue
        case .external:
          guard (try? repository.store.reference(found.id).sha256) != nil else { continue }
        }
        known.add(found, at: path)
      }
    }
  }

  /// Brings the folder below `writer` from `old`, what art wrote there as
  /// far as it knows, to tree `new`.
  ///
  /// Paths already right are kept, the rest written or deleted; a path that
  /// is neither right nor as one of `old`'s entries there is a local change
  /// and stops everything unless `force`. `beforeWriting` runs once the
  /// checkout is decided, before its first change on disk.
  private func update(
    _ writer: ConfinedWriter, from old: KnownEntries,
    to new: [ConfinedPath: TreeEntry], force: Bool, beforeWriting: () throws -> Void
  ) async throws -> Materialization {
    // Folders the old version had files in: one on disk where the new
    // version has a file or link is not a change of its own.
    let oldPaths = old.paths
    let oldFolders = Self.folders(holding: oldPaths)

    var writes: [(ConfinedPath, TreeEntry)] = []
    var modes: [(ConfinedPath, TreeEntry)] = []
    var deletes: [ConfinedPath] = []
    var conflicts: [ConfinedPath] = []
    var blocked: [(path: ConfinedPath, link: ConfinedPath)] = []
    var unchanged = 0
    let cache = StatCache(repository: repository)
    let store = repository.store
    var paths = oldPaths.union(new.keys).sorted()
    if references == .skip {
      // Left as they are on disk.
      paths.removeAll { path in
        new[path]?.kind.pointsOutsideTree == true
          || old.base[path]?.kind.pointsOutsideTree == true
          || (new[path] == nil && old.any(at: path) { $0.kind.pointsOutsideTree })
      }
    }
    // Each path is inspected once and hashed at most once, on every core.
    let found = try await Self.inspectAndHash(
      paths, old: old, new: new, force: force, writer: writer, cache: cache)
    for (path, (what, hashed)) in zip(paths, found) {
      let status: FileStatus
      switch what {
      case .missing:
        if let target = new[path] { writes.append((path, target)) }
        continue
      case .beyondLink(let link):
        if let target = new[path] {
          blocked.append((path, link))
          writes.append((path, target))
        }
        continue
      case .present(let found):
        status = found
      }
      var disk = OnDisk(
        path, status: status, writer: writer, cache: cache, store: store, hashed: hashed)
      if let target = new[path] {
        if try disk.matches(target, checkMode: true) {
          unchanged += 1
          continue
        }
        let clean =
          old.has(path)
          ? try old.any(at: path) { try disk.matches($0, checkMode: false) }
          : status.kind == .directory && oldFolders.contains(path)
        // A file's mode changed by hand stays, as a folder's does: the file
        // is left when the version has its content, else it is in the way.
        if !force, clean, disk.modeChangedByHand(from: old) {
          if try disk.matches(target, checkMode: false) {
            unchanged += 1
            continue
          }
          conflicts.append(path)
        }
        if !force, !clean { conflicts.append(path) }
        // The version's content already, in another mode: the mode is set
        // in place rather than the file written again.
        if target.kind.isFile, try disk.matches(target, checkMode: false) {
          modes.append((path, target))
          continue
        }
        writes.append((path, target))
      } else if old.has(path) {
        if !force,
          try !old.any(at: path, { try disk.matches($0, checkMode: false) })
            || disk.modeChangedByHand(from: old)
        {
          conflicts.append(path)
        }
        deletes.append(path)
      }
    }
    // A link on the way is no obstacle when the checkout itself replaces
    // or deletes it as a clean path of the old version.
    let replaced = Set(deletes).union(writes.map(\.0)).subtracting(conflicts)
    var links: [ConfinedPath] = []
    for path in Set(blocked.filter { !replaced.contains($0.link) }.map(\.link)).sorted() {
      // A file of the user's where the version has a folder is a local
      // change the checkout would delete, not a link.
      if case .present(let status) = try writer.inspect(path), status.kind != .symlink {
        if !force, !conflicts.contains(path) { conflicts.append(path) }
      } else {
        links.append(path)
      }
    }
    if !force, !links.isEmpty {
      throw ArtError(
        .invalidArgument,
        "checkout would write through \(links.count) symbolic link(s) where the version has "
          + "folders:\n" + indentedList(links.map(\.description), limit: 20),
        hint: "use --force to replace each link by a real folder (the link's target is not "
          + "touched), or move the links away")
    }
    if !conflicts.isEmpty {
      throw ArtError(
        .conflict,
        "checkout would overwrite or delete \(conflicts.count) path(s) with local changes:\n"
          + indentedList(conflicts.sorted().map(\.description), limit: 20),
        hint: "commit them first, or use --force to discard them")
    }
    if !writes.isEmpty || !deletes.isEmpty || !modes.isEmpty { try beforeWriting() }
    var result = try await apply(
      writes: writes, modes: modes, deletes: deletes, writer: writer, trust: trust())
    result.unchanged = unchanged
    // A folder the old versions had files in and the new one lacks goes
    // once empty, as after its files: a checkout stopped half way may have
    // made it before writing any file in it.
    let kept = Self.folders(holding: new.keys).union(new.keys)
    for folder in oldFolders.subtracting(kept).sorted(by: >) { writer.removeIfEmptyFolder(folder) }
    if references == .skip {
      result.referencesSkipped = new.values.count { $0.kind.pointsOutsideTree }
    }
    return result
  }

  /// The folders on the way to `paths`, the top excluded.
  private static func folders(holding paths: some Sequence<ConfinedPath>) -> Set<ConfinedPath> {
    var folders = Set<ConfinedPath>()
    for path in paths {
      var folder = path.parent
      while let current = folder, !current.components.isEmpty, folders.insert(current).inserted {
        folder = current.parent
      }
    }
    return folders
  }

  /// What is at each of `paths`, in order, with the content of each regular
  /// file hashed, on every core, when the decision in `update` may need it:
  /// when `new`, or `old` for a path `force` does not simply delete, has a
  /// file of its size there that the stat cache does not know.
  ///
  /// A file that cannot be read gets its error, which ``OnDisk`` throws
  /// only if the decision asks for its content, as when it hashed itself.
  private static func inspectAndHash(
    _ paths: [ConfinedPath], old: KnownEntries, new: [ConfinedPath: TreeEntry],
    force: Bool, writer: ConfinedWriter, cache: StatCache
  ) async throws -> [(ConfinedWriter.Found, Result<ObjectID, any Error>?)] {
    let batches = try await forEachConcurrently(
      count: paths.count,
      makeState: { [(Int, ConfinedWriter.Found, Result<ObjectID, any Error>?)]() },
      { state, index in
        let path = paths[index]
        let found = try writer.inspect(path)
        func compared(_ entry: TreeEntry?, _ status: FileStatus) -> Bool {
          guard let entry, entry.size == UInt64(status.size) else { return false }
          return [.file, .chunked, .external].contains(entry.kind)
        }
        guard case .present(let status) = found, status.kind == .regular,
          compared(new[path], status)
            || (old.any(at: path) { compared($0, status) }
              && !(force && new[path] == nil)),
          cache.lookup(writer.absolute(path), status) == nil
        else { return state.append((index, found, nil)) }
        state.append((index, found, Result { try OnDisk.hash(path, writer: writer) }))
      }, finish: { $0 })
    var result = [(ConfinedWriter.Found, Result<ObjectID, any Error>?)](
      repeating: (.missing, nil), count: paths.count)
    for (index, found, hashed) in batches.joined() { result[index] = (found, hashed) }
    return result
  }

  private func trust() throws -> ReferenceTrust { try ReferenceTrust(repository) }

  /// Refuses `--clean` into a folder that holds the repository or any
  /// artifact's root folder: deleting what "the version lacks" there
  /// would delete other data and uncommitted work.
  private func refuseCleaning(_ target: FilePath) throws {
    let real = ConfinedWriter.realPath(target)
    let top = ConfinedWriter.realPath(repository.root)
    var roots = [top]
    if real.starts(with: top) {
      let refs = try repository.refs.read()
      for artifact in refs.artifacts {
        guard case .version(let id) = refs[RefName(artifact, .alias(.latest))],
          let record = try? repository.store.versionRecord(id)
        else { continue }
        roots.append(top.pushing(FilePath(record.root)).lexicallyNormalized())
      }
    }
    if let root = roots.first(where: { $0.starts(with: real) }) {
      throw ArtError(
        .invalidArgument,
        "--clean would delete what the version lacks in '\(target)', which holds "
          + (root == top ? "the repository" : "the root folder '\(root)' of an artifact"),
        hint: "give --clean a folder of its own, or leave out --clean")
    }
  }

  /// Deletes what is below `writer` and not in `keeping` (nor a folder on
  /// the way to a path of it), never following a link; returns how many
  /// paths went.
  ///
  /// Never deleted, at any depth: `.git` and `.art` folders, `.artignore`
  /// files and what their rules leave out, and so every folder that still
  /// holds one of those (a folder not in the version is emptied of the
  /// rest, not deleted whole).
  private func removeUntracked(_ writer: ConfinedWriter, keeping: [ConfinedPath: TreeEntry])
    throws -> Int
  {
    var wanted = Set<String>()
    for path in keeping.keys {
      var parts: [String] = []
      for component in path.components {
        parts.append(component)
        wanted.insert(parts.joined(separator: "/"))
      }
    }
    var removed = 0
    // Returns whether anything in the folder stays.
    func visit(_ prefix: String, rules: IgnoreRules, untracked: Bool) throws -> Bool {
      let folder = prefix.isEmpty ? writer.top : writer.top.appending(prefix)
      let parts = prefix.isEmpty ? [] : prefix.split(separator: "/").map(String.init)
      var kept = false
      for (rawName, status) in try directoryEntriesWithStatus(folder) {
        // A name a version could not hold (a newline in it) is left alone.
        guard let name = String(validating: rawName, as: UTF8.self), name != ".git",
          name != Repository.directoryName
        else {
          kept = true
          continue
        }
        let path = prefix.isEmpty ? name : prefix + "/" + name
        let isFolder = status.kind == .directory
        if !untracked, wanted.contains(path) {
          kept = true
          if isFolder, keeping[try ConfinedPath(path)]?.kind != .bundle {
            _ = try visit(
              path, rules: try rules.entering(folder.appending(name), relative: parts + [name]),
              untracked: false)
          }
          continue
        }
        // The rules themselves stay, or the next --clean would lose what
        // they keep.
        guard name != ".artignore", !rules.ignores(name, in: parts, isFolder: isFolder),
          let confined = try? ConfinedPath(path)
        else {
          kept = true
          continue
        }
        if isFolder {
          let inner = try rules.entering(folder.appending(name), relative: parts + [name])
          if try visit(path, rules: inner, untracked: true) {
            kept = true
            continue
          }
        }
        try writer.remove(confined)
        removed += 1
      }
      return kept
    }
    _ = try visit(
      "", rules: try IgnoreRules(root: writer.top, top: repository.root), untracked: false)
    return removed
  }

  /// The entries of `manifest` that `patterns` match (all without any);
  /// when `required`, matching nothing is an error.
  private func selected(_ manifest: ObjectID, _ patterns: [PathPattern], required: Bool = false)
    throws
    -> [ConfinedPath: TreeEntry]
  {
    // Bundle entries are checked out as the versions they name, unless
    // references are left alone (then a bundle is a reference like any).
    var all = try TreeListing.entries(
      of: manifest, in: repository.store, expandingBundles: references != .skip)
    if !patterns.isEmpty {
      all = all.filter { path, _ in patterns.contains { $0.matches(path.text) } }
      if all.isEmpty, required {
        throw ArtError(
          .notFound,
          "no path of the version matches "
            + patterns.map { "'\($0.text)'" }.joined(separator: " or "),
          hint: "patterns are relative to the version's root, e.g. 'images/**/*.jpg'; "
            + "list its paths with 'art ls-manifest -r MANIFEST'")
      }
    }
    // Names were checked when each manifest was read: this cannot fail
    // for a path that came from one.
    var result: [ConfinedPath: TreeEntry] = [:]
    result.reserveCapacity(all.count)
    for (path, entry) in all { result[try ConfinedPath(path.text)] = entry }
    return result
  }

  private func apply(
    writes: [(ConfinedPath, TreeEntry)], modes: [(ConfinedPath, TreeEntry)] = [],
    deletes: [ConfinedPath], writer: ConfinedWriter, trust: ReferenceTrust
  ) async throws -> Materialization {
    var result = Materialization()
    var writes = writes
    var materializer = Materializer(store: repository.store, progress: progress)
    materializer.trust = trust
    // References first: one that changed or cannot be fetched stops the
    // checkout before any other file is touched.
    if case .fetch(let allowChanged) = references {
      var early: [Materializer.FileJob] = []
      for (path, entry) in writes where entry.kind == .external {
        guard case .present(let status) = try writer.inspect(path), status.kind == .directory
        else {
          if let job = Materializer.FileJob(path: path, entry) { early.append(job) }
          continue
        }
      }
      if !early.isEmpty {
        let fetched = try await materializer.fetch(
          early, writer: writer, allowChanged: allowChanged)
        result.referenceBytes = fetched.bytes
        result.referencesFetched = early.count - fetched.refused.count
        result.referencesRefused = fetched.refused
        let done = Set(early.map(\.path))
        writes.removeAll { done.contains($0.0) }
      }
    }
    // After the references, so one that stops the checkout leaves every
    // mode too. A file whose mode cannot be set in place is written anew.
    for (path, entry) in modes {
      if writer.setFileMode(path, entry.mode) {
        result.modesSet += 1
      } else {
        writes.append((path, entry))
      }
    }
    var referenceJobs: [Materializer.FileJob] = []
    // Children first, so a folder the version lacks goes once art's files
    // in it have; one that still holds anything (files art never wrote
    // there, in a folder the old version had empty) stays.
    for path in deletes.sorted(by: >) {
      guard try writer.remove(path, folderOnlyIfEmpty: true) else { continue }
      result.deleted += 1
      writer.removeEmptyParents(of: path)
    }
    var jobs: [Materializer.FileJob] = []
    for (path, entry) in writes {
      switch entry.kind {
      case .folder:
        try writer.makeFolder(path)
        result.folders += 1
      case .symlink:
        try clear(path, writer)
        try writer.symlink(target: repository.store.read(entry.id, as: .blob), at: path)
        result.symlinks += 1
      case .bundle:
        continue  // expanded into its files, or left out with --skip-references
      case .external:
        try clear(path, writer)
        guard case .fetch = references else {
          result.referencesSkipped += 1
          continue
        }
        if let job = Materializer.FileJob(path: path, entry) { referenceJobs.append(job) }
        continue  // counted as fetched, not written
      case .file, .chunked:
        try clear(path, writer)
        guard let job = Materializer.FileJob(path: path, entry) else { continue }
        jobs.append(job)
        result.files += 1
        result.bytes &+= entry.size
      }
    }
    try await materializer.writeFiles(jobs, writer: writer)
    if case .fetch(let allowChanged) = references, !referenceJobs.isEmpty {
      // Those that replace a folder, fetched once it is gone.
      let fetched = try await materializer.fetch(
        referenceJobs, writer: writer, allowChanged: allowChanged)
      result.referenceBytes += fetched.bytes
      result.referencesFetched += referenceJobs.count - fetched.refused.count
      result.referencesRefused += fetched.refused
    }
    return result
  }

  /// Removes a folder where a file or link is to go: with `--force` with
  /// everything in it, otherwise only if it is empty (files the old version
  /// tracked there were deleted already; anything left is not art's).
  private func clear(_ path: ConfinedPath, _ writer: ConfinedWriter) throws {
    guard case .present(let status) = try writer.inspect(path), status.kind == .directory else {
      return
    }
    if writer.replacingLinks {
      try writer.remove(path)
      return
    }
    guard let parent = path.parent, let name = path.name,
      let folder = try writer.folder(parent, create: false)
    else { return }
    defer { folder.close() }
    do {
      try folder.removeFolder(name)
    } catch {
      throw ArtError(
        .invalidArgument,
        "'\(writer.absolute(path))' is a folder with files the version does not track, "
          + "where the version has a file",
        hint: "move those files away, or use --force to delete them")
    }
  }
}

/// What is at one path of a working folder, with its content id worked out
/// on first use: from the stat cache when the file is unchanged since art
/// last read it, otherwise by hashing it once.
private struct OnDisk {
  let path: ConfinedPath
  let status: FileStatus
  let writer: ConfinedWriter
  let cache: StatCache
  let store: ObjectStore
  private var id: ObjectID?
  /// The file hashed ahead of the decision, or why it could not be.
  private let hashed: Result<ObjectID, any Error>?

  init(
    _ path: ConfinedPath, status: FileStatus, writer: ConfinedWriter, cache: StatCache,
    store: ObjectStore, hashed: Result<ObjectID, any Error>? = nil
  ) {
    self.path = path
    self.status = status
    self.writer = writer
    self.cache = cache
    self.store = store
    self.hashed = hashed
  }

  /// The SHA-256 of the regular file at `path`.
  static func hash(_ path: ConfinedPath, writer: ConfinedWriter) throws -> ObjectID {
    let fd = try writer.openFile(path)
    defer { try? fd.close() }
    var source = FileSource(descriptor: fd, name: writer.absolute(path).string)
    return try ContentStorer.hash(&source).0
  }

  private mutating func contentID() throws -> ObjectID {
    if let id { return id }
    let computed: ObjectID
    if status.kind == .symlink {
      computed = ObjectHasher.id(of: try writer.readLink(path))
    } else if let hashed {
      computed = try hashed.get()
    } else if let cached = cache.lookup(writer.absolute(path), status) {
      computed = cached.id
    } else {
      computed = try Self.hash(path, writer: writer)
    }
    id = computed
    return computed
  }

  /// Whether this is `entry`: kind and content, and mode if asked.
  ///
  /// A reference recorded without a SHA-256 cannot be compared: it counts
  /// as a match only as the old side (nothing to lose by replacing it),
  /// never as the target (it is fetched again).
  mutating func matches(_ entry: TreeEntry, checkMode: Bool) throws -> Bool {
    switch entry.kind {
    case .bundle:
      return status.kind == .directory
    case .external:
      guard status.kind == .regular, UInt64(status.size) == entry.size else { return false }
      if checkMode, !hasMode(of: entry) { return false }
      guard let sha = try store.reference(entry.id).sha256 else { return !checkMode }
      return try contentID() == sha
    case .folder:
      return status.kind == .directory
    case .symlink:
      guard status.kind == .symlink else { return false }
      return try contentID() == entry.id
    case .file, .chunked:
      guard status.kind == .regular, UInt64(status.size) == entry.size else { return false }
      if checkMode, !hasMode(of: entry) { return false }
      return try contentID() == entry.id
    }
  }

  /// Whether this is a file whose mode is none that art wrote at its path
  /// (`old` holds files only there): a local change status shows.
  func modeChangedByHand(from old: KnownEntries) -> Bool {
    status.kind == .regular && old.any(at: path, { $0.isFile })
      && !old.any(at: path, { !$0.isFile || hasMode(of: $0) })
  }

  /// Whether the file has `entry`'s mode as status counts it: the recorded
  /// one itself (a set-user-id bit included, as the commit found it), or
  /// the one a checkout gives it here (less the umask).
  private func hasMode(of entry: TreeEntry) -> Bool {
    ConfinedWriter.modeToCount(disk: (.file, status.permissions), recorded: (.file, entry.mode))
      == entry.mode
  }
}

/// `items`, one a line indented by two spaces, the first `limit` of them
/// and `…` for the rest: the lists of paths in error messages.
func indentedList(_ items: [String], limit: Int) -> String {
  items.prefix(limit).map { "  " + $0 }.joined(separator: "\n")
    + (items.count > limit ? "\n  …" : "")
}
