public import ArtStore

/// The journal entries a user asks for: tags, annotations (description and
/// metadata) and runs' uses of versions.
///
/// Each records one ``JournalEvent`` under the refs lock of ``refStore``;
/// none changes a version's content or id.
public struct JournalEditor: Sendable {
  /// The repository whose journal changes.
  public let repository: Repository
  /// Its refs file, whose lock each change holds.
  public let refStore: RefStore
  /// Who is recorded as making the change.
  public var user = JournalEvent.currentUser()

  /// An editor of `repository`'s journal through `refStore`.
  public init(repository: Repository, refStore: RefStore) {
    self.repository = repository
    self.refStore = refStore
  }

  /// Records an event filled by `fill` for the version `spec` names;
  /// returns that version as it is after the change.
  private func record(
    _ spec: Spec, _ fill: (inout JournalEvent, ResolvedVersion) throws -> Void
  ) throws -> ResolvedVersion {
    try Journal.update(repository, refStore: refStore) { log, refs in
      let version = try repository.resolve(spec, in: refs)
      var event = JournalEvent(
        time: log.nextTime(now: WallClock.milliseconds()), user: user, version: version.id)
      try fill(&event, version)
      guard event.isEdit || event.run != nil else { return version }
      log.append(event)
      var after = version
      after.record = log.applying(
        to: try repository.store.versionRecord(version.id), id: version.id)
      after.journal = log.entries(of: version.id)
      return after
    }
  }

  /// Adds `add` and removes `remove` on the version `spec` names; tags it
  /// already has are left out of the change, and removing one it lacks is
  /// an error.
  ///
  /// - Returns: the version as it is now (``ResolvedVersion/journal`` has
  ///   its tags).
  /// - Throws: ``ArtError`` for a spec naming nothing, or the lock's errors.
  public func tag(_ spec: Spec, adding add: [Tag], removing remove: [Tag]) throws
    -> ResolvedVersion
  {
    try record(spec) { event, version in
      let have = Set(version.journal.tags)
      if let absent = remove.first(where: { !have.contains($0.text) }) {
        throw ArtError(
          .notFound, "\(version.label) has no tag '\(absent)'",
          hint: "its tags: \(have.isEmpty ? "none" : have.sorted().joined(separator: ", "))")
      }
      let added = Set(add.map(\.text)).subtracting(have).sorted()
      let removed = Set(remove.map(\.text)).sorted()
      event.tag = added.isEmpty ? nil : added
      event.untag = removed.isEmpty ? nil : removed
    }
  }

  /// Sets the description and metadata keys of the version `spec` names
  /// and removes keys `unset` (dotted keys reach nested values).
  ///
  /// - Returns: the version as it is now.
  /// - Throws: ``ArtError`` `.invalidArgument` for nothing to change or a
  ///   key to remove that the version lacks; `.notFound` for a bad spec.
  public func annotate(
    _ spec: Spec, description: String?, setting pairs: [(String, JSONValue)], unsetting: [String]
  ) throws -> ResolvedVersion {
    guard description != nil || !pairs.isEmpty || !unsetting.isEmpty else {
      throw ArtError(
        .invalidArgument, "nothing to annotate",
        hint: "give -m DESCRIPTION, --metadata KEY=VALUE or --unset KEY")
    }
    return try record(spec) { event, version in
      let metadata = try Metadata.parse(
        Array(version.record.metadata.utf8), source: "the metadata of \(version.label)")
      for key in unsetting where Metadata.value(at: key, in: metadata) == nil {
        throw ArtError(
          .invalidArgument, "\(version.label) has no metadata key '\(key)'",
          hint: "see its keys with 'art show \(version.label)'")
      }
      if let key = unsetting.first(where: { key in pairs.contains { $0.0 == key } }) {
        throw ArtError(
          .invalidArgument, "--metadata and --unset both name '\(key)'",
          hint: "give one of them")
      }
      // A dotted key goes through objects only: a value in the way is not
      // replaced without a word.
      for (key, _) in pairs where metadata[key] == nil && key.contains(".") {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for end in 1..<parts.count {
          let prefix = parts[..<end].joined(separator: ".")
          guard let value = Metadata.value(at: prefix, in: metadata) else { break }
          if case .object = value { continue }
          throw ArtError(
            .invalidArgument,
            "metadata key '\(prefix)' of \(version.label) holds a \(value.kind), not an object, "
              + "so '\(key)' cannot be set",
            hint: "unset '\(prefix)' first, or pick another key")
        }
      }
      event.description = description
      event.set = pairs.isEmpty ? nil : Dictionary(pairs, uniquingKeysWith: { $1 })
      event.unset = unsetting.isEmpty ? nil : unsetting
    }
  }

