public import ArtStore
public import SystemPackage

/// Which `file` reference entries a checkout reads.
///
/// A `file` reference names a path on the machine that recorded it. Those
/// of versions made in this repository are read wherever they point; those
/// of versions that arrived from elsewhere (clone, fetch, pull, import, a
/// remote `finish`) only below the folders of `[references] allow`, checked
/// on the path the opened file really has (links resolved). Others are
/// skipped and named, and the command exits 3. URLs and `s3://` entries are
/// not affected.
public struct ReferenceTrust: Sendable {
  /// Versions whose file references are read wherever they point.
  public var versions: Set<ObjectID>
  /// Folders below which any version's file references may be read.
  public var folders: [FilePath]

  /// Trust as given.
  public init(versions: Set<ObjectID>, folders: [FilePath]) {
    self.versions = versions
    self.folders = folders
  }

  /// Trusts nothing but `folders` (for manifests named by id alone).
  public static func folders(_ folders: [FilePath]) -> ReferenceTrust {
    ReferenceTrust(versions: [], folders: folders)
  }

  /// The trust of `repository`: its versions made here and its allowed folders.
  ///
  /// - Throws: ``ArtError`` when `.art/created` is damaged.
  public init(_ repository: Repository) throws {
    folders = repository.configuration.allowedReferencePaths
    guard repository.configuration.format >= 2 else {
      // A repository from before the list: its versions were all trusted,
      // and the first commit lists them (see upgradeFormat).
      let refs = try repository.refs.read()
      versions = Set(refs.artifacts.flatMap { refs.versions(of: $0).map(\.id) })
      return
    }
    versions = try CreatedVersions.read(repository)
  }

  /// Whether `path` lies below an allowed folder.
  func allows(_ path: FilePath) -> Bool {
    let normalized = path.lexicallyNormalized()
    return folders.contains { normalized.starts(with: $0) }
  }

  /// The error for references that were skipped, naming them.
  public static func refused(_ labels: [String]) -> ArtError {
    let shown = labels.sorted().prefix(10).map { "  " + $0 }.joined(separator: "\n")
    return ArtError(
      .referenceRefused,
      "\(labels.count) file reference(s) of versions made elsewhere point outside the folders "
        + "this repository allows, and were not read:\n" + shown
        + (labels.count > 10 ? "\n  …" : ""),
      hint: "if you trust them, add their folder to .art/config: [references] allow = /path; "
        + "or check out with --skip-references")
  }
}
