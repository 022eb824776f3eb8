public import ArtStore
import SystemPackage

/// What `art status` and `art diff SPEC` compare: versions against their
/// root folders on disk.
public enum WorkingStatus {
  /// The latest version of each artifact (only `artifact`, when given)
  /// with the changes in its root folder.
  ///
  /// - Throws: ``ArtError`` `.notFound` for an unknown `artifact` or a
  ///   missing root folder.
  public static func of(_ repository: Repository, artifact: ArtifactName?) async throws
    -> [(version: ResolvedVersion, changes: [Change])]
  {
    let refs = try repository.refs.read()
    var result: [(ResolvedVersion, [Change])] = []
    for name in artifact.map({ [$0] }) ?? refs.artifacts {
      guard case .version = refs[RefName(name, .alias(.latest))] else {
        if artifact != nil { _ = try repository.resolve(.label(name, nil), in: refs) }
        continue
      }
      let latest = try repository.resolve(.label(name, nil), in: refs)
      result.append((latest, try await changes(latest, in: repository)))
    }
    return result
  }

  /// The changes from `version` to its root folder on disk (files are
  /// hashed, through the stat cache); external references and bundle
  /// entries are left out, since a commit carries them forward.
  ///
  /// - Throws: ``ArtError`` `.notFound` when the root folder is gone.
  public static func changes(_ version: ResolvedVersion, in repository: Repository) async throws
    -> [Change]
  {
    var stored = try TreeListing.entries(of: version.record.manifest, in: repository.store)
    // References live outside the folder's content: a commit carries them
    // forward without reading the folder, so status leaves them out.
    let references = Set(stored.filter { $0.value.kind.pointsOutsideTree }.keys)
    for path in references { stored[path] = nil }
    let root = repository.root.pushing(FilePath(version.record.root)).lexicallyNormalized()
    guard Syscalls.isDirectory(root) else {
      throw ArtError(
        .notFound, "the root folder '\(root)' of \(version.label) does not exist",
        hint: "restore it with 'art checkout \(version.label)'")
    }
    // A version committed from several paths at the repository's top tracks
    // only its own top-level names there.
    let topLevel =
      version.record.root.isEmpty
      ? Set(try repository.store.manifest(version.record.manifest).entries.map(\.name)) : nil
    let working = try await WorkingTree.flatten(
      root, topLevel: topLevel, chunking: repository.configuration.chunking,
      statCache: StatCache(repository: repository), skipping: references)
    return ManifestDiff.between(stored, working)
  }
}
