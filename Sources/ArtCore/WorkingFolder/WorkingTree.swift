public import ArtStore
public import SystemPackage

/// A working folder read into the flat form of ``TreeListing``: every
/// file and symlink with its SHA-256, and every empty folder.
///
/// The folder is read by ``FolderScanner``, as a commit reads it; files
/// are hashed (not stored) on one task per core.
public enum WorkingTree {
  /// The entries under `root`; with `topLevel`, only those below these
  /// top-level names (how a version committed from several paths is
  /// compared with the folder).
  ///
  /// Files whose status matches `statCache` are not read; paths in
  /// `skipping` (external references, relative to `root`) are left out,
  /// as is what `.artignore` files from `ignoreTop` down leave out (see
  /// ``IgnoreRules``).
  ///
  /// - Throws: ``ArtError`` for what a commit would refuse, or read errors.
  public static func flatten(
    _ root: FilePath, topLevel: Set<String>? = nil, chunking: ChunkerParameters,
    statCache: StatCache? = nil, skipping: Set<String> = [], ignoreTop: FilePath? = nil
  ) async throws -> [TreePath: TreeEntry] {
    try await listing(
      root, topLevel: topLevel, chunking: chunking, statCache: statCache, skipping: skipping,
      ignoreTop: ignoreTop
    ).entries
  }

  /// ``flatten(_:topLevel:chunking:statCache:skipping:ignoreTop:)``, and
  /// every folder scanned below `root` with its permission bits, as
  /// ``TreeListing/listing(of:in:prefix:expandingBundles:)`` gives a
  /// version's.
  ///
  /// - Throws: as ``flatten(_:topLevel:chunking:statCache:skipping:ignoreTop:)``.
  public static func listing(
    _ root: FilePath, topLevel: Set<String>? = nil, chunking: ChunkerParameters,
    statCache: StatCache? = nil, skipping: Set<String> = [], ignoreTop: FilePath? = nil
  ) async throws -> FlatTree {
    var scanner = FolderScanner(statCache: statCache)
    scanner.ignoreTop = ignoreTop
    scanner.skipping = Set(skipping.map { root.appending($0) })
    let top = try await scanner.scan(root, selecting: topLevel.map { $0.sorted().map { [$0] } })
    var result: [TreePath: TreeEntry] = [:]
    var folderModes: [TreePath: UInt32] = [:]
    var toHash: [(String, FilePath, UInt32)] = []
    collect(top, prefix: "", into: &result, folderModes: &folderModes, toHash: &toHash)
    let files = toHash
    let hashed = try await forEachConcurrently(
      count: files.count, makeState: { [(String, TreeEntry)]() },
      { state, index in
        let (path, file, mode) = files[index]
        let fd = try openForReading(file)
        defer { try? fd.close() }
        var source = FileSource(descriptor: fd, name: file.string)
        let (id, size) = try ContentStorer.hash(&source)
        let kind: ManifestEntry.Kind = size > UInt64(chunking.maximum) ? .chunked : .file
        state.append((path, TreeEntry(kind: kind, id: id, size: size, mode: mode)))
      }, finish: { $0 })
    for batch in hashed {
      for (path, entry) in batch { result[TreePath(path)] = entry }
    }
    return FlatTree(entries: result, folderModes: folderModes)
  }

  /// Adds what `folder` holds at `prefix`: entries known without reading
  /// (stat cache, symlinks, empty folders) to `result`, subfolders' modes
  /// to `folderModes`, files to `toHash`.
  private static func collect(
    _ folder: ScannedFolder, prefix: String, into result: inout [TreePath: TreeEntry],
    folderModes: inout [TreePath: UInt32], toHash: inout [(String, FilePath, UInt32)]
  ) {
    if folder.entries.isEmpty, folder.skippedOnPurpose == 0, !prefix.isEmpty {
      result[TreePath(String(prefix.dropLast()))] = TreeEntry(
        kind: .folder, id: Manifest.emptyID, size: 0, mode: 0o755)
    }
    for (name, node) in folder.entries {
      let path = prefix + name
      switch node {
      case .file(let status, let cached?):
        result[TreePath(path)] = TreeEntry(
          kind: cached.isChunked ? .chunked : .file, id: cached.id, size: cached.size,
          mode: status.permissions)
      case .file(let status, cached: nil):
        toHash.append((path, folder.path.appending(name), status.permissions))
      case .symlink(let target, let mode):
        result[TreePath(path)] = TreeEntry(
          kind: .symlink, id: ObjectHasher.id(of: target), size: UInt64(target.count), mode: mode)
      case .folder(let sub):
        folderModes[TreePath(path)] = sub.mode
        collect(
          sub, prefix: path + "/", into: &result, folderModes: &folderModes, toHash: &toHash)
      }
    }
  }
}
