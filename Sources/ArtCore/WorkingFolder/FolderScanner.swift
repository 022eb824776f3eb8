package import ArtStore
package import SystemPackage

/// One folder of a working folder as a scan found it, with its subfolders.
package struct ScannedFolder: Sendable {
  /// What a name in the folder is.
  package indirect enum Node: Sendable {
    /// A regular file, with its status when listed and, when the stat cache
    /// vouches for it, its content (then it need not be read).
    case file(FileStatus, cached: StoredContent?)
    /// A symbolic link, never followed, with its target.
    case symlink(target: [UInt8], mode: UInt32)
    /// A subfolder.
    case folder(ScannedFolder)
  }

  /// The folder.
  package var path: FilePath
  /// Its names, in listing order.
  package var entries: [(name: String, node: Node)] = []
  /// Its permission bits (the top folder's are set by the caller).
  package var mode: UInt32 = 0o755
  /// Whether every name was scanned (no selection left some out).
  package var complete: Bool
  /// Whether the stat cache's view of this folder needs rewriting: a file
  /// must be read, or the cache knows files that are gone.
  package var cacheIsStale = false
  /// Names left out with a warning (special files, a file called `.art`).
  package var skipped: [String] = []
  /// Names left out because the scan was told to skip them (the external
  /// references a commit carries forward): the folder is not empty for them.
  package var skippedOnPurpose = 0
  /// Names an `.artignore` rule (or the built-in `.git` one) left out; a
  /// folder holding only these is left out as well.
  package var ignored = 0
}

