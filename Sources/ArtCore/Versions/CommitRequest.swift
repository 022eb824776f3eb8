public import ArtStore
public import SystemPackage

/// What `art commit` was asked to do.
public struct CommitRequest: Sendable {
  /// The artifact to add a version to.
  public var artifact: ArtifactName
  /// Where the version's tree comes from.
  public var contents: Contents = .folder(paths: [], root: nil)
  /// The artifact's type; fixed by its first version.
  public var type: String? = nil
  /// A description for people.
  public var description = ""
  /// Metadata keys and values.
  public var metadata: [String: JSONValue] = [:]
  /// Aliases to point at the new version (besides `latest`).
  public var aliases: [Alias] = []
  /// Time to live, in milliseconds from creation.
  public var timeToLive: Int64? = nil
  /// Make a version even when nothing changed.
  public var allowEmpty = false
  /// Compression for new objects; nil for the repository's.
  public var codec: Codec? = nil
  /// Versions this one was made from (lineage); recorded by id, so moving
  /// an alias later does not rewrite history.
  public var inputs: [Spec] = []
  /// Inputs given by version id (versions of other projects, copied in).
  public var inputIDs: [ObjectID] = []
  /// The kind of job that made it (`preprocess`, `train`, …).
  public var job = ""
  /// The run that made it (an experiment tracker's run id).
  public var run = ""
  /// The distributed id recorded in the version (`art finish`).
  public var distributedID = ""
  /// Files kept outside the store to record as reference entries.
  public var references: [ReferenceRequest] = []
  /// Download http(s) references once to record their SHA-256.
  public var checksum = false
  /// Other versions of this repository to include as folders (a bundle's
  /// `--reference art:SPEC`); each becomes an input too.
  public var bundleEntries: [BundleEntryRequest] = []

  /// Where a version's tree comes from.
  public enum Contents: Sendable {
    /// A snapshot of absolute `paths` (empty: the latest version's root
    /// folder), relative to `root` (nil: picked by the root rule, see
    /// ``Committer``).
    case folder(paths: [FilePath], root: FilePath?)
    /// An incremental draft: version `from`'s tree, with the absolute paths
    /// `adding` (inside its root folder) stored and `removing` dropped.
    case draft(from: Spec, adding: [FilePath], removing: [FilePath])
    /// A tree built under the refs lock (how `art finish` merges the parts
    /// of a distributed draft).
    case built(@Sendable (Refs, ObjectWriter, Compressor) throws -> BuiltTree)
  }

  /// A request for `artifact`.
  public init(artifact: ArtifactName) {
    self.artifact = artifact
  }
}

/// An entry of a bundle that points at a version: `art:SPEC[=PATH]`.
public struct BundleEntryRequest: Sendable {
  /// Where it goes, as components relative to the version's root.
  public var path: [String]
  /// The version record's id (never the alias it was named by).
  public var id: ObjectID
  /// Its files' bytes, for listings.
  public var size: UInt64

  /// An entry for version `id` at `path`.
  public init(path: [String], id: ObjectID, size: UInt64) {
    self.path = path
    self.id = id
    self.size = size
  }

  /// The `[PROJECT/]SPEC` and optional `PATH` of `--reference
  /// art:SPEC[=PATH]`, or nil when `text` is not an `art:` reference.
  public static func parse(_ text: String) -> (spec: String, path: String?)? {
    guard text.hasPrefix("art:") else { return nil }
    let rest = text.dropFirst(4)
    guard let equals = rest.lastIndex(of: "=") else { return (String(rest), nil) }
    return (String(rest[..<equals]), String(rest[rest.index(after: equals)...]))
  }
}

/// A tree built by ``CommitRequest/Contents/built(_:)``.
public struct BuiltTree: Sendable {
  /// The top manifest (written with the given writer).
  public var manifest: ObjectID
  /// Files in it.
  public var files: Int
  /// Bytes of those files.
  public var bytes: UInt64
  /// The root folder, relative to the repository.
  public var root: String

  /// A built tree.
  public init(manifest: ObjectID, files: Int, bytes: UInt64, root: String) {
    self.manifest = manifest
    self.files = files
    self.bytes = bytes
    self.root = root
  }
}

/// What a commit did.
public struct CommitResult: Sendable {
  /// The new version, or the latest one when nothing changed.
  public var version: ResolvedVersion
  /// False when nothing changed and no version was made.
  public var created: Bool
  /// What storing the files did.
  public var snapshot: Snapshot
}
