import ArtStore

/// A version found by `[PROJECT/]SPEC`, with the repository that holds it.
public struct LocatedVersion: Sendable {
  /// Where the version is: this repository or the project's.
  public var repository: Repository
  /// The version.
  public var version: ResolvedVersion
  /// The project or remote it was named through, or nil for this repository.
  public var project: String?
  /// Whether it is a copy already in this repository (the project no
  /// longer has it).
  public var copied = false
  /// The remote it is on (`project` is then the remote's name); its
  /// record and manifests are here, its data comes with
  /// ``VersionLocator/bring(_:full:patterns:progress:refStore:)``.
  public var remote: Remote? = nil
  /// What the user should know about where it was found (a fallback), or nil.
  public var note: String? = nil

  /// `name:vN`, or `project/name:vN`.
  public var label: String { (project.map { $0 + "/" } ?? "") + version.label }
}

extension LocatedVersion {
  /// A version found in `repository`, named through `project` (nil: here).
  public init(repository: Repository, version: ResolvedVersion, project: String?) {
    self.repository = repository
    self.version = version
    self.project = project
  }
}

/// Finds where a version lives — this repository, a project added with
/// `art project add`, a remote, a remote's refs as last fetched, or the copies
/// earlier checkouts made here (`.art/imports`) — and brings it into this
/// repository's store.
public struct VersionLocator: Sendable {
  /// This repository.
  public let repository: Repository
  /// How another project is opened (a shared lock, waited for).
  public let projectLock: Repository.LockRequest?
  /// The environment remotes take credentials from.
  public let environment: [String: String]

  /// What ``VersionLocator/bring(_:full:patterns:progress:refStore:)`` copied.
  public struct Brought: Sendable {
    /// The version, now readable from this repository's store.
    public var version: ResolvedVersion
    /// What came from a remote, or nil.
    public var download: FetchResult?
    /// What came from a project, or nil.
    public var copy: Importer.Result?
    /// The cache a project's objects went through, or nil.
    public var cache: ObjectCache?
  }

  /// A locator for `repository`.
  public init(
    repository: Repository, projectLock: Repository.LockRequest?, environment: [String: String]
  ) {
    self.repository = repository
    self.projectLock = projectLock
    self.environment = environment
  }

  /// The version `text` (`[PROJECT/]SPEC`) names.
  ///
  /// - Throws: ``ArtError`` `.notFound` when no place has it, or the
  ///   errors of reading that place.
  public func locate(_ text: String) async throws -> LocatedVersion {
    let spec = try ProjectSpec(text)
    guard let project = spec.project else {
      do {
        return LocatedVersion(
          repository: repository,
          version: try repository.resolve(spec.spec, in: repository.refs.read()),
          project: nil)
      } catch let error as ArtError where error.code == .notFound {
        // A version fetched from a remote but not pulled: its refs as last
        // fetched name it (no network is asked when nothing does).
        for name in repository.configuration.remotes.keys.sorted() {
          guard let tracking = try? Remote.trackingRefs(name, of: repository),
            (try? repository.versionID(spec.spec, in: tracking)) != nil,
            var found = try? await locate("\(name)/\(text)")
          else { continue }
          found.note = "art: \(text) is not here; using \(found.label) from remote \(name)"
          return found
        }
        throw error
      }
    }
    if repository.configuration.remotes[project] != nil {
      let remote = try Remote(project, of: repository, environment: environment)
      let (id, artifact) = try repository.versionID(spec.spec, in: try await remote.readRefs().refs)
      // The records and manifests (what show, log and diff
      // read); data waits for ``bring``.
      _ = try await remote.fetch(version: id, patterns: [], data: false, progress: nil)
      return LocatedVersion(
        repository: repository, version: try repository.loadVersion(id, artifact: artifact),
        project: project, remote: remote)
    }
    do {
      let other = try repository.project(project, lock: projectLock)
      return LocatedVersion(
        repository: other, version: try other.resolve(spec.spec, in: other.refs.read()),
        project: project)
    } catch let error as ArtError where error.code == .notFound || error.code == .notARepository {
      // Gone from the project (or the project is gone): a copy made here
      // by an earlier checkout still serves `project/name:vN`.
      let label = "\(project)/\(spec.spec)"
      guard
        let entry = try Imports.read(repository).entries.first(where: {
          $0.full && $0.label == label
        })
      else { throw error }
      let record = try repository.store.versionRecord(entry.id)
      return LocatedVersion(
        repository: repository,
        version: try repository.loadVersion(entry.id, artifact: ArtifactName(record.artifact)),
        project: project, copied: true,
        note: "art: \(error.message); using the copy of \(label) made here earlier")
    }
  }

  /// The repository whose versions `PROJECT/` names, and, for a remote,
  /// its refs as they are now (the records of its versions are downloaded
  /// when not here; the repository is then this one).
  ///
  /// - Throws: ``ArtError`` `.notFound` for a name that is neither a
  ///   project nor a remote, or the errors of reading it.
  public func place(_ project: String) async throws -> (repository: Repository, remoteRefs: Refs?) {
    guard repository.configuration.remotes[project] != nil else {
      return (try repository.project(project, lock: projectLock), nil)
    }
    let remote = try Remote(project, of: repository, environment: environment)
    let refs = try await remote.readRefs().refs
    try await remote.fetchRecords(refs.artifacts.flatMap { refs.versions(of: $0).map(\.id) })
    return (repository, refs)
  }

  /// Makes `located` a version of this repository's store: a project's or
  /// remote's version is copied in (every object with `full`, else its
  /// record and manifests; with `patterns` only the matching files) and
  /// listed in `.art/imports` through `refStore`, so it survives that
  /// project's gc.
  ///
  /// - Throws: ``ArtError`` for missing or damaged objects there.
  public func bring(
    _ located: LocatedVersion, full: Bool, patterns: [PathPattern] = [], progress: Progress?,
    refStore: RefStore
  ) async throws -> Brought {
    guard located.project != nil, !located.copied else {
      return Brought(version: located.version)
    }
    if let remote = located.remote {
      let result = try await remote.fetch(
        version: located.version.id, patterns: patterns, data: full, progress: progress)
      try Imports.record(
        Imports.Entry(
          id: located.version.id, full: full && patterns.isEmpty, label: located.label),
        in: repository, refStore: refStore)
      return Brought(version: located.version, download: result)
    }
    let cache = try ObjectCache()
    let result = try await Importer(
      repository: repository, source: located.repository, cache: cache
    ).copy(version: located.version.id, full: full)
    try Imports.record(
      Imports.Entry(id: located.version.id, full: full, label: located.label), in: repository,
      refStore: refStore)
    return Brought(
      version: try repository.loadVersion(located.version.id, artifact: located.version.artifact),
      copy: result, cache: cache)
  }
}