/// The one reader of a working folder's tree, for commit, upsert,
/// write-manifest, status and diff: what is a file, what is left out, and
/// what is refused is decided here only.
///
/// Never follows symbolic links and never enters a folder called `.art`;
/// special files are left out with a warning, leftovers of an interrupted
/// checkout and what ``IgnoreRules`` leave out silently. A name no version can hold is refused, as are
/// folders nested deeper than ``Manifest/maximumDepth``. Subfolders are
/// listed concurrently.
package struct FolderScanner: Sendable {
  /// Known file states; a file that matches is not read.
  package var statCache: StatCache?
  /// Paths not scanned (the external references a commit carries forward).
  package var skipping: Set<FilePath> = []
  /// Whether content the stat cache names may be used (a commit checks its
  /// store still has it).
  package var trustsCachedContent: @Sendable (ObjectID) -> Bool = { _ in true }
  /// The repository's top folder: `.artignore` files from there down to
  /// the scanned folder apply (only the scanned folder's own when nil).
  package var ignoreTop: FilePath?

  /// `.art`, the name a scan never enters.
  private static let repositoryName = Array(Repository.directoryName.utf8)

  /// A scanner consulting `statCache`.
  package init(statCache: StatCache? = nil) {
    self.statCache = statCache
  }

  /// Scans `path` (only `selection`, paths of components below it, when given).
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a name art cannot store
  ///   or folders nested too deep, or the errors of listing a folder.
  package func scan(_ path: FilePath, selecting selection: [[String]]? = nil) async throws
    -> ScannedFolder
  {
    let rules = try IgnoreRules(root: path, top: ignoreTop)
    return try await scan(
      path, selection: selection.map { Selection(paths: $0) }, rules: rules, relative: [],
      readsOwnRules: false)
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
  ///
  /// With `readsOwnRules`, the folder's `.artignore`, when its listing
  /// shows one, is added to `rules` (the folders above gave theirs).
  private func scan(
    _ path: FilePath, selection: Selection?, rules: IgnoreRules, relative: [String],
    readsOwnRules: Bool
  ) async throws -> ScannedFolder {
    let depth = relative.count
    // Async calls keep their frames on the heap, but a version this deep
    // could not be read back (see Manifest.maximumDepth).
    guard depth <= Manifest.maximumDepth else {
      throw ArtError(
        .invalidArgument,
        "cannot store '\(path)' in a version: folders nest deeper than "
          + "\(Manifest.maximumDepth) levels",
        hint: "move the deep folders up, or use a folder further down as the root")
    }
    var folder = ScannedFolder(path: path, complete: selection == nil)
    let known = statCache?.view(path)
    var hits = 0
    var files = 0
    var subfolders:
      [(index: Int, path: FilePath, name: String, selection: Selection?, mode: UInt32)] = []
    let listing = try directoryEntriesWithStatus(path)
    let rules =
      readsOwnRules && listing.contains(where: { $0.0 == IgnoreRules.fileName })
      ? try rules.entering(path, relative: relative) : rules
    for (name, status) in listing {
      let text = String(decoding: name, as: UTF8.self)
      var childSelection: Selection? = nil
      if let selection {
        guard let child = selection.children[text] else { continue }
        childSelection = child.whole ? nil : child
      }
      // A child's path is made only where it is needed, not for a file.
      func shown() -> String { path.appending(text).string }
      if !skipping.isEmpty, let component = pathComponent(name),
        skipping.contains(path.appending(component))
      {
        folder.skippedOnPurpose += 1
        continue
      }
      // A repository folder (ours or a nested one) is never data, and no
      // version may hold the name: it is skipped, a file with a warning.
      if name == Self.repositoryName {
        if status.kind != .directory {
          folder.skipped.append("\(shown()): the name .art is kept for repositories")
        }
        continue
      }
      if rules.ignores(text, in: relative, isFolder: status.kind == .directory) {
        folder.ignored += 1
        continue
      }
      if let problem = ManifestEntry.problem(withName: name) {
        throw ArtError(
          .invalidArgument,
          "cannot store '\(shown())' in a version: it has \(problem)",
          hint: "rename it, or move it out of the folder")
      }
      switch status.kind {
      case .regular:
        if Materializer.isLeftover(name) { continue }
        files += 1
        var cached = known?[name]?.content(ifUnchanged: status)
        if let content = cached, !trustsCachedContent(content.id) { cached = nil }
        if cached != nil { hits += 1 }
        folder.entries.append((text, .file(status, cached: cached)))
      case .directory:
        guard let component = pathComponent(name) else { continue }
        subfolders.append(
          (
            folder.entries.count, path.appending(component), text, childSelection,
            status.permissions
          ))
        folder.entries.append((text, .symlink(target: [], mode: 0)))  // replaced below
      case .symlink:
        guard let component = pathComponent(name) else { continue }
        let target = try Syscalls.readLink(path.appending(component))
        folder.entries.append((text, .symlink(target: target, mode: status.permissions)))
      case .special:
        folder.skipped.append(
          "\(shown()): not a regular file, folder or symbolic link")
      }
    }
    // Stale when a file must be read, or the cache knows files that are gone.
    folder.cacheIsStale = hits != files || (selection == nil && hits != (known?.count ?? 0))
    if subfolders.count == 1, let only = subfolders.first {
      var sub = try await scan(
        only.path, selection: only.selection, rules: rules, relative: relative + [only.name],
        readsOwnRules: true)
      sub.mode = only.mode
      folder.entries[only.index].node = .folder(sub)
    } else if !subfolders.isEmpty {
      try await withThrowingTaskGroup(of: (Int, ScannedFolder).self) { group in
        for item in subfolders {
          group.addTask {
            var sub = try await scan(
              item.path, selection: item.selection, rules: rules,
              relative: relative + [item.name], readsOwnRules: true)
            sub.mode = item.mode
            return (item.index, sub)
          }
        }
        for try await (index, sub) in group { folder.entries[index].node = .folder(sub) }
      }
    }
    // A folder holding only what the rules leave out is left out too, as
    // git shows no folder of ignored files.
    let before = folder.entries.count
    folder.entries.removeAll {
      guard case .folder(let sub) = $0.node else { return false }
      return sub.entries.isEmpty && sub.ignored > 0 && sub.skippedOnPurpose == 0
    }
    folder.ignored += before - folder.entries.count
    return folder
  }
}
