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
  public var compression: Compression? = nil
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

  /// A snapshot of a folder carries the external references and bundle
  /// entries of the version the folder holds (else the latest) forward,
  /// their paths not read from the folder; false: the version holds
  /// exactly what the folder holds (`commit --no-carry`).
  public var carriesReferences = true

  /// A draft starts from an empty tree rather than the latest version's
  /// (`commit --fresh`; W&B's new `Artifact` logged under a taken name).
  public var startsEmpty = false

  /// Where a version's tree comes from.
  public enum Contents: Sendable {
    /// A snapshot of absolute `paths` (empty: the latest version's root
    /// folder), relative to `root` (nil: picked by the root rule, see
    /// ``Committer``).
    case folder(paths: [FilePath], root: FilePath?)
    /// An incremental draft: version `from`'s tree (nil: the latest
    /// version's, or an empty tree for a first version, whose root folder
    /// is `root`, else the repository's top) with `adding` stored and
    /// `removing` dropped.
    case draft(from: Spec?, root: FilePath?, adding: [DraftAddition], removing: [DraftPath])
    /// A tree built under the refs lock (how `art finish` merges the parts
    /// of a distributed draft).
    case built(@Sendable (Refs, ObjectWriter, Compressor) throws -> BuiltTree)
  }

  /// A request for `artifact`.
  public init(artifact: ArtifactName) {
    self.artifact = artifact
  }
}

/// A path of a draft as the user gave it: relative to the version's root
/// folder, or a path on disk inside that folder.
public struct DraftPath: Sendable {
  /// The text given.
  public var text: String
  /// The text resolved against the working folder.
  public var onDisk: FilePath

  /// A path given as `text`, which is `onDisk` resolved.
  public init(_ text: String, onDisk: FilePath) {
    self.text = text
    self.onDisk = onDisk
  }
}

/// A file, link or folder added to a draft (`--add SRC[=DEST]`).
public struct DraftAddition: Sendable {
  /// What is stored, absolute.
  public var source: FilePath
  /// Where it goes in the version; nil: the source's place below the
  /// version's root folder, which it must then be inside.
  public var destination: String?

  /// An addition of `source` at `destination`.
  public init(source: FilePath, destination: String? = nil) {
    self.source = source
    self.destination = destination
  }

  /// Parses `SRC[=DEST]`, resolving `SRC` with `resolve`; a source whose
  /// own name holds `=` is taken whole when it exists, and otherwise the
  /// split is at the last `=` whose left side exists (so both SRC and DEST
  /// may hold `=`: `year=2024=year=2024`), else at the last `=`.
  public static func parse(_ text: String, resolve: (String) throws -> FilePath) throws
    -> DraftAddition
  {
    if let equals = try pathSeparator(
      in: text, exists: { try Syscalls.linkStatus(resolve(String($0))) != nil })
    {
      let source = String(text[..<equals])
      let destination = String(text[text.index(after: equals)...])
      guard !source.isEmpty, !destination.isEmpty else {
        throw ArtError(
          .invalidArgument, "'\(text)' is not SRC=DEST",
          hint: "for example --add /tmp/notes.txt=docs/notes.txt")
      }
      return DraftAddition(source: try resolve(source), destination: destination)
    }
    return DraftAddition(source: try resolve(text))
  }
}

/// Where `SOURCE=PATH` text splits, when SOURCE is a path on disk that may
/// itself hold `=`: nowhere when the whole text `exists`, else at the last
/// `=` whose left side exists, else at the last `=` (nil without one).
func pathSeparator(in text: String, exists: (Substring) throws -> Bool) rethrows
  -> String.Index?
{
  guard let last = text.lastIndex(of: "=") else { return nil }
  if try exists(text[...]) { return nil }
  for index in text.indices.reversed() where text[index] == "=" && index != text.startIndex {
    if try exists(text[..<index]) { return index }
  }
  return last
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
  /// The new version, or, when nothing changed, the version the tree
  /// equals (the folder's base or the latest).
  public var version: ResolvedVersion
  /// False when nothing changed and no version was made.
  public var created: Bool
  /// What storing the files did.
  public var snapshot: Snapshot
  /// The version the root folder held (its base) or `--from`'s, when known.
  public var base: ResolvedVersion? = nil
  /// The latest version before the commit.
  public var latest: ResolvedVersion? = nil
  /// With nothing changed, the requested aliases that moved to ``version``.
  public var aliasesMoved: [Alias] = []

  /// Whether the version was made from a version older than the latest
  /// (a checked-out old version, or `--from` one): "based on v0".
  public var isBasedOnOlder: Bool {
    guard let base, let latest else { return false }
    return base.id != latest.id
  }
}
