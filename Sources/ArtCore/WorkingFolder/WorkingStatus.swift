public import ArtStore
public import SystemPackage

/// One artifact's root folder against the version it holds.
public struct ArtifactStatus: Sendable {
  /// The version the folder holds (its base), or the latest when none is
  /// recorded or it is gone: what the folder is compared with.
  public var base: ResolvedVersion
  /// The latest version.
  public var latest: ResolvedVersion
  /// A recorded base that no longer exists (removed or collected).
  public var missingBase: ObjectID?
  /// The changes from ``base`` to the folder.
  public var changes: [Change]
}

/// What `art status` and `art diff SPEC` compare: versions against their
/// root folders on disk.
public enum WorkingStatus {
  /// Each artifact's root folder (only `artifact`'s, when given) against
  /// its base, the version last checked out or committed there.
  ///
  /// - Throws: ``ArtError`` `.notFound` for an unknown `artifact` or a
  ///   missing root folder.
  public static func of(_ repository: Repository, artifact: ArtifactName?) async throws
    -> [ArtifactStatus]
  {
    let refs = try repository.refs.read()
    let bases = FolderBases(repository)
    var result: [ArtifactStatus] = []
    for name in artifact.map({ [$0] }) ?? refs.artifacts {
      guard case .version = refs[RefName(name, .alias(.latest))] else {
        if artifact != nil { _ = try repository.resolve(.label(name, nil), in: refs) }
        continue
      }
      let latest = try repository.resolve(.label(name, nil), in: refs)
      var base = latest
      var missing: ObjectID? = nil
      if let recorded = try bases.base(of: name), recorded.version != latest.id {
        if refs.versions(of: name).contains(where: { $0.id == recorded.version }) {
          base = try repository.loadVersion(recorded.version, artifact: name, in: refs)
        } else {
          missing = recorded.version
        }
      }
      result.append(
        ArtifactStatus(
          base: base, latest: latest, missingBase: missing,
          changes: try await changes(base, in: repository)))
    }
    return result
  }

  /// The changes from `version` to its root folder on disk, or to
  /// `folder` (files are hashed, through the stat cache); external
  /// references and bundle entries are left out, since a commit carries
  /// them forward.
  ///
  /// - Throws: ``ArtError`` `.notFound` when the folder is gone.
  public static func changes(
    _ version: ResolvedVersion, in repository: Repository, folder: FilePath? = nil
  ) async throws -> [Change] {
    var stored = try TreeListing.listing(of: version.record.manifest, in: repository.store)
    // References live outside the folder's content: a commit carries them
    // forward without reading the folder, so status leaves them out.
    let references = Set(stored.entries.filter { $0.value.kind.pointsOutsideTree }.keys)
    for path in references { stored.entries[path] = nil }
    let root =
      folder ?? repository.root.pushing(FilePath(version.record.root)).lexicallyNormalized()
    guard Syscalls.isDirectory(root) else {
      throw ArtError(
        .notFound, "the root folder '\(root)' of \(version.label) does not exist",
        hint: "restore it with 'art checkout \(version.label)'")
    }
    // A version committed from several paths at the repository's top tracks
    // only its own top-level names there.
    let topLevel =
      version.record.root.isEmpty && folder == nil
      ? Set(try repository.store.manifest(version.record.manifest).entries.map(\.name)) : nil
    var working = try await WorkingTree.listing(
      root, topLevel: topLevel, chunking: repository.configuration.chunking,
      statCache: StatCache(repository: repository), skipping: Set(references.map(\.text)),
      ignoreTop: repository.root)
    // A mode as a checkout under this umask leaves it is no change.
    working.countModes(against: stored)
    return ManifestDiff.between(stored, working)
  }
}
