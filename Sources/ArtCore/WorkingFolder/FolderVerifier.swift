import ArtStore
public import SystemPackage

/// One way a folder differs from a version.
public struct FolderDifference: Sendable, Equatable, Codable {
  /// How it differs.
  public enum Kind: String, Sendable, Codable {
    /// The version has the path; the folder does not.
    case missing
    /// Both have it, with other content or of another kind.
    case changed
    /// The folder has it; the version does not.
    case extra
  }

  /// The path, relative to the folder.
  public var path: String
  /// How it differs.
  public var kind: Kind
}

/// Checks any folder against a version, as W&B's `verify(root)` does.
///
/// Every file is hashed (no stat cache) and compared with the version's entries,
/// bundle entries expanded and reference entries compared with what was
/// recorded for them (SHA-256, or size when none was). Permissions are
/// not compared.
public enum FolderVerifier {
  /// The differences between `version` and `folder` (sorted by path), and
  /// how many of the version's paths matched.
  ///
  /// - Throws: ``ArtError`` `.notFound` when `folder` is not a folder;
  ///   what reading the folder or the store throws.
  public static func verify(
    _ version: ResolvedVersion, folder: FilePath, in repository: Repository
  ) async throws -> (matched: Int, differences: [FolderDifference]) {
    guard Syscalls.isDirectory(folder) else {
      throw ArtError(
        .notFound, "'\(folder)' is not a folder", hint: "give the folder to check to --folder")
    }
    let store = repository.store
    let expected = try TreeListing.entries(
      of: version.record.manifest, in: store, expandingBundles: true
    ).filter { $0.value.kind != .bundle }
    let disk = try await WorkingTree.flatten(
      folder, chunking: repository.configuration.chunking, ignoreTop: repository.root)
    let diskFolders = folders(above: disk.keys)
    var differences: [FolderDifference] = []
    var matched = 0
    for (path, want) in expected {
      guard let found = disk[path] else {
        if want.kind == .folder, diskFolders.contains(path) {
          matched += 1  // an empty folder of the version, not empty here: its files are extra
        } else {
          differences.append(FolderDifference(path: path.text, kind: .missing))
        }
        continue
      }
      if try same(want, found, store: store) {
        matched += 1
      } else {
        differences.append(FolderDifference(path: path.text, kind: .changed))
      }
    }
    // An empty folder on disk on the way to the version's paths (their
    // files missing) is not extra.
    let expectedFolders = folders(above: expected.keys)
    for (path, found) in disk where expected[path] == nil {
      if found.kind == .folder, expectedFolders.contains(path) { continue }
      differences.append(FolderDifference(path: path.text, kind: .extra))
    }
    differences.sort { ManifestEntry.precedes($0.path, $1.path) }
    return (matched, differences)
  }

  /// Every folder on the way to `paths` (`a` and `a/b` for `a/b/c`).
  private static func folders(above paths: some Sequence<TreePath>) -> Set<TreePath> {
    var folders = Set<TreePath>()
    for path in paths {
      var rest = Substring(path.text)
      while let slash = rest.lastIndex(of: "/") {
        rest = rest[..<slash]
        if !folders.insert(TreePath(String(rest))).inserted { break }
      }
    }
    return folders
  }

  /// Whether `found` on disk is what `want` records.
  private static func same(_ want: TreeEntry, _ found: TreeEntry, store: ObjectStore) throws
    -> Bool
  {
    switch want.kind {
    case .folder: return found.kind == .folder
    case .symlink: return found.kind == .symlink && found.id == want.id
    case .file, .chunked:
      return (found.kind == .file || found.kind == .chunked) && found.id == want.id
        && found.size == want.size
    case .external:
      guard found.kind == .file || found.kind == .chunked, found.size == want.size else {
        return false
      }
      return try store.reference(want.id).sha256.map { $0 == found.id } ?? true
    case .bundle: return true  // expanded into its files
    }
  }
}
