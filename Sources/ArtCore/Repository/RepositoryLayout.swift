import ArtStore
public import SystemPackage

/// Where each file of a repository's `.art` folder lives: the one place that
/// spells them (`Docs/FORMAT.md` describes their bytes).
///
/// `state/` holds only what can be rebuilt (the stat cache); everything
/// else is the repository's data.
public struct RepositoryLayout: Sendable {
  /// The `.art` folder.
  public let directory: FilePath

  /// The layout of the `.art` folder at `directory`.
  public init(_ directory: FilePath) {
    self.directory = directory
  }

  /// `config`: settings, format version, remotes, projects.
  public var config: FilePath { directory.appending("config") }
  /// `refs`: versions and aliases (with `refs.prev` beside it).
  public var refs: FilePath { directory.appending("refs") }
  /// `lock`: the repository lock (shared or exclusive).
  public var lock: FilePath { directory.appending("lock") }
  /// `objects/packs/`: packs and their indexes.
  public var packs: FilePath { directory.appending("objects/packs") }
  /// `state/`: what can be rebuilt.
  public var state: FilePath { directory.appending("state") }
  /// `state/checkout/`: where earlier art kept each root folder's base;
  /// read when `bases/` has none.
  public var checkedOut: FilePath { state.appending("checkout") }
  /// `bases/`: the version each working folder holds (see ``FolderBases``).
  public var bases: FilePath { directory.appending("bases") }
  /// `bases/artifact/NAME`: the base of artifact `name`'s root folder.
  public func artifactBase(_ name: String) -> FilePath {
    bases.appending("artifact").appending(name)
  }
  /// `bases/folder/KEY`: the base of a `checkout --to` folder.
  public func folderBase(_ key: String) -> FilePath { bases.appending("folder").appending(key) }
  /// `state/locks/KEY`: held while a checkout writes into the folder `KEY`
  /// names (a `flock`, empty; safe to delete when no art runs).
  public func folderLock(_ key: String) -> FilePath {
    state.appending("locks").appending(key)
  }
  /// `state/stat-cache`: file hashes by stat, for status and commit.
  public var statCache: FilePath { state.appending("stat-cache") }
  /// `state/lineage`: each version's inputs, read once from its record.
  public var lineage: FilePath { state.appending("lineage") }
  /// `state/records`: version records read before, with their packs.
  public var records: FilePath { state.appending("records") }
  /// `state/gc-mark`: the versions the last gc kept, what they reach, and
  /// the packs it left.
  public var gcMark: FilePath { state.appending("gc-mark") }
  /// `imports`: versions copied from projects and remotes.
  public var imports: FilePath { directory.appending("imports") }
  /// `recorded`: ids of external references made or checked here.
  public var recorded: FilePath { directory.appending("recorded") }
  /// `journal`: tags, annotations, uses and renames (see ``Journal``).
  public var journal: FilePath { directory.appending("journal") }
  /// `ttl`: time-to-live overrides set by `art ttl set`.
  public var expiryOverrides: FilePath { directory.appending("ttl") }
  /// `drafts/`: distributed drafts' parts, per artifact and draft id.
  public var drafts: FilePath { directory.appending("drafts") }
  /// `remotes/`: per remote, its refs as last fetched, the merge base and
  /// cached indexes.
  public var remotes: FilePath { directory.appending("remotes") }
  /// `remotes/repository-id`: this repository's id on remotes.
  public var repositoryID: FilePath { remotes.appending("repository-id") }

  /// `remotes/NAME/`: what is known of remote `name`.
  public func remote(_ name: String) -> FilePath { remotes.appending(name) }
  /// `remotes/NAME/refs`: remote `name`'s refs as last fetched or pushed.
  public func trackingRefs(_ name: String) -> FilePath { remote(name).appending("refs") }
  /// `remotes/NAME/base`: the refs this repository and remote `name` last
  /// agreed on, name by name (the base of push's and pull's merges).
  public func mergeBase(_ name: String) -> FilePath { remote(name).appending("base") }
  /// `remotes/NAME/packs/`: copies of remote `name`'s pack indexes.
  public func remoteIndexes(_ name: String) -> FilePath { remote(name).appending("packs") }
  /// `remotes/NAME/fetched`: remote `name`'s packs all of whose objects the
  /// last fetch left here, with the local packs that held them then.
  public func remoteFetched(_ name: String) -> FilePath { remote(name).appending("fetched") }
  /// `remotes/NAME/conditional`: whether remote `name` enforces conditional writes.
  public func remoteConditional(_ name: String) -> FilePath {
    remote(name).appending("conditional")
  }

  /// `tmp-PURPOSE-PID`: a scratch folder of this process, removed when done
  /// (or by a later command once the process is gone).
  public func scratch(_ purpose: String) -> FilePath {
    directory.appending("tmp-\(purpose)-\(Syscalls.processID)")
  }

  /// What scratch folders are made for: pushes, remote gcs, row diffs.
  public static let scratchPurposes = ["push", "remote-gc", "rows"]

  /// The process that owns `name`, a scratch folder for one of `purposes`,
  /// or nil when `name` is none of them.
  public static func scratchOwner(_ name: String, purposes: [String]) -> Int32? {
    guard purposes.contains(where: { name.hasPrefix("tmp-\($0)-") }) else { return nil }
    return name.split(separator: "-").last.flatMap { Int32($0) }
  }
}