  /// Records that run `run` (of job type `job`) used the version `spec`
  /// names, as W&B's `use_artifact` does; a later `commit --run RUN`
  /// lists it among its inputs.
  ///
  /// - Returns: the version, and whether the use was new.
  /// - Throws: ``ArtError`` `.invalidArgument` for an empty run id.
  public func use(_ spec: Spec, run: String, job: String?) throws -> (ResolvedVersion, Bool) {
    let job = job?.isEmpty == true ? nil : job  // an empty job is no job
    guard !run.isEmpty else {
      throw ArtError(.invalidArgument, "the run id is empty", hint: "give --run ID")
    }
    try Committer.validateLine(run, "--run", example: "--run 3f9a2c")
    if let job { try Committer.validateLine(job, "--job", example: "--job train") }
    var new = true
    let version = try record(spec) { event, version in
      if version.journal.uses.contains(where: { $0.run == run && $0.job == job }) {
        new = false
        return
      }
      event.run = run
      event.job = job
    }
    return (version, new)
  }
}

extension Journal {
  /// One run: the versions it used (oldest use first) and made.
  public struct Run: Sendable {
    /// The run id.
    public var id: String
    /// Each use: the version's id, the job type, when and by whom.
    public var uses: [JournalEvent]
    /// Live versions committed with `--run` this run, as `name:vN`.
    public var made: [String] = []
  }

  /// Every run with recorded uses, by id; only `id`'s when given.
  public func runs(_ id: String? = nil) -> [Run] {
    var byID: [String: [JournalEvent]] = [:]
    for event in events {
      guard let run = event.run, id == nil || run == id else { continue }
      byID[run, default: []].append(event)
    }
    return byID.keys.sorted().map { Run(id: $0, uses: byID[$0] ?? []) }
  }

  /// ``runs(_:)`` with what each made: the live versions of `refs` whose
  /// record names the run (records that cannot be read are left out).
  public func runs(_ id: String? = nil, making refs: Refs, in store: ObjectStore) -> [Run] {
    var made: [String: [String]] = [:]
    for artifact in refs.artifacts {
      for (number, version) in refs.versions(of: artifact) {
        guard let record = try? store.versionRecord(version), !record.run.isEmpty,
          id == nil || record.run == id
        else { continue }
        made[record.run, default: []].append("\(artifact):\(number)")
      }
    }
    var result = runs(id)
    for index in result.indices { result[index].made = made[result[index].id] ?? [] }
    for (run, versions) in made where !result.contains(where: { $0.id == run }) {
      result.append(Run(id: run, uses: [], made: versions))
    }
    return result.sorted { $0.id < $1.id }
  }

  /// Every live version of `artifacts` with a tag, with its tags.
  public func tagged(_ artifacts: [ArtifactName], in refs: Refs)
    -> [(artifact: ArtifactName, number: VersionNumber, id: ObjectID, tags: [String])]
  {
    artifacts.flatMap { artifact in
      refs.versions(of: artifact).compactMap { number, id in
        let tags = entries(of: id).tags
        return tags.isEmpty ? nil : (artifact, number, id, tags)
      }
    }
  }
}

extension JournalEditor {
  /// What ``rename(_:to:)`` moved.
  public struct Rename: Sendable {
    /// Live versions now under the new name.
    public var versions: Int
    /// Aliases moved with them, `latest` included.
    public var aliases: Int
  }

  /// Renames artifact `old` to `new`.
  ///
  /// Its versions (numbers kept), removed numbers, aliases and its root
  /// folder's base move; tags,
  /// annotations, uses, TTLs and lineage follow by version id. The rename
  /// is recorded in the journal, so push and pull repeat it elsewhere.
  ///
  /// - Throws: ``ArtError`` `.notFound` for an unknown `old`, `.conflict`
  ///   when `new` is in use (even by removed versions) or `old` has a
  ///   distributed draft open, or the lock's errors.
  public func rename(_ old: ArtifactName, to new: ArtifactName) throws -> Rename {
    let result = try Journal.update(repository, refStore: refStore) { log, refs in
      guard refs.artifacts.contains(old) else {
        throw ArtError(
          .notFound, "no artifact '\(old)' to rename", hint: "list artifacts with 'art ls'")
      }
      guard old != new else {
        throw ArtError(.invalidArgument, "'\(old)' already has that name")
      }
      if refs.artifacts.contains(new) {
        let live = refs.versions(of: new).count
        throw ArtError(
          .conflict,
          "the name '\(new)' is in use ("
            + (live > 0 ? "\(live) version\(live == 1 ? "" : "s")" : "by removed versions") + ")",
          hint: "pick another name; a name's version numbers are never reused, even after 'art rm'")
      }
      if try DistributedDraft.pending(repository, refs).contains(where: { $0.artifact == old }) {
        throw ArtError(
          .conflict, "'\(old)' has a distributed draft open",
          hint: "finish it ('art finish \(old) --distributed-id ID') or let gc expire it first")
      }
      let result = Rename(
        versions: refs.versions(of: old).count, aliases: refs.aliases(of: old).count)
      var event = JournalEvent(
        time: log.nextTime(now: WallClock.milliseconds()), user: user, version: nil)
      event.renamedFrom = old.text
      event.renamedTo = new.text
      // The newest: what gc and rm take last, so other clones still hold one.
      event.renamedVersions = refs.versions(of: old).suffix(16).map(\.id.hex)
      refs.rename(old, to: new)
      log.append(event)
      return result
    }
    // After the refs: a base may name a version the refs file names.
    try FolderBases(repository).rename(old, to: new)
    return result
  }
}
