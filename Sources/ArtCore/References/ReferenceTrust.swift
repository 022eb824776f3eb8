public import ArtStore
public import SystemPackage

/// Which `file` reference entries checkout and `verify` read.
///
/// A `file` reference names a path on the machine that recorded it. Those
/// recorded in this repository (``RecordedReferences``) are read wherever
/// they point; any other (from a cloned, pulled or imported version, even
/// once carried into a version made here) only when its path, and the path
/// the opened file really has (links resolved), lie below a folder of
/// `[references] allow`. Others are not opened at all: they are skipped and
/// named, and the command exits 3. URLs and `s3://` entries are not affected.
public struct ReferenceTrust: Sendable {
  /// Reference objects read wherever they point; nil: every one (a
  /// repository from before the list).
  public var references: Set<ObjectID>?
  /// Folders below which any `file` reference may be read.
  public var folders: [FilePath]

  /// Trust as given.
  public init(references: Set<ObjectID>?, folders: [FilePath]) {
    self.references = references
    self.folders = folders
  }

  /// The trust of `repository`: the references recorded in it and its
  /// allowed folders.
  ///
  /// - Throws: ``ArtError`` when `.art/recorded` is damaged.
  public init(_ repository: Repository) throws {
    folders = repository.configuration.allowedReferencePaths
    // A repository from before the list trusted every reference; its first
    // commit lists them (see upgradeFormat).
    references =
      repository.configuration.format >= 2 ? try RecordedReferences.read(repository) : nil
  }

  /// Whether reference object `id` may be read wherever it points.
  public func trusts(_ id: ObjectID) -> Bool { references?.contains(id) ?? true }

  /// The folders an untrusted `file` reference `id` must lie below, or nil
  /// when it is trusted.
  public func folders(for id: ObjectID) -> [FilePath]? { trusts(id) ? nil : folders }

  /// Whether `path` lies below one of `folders`.
  static func allows(_ path: FilePath, below folders: [FilePath]) -> Bool {
    let normalized = path.lexicallyNormalized()
    return folders.contains { normalized.starts(with: $0) }
  }

  /// The error for references that were skipped, naming them.
  public static func refused(_ labels: [String]) -> ArtError {
    ArtError(
      .referenceRefused,
      "\(labels.count) file reference(s) recorded elsewhere point outside the folders this "
        + "repository allows, and were not read:\n" + indentedList(labels.sorted(), limit: 10),
      hint: "if you trust them, add their folder to .art/config: [references] allow = /path; "
        + "or check out with --skip-references")
  }
}
