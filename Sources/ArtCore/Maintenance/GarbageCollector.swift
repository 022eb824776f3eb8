import ArtStore
import SystemPackage

/// What gc did, or with `dryRun` would do.
public struct GCReport: Sendable {
  /// Every live version before gc, with the decision about it.
  public var verdicts: [VersionVerdict] = []
  /// Packs deleted because nothing in them is live.
  public var packsDeleted = 0
  /// Packs rewritten without their dead objects.
  public var packsRewritten = 0
  /// Packs left alone because they are younger than the grace period.
  public var packsInGrace = 0
  /// Packs with some dead objects, but not more than the repack threshold.
  public var packsBelowThreshold = 0
  /// Dead bytes left in those packs.
  public var deadBytesKept: UInt64 = 0
  /// Bytes of pack files freed (deleted packs, and what rewriting saved).
  public var bytesReclaimed: UInt64 = 0
  /// Leftover temporary files of crashed writers removed (dry run: that
  /// would be).
  public var temporaryFilesRemoved = 0
  /// Their bytes; not in ``bytesReclaimed``, which counts packs.
  public var temporaryBytesRemoved: UInt64 = 0
  /// Objects still referenced.
  public var liveObjects = 0
  /// Open distributed drafts whose data was kept.
  public var draftsKept = 0
  /// Drafts past `gc.draftExpiry`, dropped (or, dry run, to drop).
  public var draftsExpired = 0
  /// Kept versions whose objects the last gc's mark gave, unwalked.
  public var versionsFromMark = 0
  /// Whether the mark was found damaged on the way, so gc deleted it and
  /// decided again walking every kept version.
  public var markDamaged = false

  /// Versions dropped.
  public var dropped: [VersionVerdict] { verdicts.filter { !$0.keep } }
}

/// Applies a retention policy, then deletes what no remaining version
/// references.
///
/// Needs the repository opened with an exclusive lock (no other command
/// runs meanwhile). Steps, in an order a crash cannot hurt: (1) live objects
/// of packs to rewrite are copied into new packs, which are published;
/// (2) the refs of dropped versions are removed — the commit point; (3) only
/// then are old packs deleted. A crash leaves at worst garbage or
/// duplicate objects, which the next gc removes. Packs younger than the
/// grace period are never touched, whoever wrote them.
public struct GarbageCollector: Sendable {
  /// The repository, opened with ``RepositoryLock/Mode/exclusive``.
  public let repository: Repository
  /// The refs file, with the caller's lock timeout.
  public let refStore: RefStore
  /// Which versions to keep.
  public let planner: RetentionPlanner
  /// Packs younger than this many milliseconds are left alone.
  public var grace: Int64
  /// A pack whose dead bytes exceed this fraction is rewritten.
  public var repackThreshold: Double
  /// Drafts with no new part for this long are dropped.
  public var draftExpiry: Int64 = 7 * 86_400_000
  /// Go on even when live objects are missing or damaged.
  public var force = false
  /// Counts the versions kept as their objects are marked.
  public var progress: Progress?

  /// A collector for `repository`.
  public init(
    repository: Repository, refStore: RefStore, planner: RetentionPlanner, grace: Int64,
    repackThreshold: Double
  ) {
    self.repository = repository
    self.refStore = refStore
    self.planner = planner
    self.grace = grace
    self.repackThreshold = repackThreshold
  }

  /// Runs gc; with `dryRun`, only works out what it would do.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` when a kept version
  ///   reaches a missing or damaged object (unless ``force``); nothing is
  ///   changed then.
  public func run(dryRun: Bool) async throws -> GCReport {
    try await run(dryRun: dryRun, usingMark: true)
  }

  /// Runs gc, starting from the last gc's mark when `usingMark` and it
  /// applies; a mark found damaged on the way is deleted and gc decides
  /// again without it, before it changes anything.
  private func run(dryRun: Bool, usingMark: Bool) async throws -> GCReport {
    let store = repository.store
    var report = GCReport()
    if !force, let (path, error) = store.damagedPacks.first {
      throw ArtError(
        .corruptData, "gc will not run: pack index '\(path)' cannot be read (\(error.message))",
        hint: "run 'art fsck' to see what is damaged; 'art gc --force' runs anyway")
    }
    if !force {
      for pack in store.allPacks {
        do {
          try pack.checkFile()
        } catch let error as ArtError {
          throw ArtError(
            .corruptData, "gc will not run: \(error.message)",
            hint: "run 'art fsck' to see what is damaged; 'art gc --force' runs anyway")
        }
      }
    }
    let refs = try refStore.read()
    // What refs name is never deleted: on any doubt about what they name,
    // nothing is (and --force does not change that).
    var refProblems = refs.problems()
    // Read once here, for the retention plan too, which needs every one.
    var records: [ObjectID: VersionRecord] = [:]
    for artifact in refs.artifacts {
      for (number, id) in refs.versions(of: artifact) {
        let record: VersionRecord
        do {
          // With --force, which goes on past walk problems, each record
          // is read from its pack, so one that does not read stops gc.
          record = try force ? store.versionRecord(id) : repository.versionRecord(id)
        } catch let error as ArtError {
          throw ArtError(
            .corruptData,
            "gc will not run: the record of \(artifact):\(number) (\(id.prefix(12))) cannot be "
              + "read: \(error.message)",
            hint: "run 'art fsck' to see what is damaged; 'art fetch REMOTE' brings it back if a "
              + "remote has it, or 'art rm \(artifact):\(number) --force' drops the version")
        }
        records[id] = record
        if let problem = refs.mismatch(record, at: RefName(artifact, .version(number))) {
          refProblems.append(problem)
        }
      }
    }
    if let first = refProblems.first {
      throw ArtError(
        .corruptData,
        "gc will not run: the refs file is inconsistent (\(refProblems.count) problem(s)), first: "
          + first,
        hint: "run 'art fsck' for the list; fix the refs (art alias rm, or .art/refs.prev) first")
    }
    report.verdicts = try planner.plan(refs, repository: repository, records: records)
    // The last gc's mark stands for the versions it covers while all of
    // them are kept and all it holds is still stored; only versions new
    // since are walked. Otherwise every kept version is, so what is
    // missing is found and gc refuses, as without a mark.
    let keptVersions = report.verdicts.filter(\.keep)
    let keptIDs = Set(keptVersions.map(\.version.id))
    var reach = Reachability(store: store)
    var walked = keptVersions
    var used: GCMark?
    let markPath = repository.layout.gcMark
    if usingMark, let mark = GCMark.read(markPath), mark.versions.isSubset(of: keptIDs),
      mark.isStored(in: store)
    {
      let objects = mark.objects
      reach = Reachability(store: store, known: { objects.contains($0) })
      walked = keptVersions.filter { !mark.versions.contains($0.version.id) }
      report.versionsFromMark = keptVersions.count - walked.count
      used = mark
    }
    progress?.setTotal(files: walked.count, bytes: 0)
    for verdict in walked {
      reach.mark(version: verdict.version.id, label: verdict.version.label)
      progress?.addFile()
    }
    // What the kept versions reach: the mark's objects and these.
    let reachedByVersions = reach.live
    func isMarked(_ id: ObjectID) -> Bool {
      reachedByVersions.contains(id) || used?.contains(id) == true
    }
    let walkWasSound = reach.problems.isEmpty
    // Versions copied from other projects stay (see Imports).
    reach.mark(imports: try Imports.read(repository))
    // What is here of versions tracking refs name stays too. A version
    // walked whole above is not walked again; an import named only as an
    // input has its record marked, not its tree, so it is.
    // A kept version's record is marked (walked, or in the mark).
    reach.include(
      try Remote.trackedObjects(
        of: repository, besides: { keptIDs.contains($0) || isMarked($0) }))
    // Open distributed drafts keep their data until finished or expired.
    let drafts = try DistributedDraft.scan(repository, refs)
    // Parts of finished drafts are leftovers of an interrupted finish.
    var expiredDrafts: [(ArtifactName, String)] = drafts.finished
    for draft in drafts.pending {
      let newest = draft.parts.map(\.created).max() ?? 0
      if WallClock.milliseconds().subtractingSaturating(newest) > draftExpiry {
        expiredDrafts.append((draft.artifact, draft.id))
        continue
      }
      for part in draft.parts {
        reach.mark(
          tree: part.manifest, label: "draft \(draft.artifact) \(draft.id) (\(part.worker))")
      }
      report.draftsKept += 1
    }
    report.draftsExpired = expiredDrafts.count - drafts.finished.count
    if !force, let problem = reach.problems.first {
      throw ArtError(
        .corruptData,
        "gc will not run: \(reach.problems.count) object(s) that kept versions need are missing or damaged, "
          + "first \(problem.id) (\(problem.detail)) in \(problem.referencedBy)",
        hint: "run 'art fsck' for the full list; 'art gc --force' runs anyway")
    }
    let live = reach.live
    report.liveObjects =
      (used?.objectCount ?? 0) + live.count(where: { used?.contains($0) != true })
    func isLive(_ id: ObjectID) -> Bool { live.contains(id) || used?.contains(id) == true }

    // Decide per pack. A pack that held only marked objects at the last gc
    // still does (its versions are all kept), so it is not read.
    let now = WallClock.milliseconds()
    var doomed: [Pack] = []
    var rewrite: [(pack: Pack, live: [PackEntry])] = []
    var kept: [Pack] = []
    // Of the packs read here, whether each holds only marked objects (see
    // holdsOnlyMarked below), found in the same pass over its entries.
    var onlyMarked: [ObjectID: Bool] = [:]
    for pack in store.allPacks {
      if used?.packs[pack.id] == true {
        kept.append(pack)
        continue
      }
      var liveEntries: [PackEntry] = []
      var deadBytes: UInt64 = 0
      var dictionaryBytes: UInt64?
      var allMarked = true
      var usesDictionary = false
      for position in 0..<pack.index.count {
        let entry = try pack.index.entry(at: position)
        if entry.kind == .dictionary {
          dictionaryBytes = UInt64(PackFormat.recordHeaderSize) + entry.storedLength
          continue
        }
        if entry.codec == .zstdDictionary { usesDictionary = true }
        if allMarked, !isMarked(entry.id) { allMarked = false }
        if isLive(entry.id) {
          liveEntries.append(entry)
        } else {
          deadBytes += UInt64(PackFormat.recordHeaderSize) + entry.storedLength
        }
      }
      onlyMarked[pack.id] = allMarked && (dictionaryBytes == nil || usesDictionary)
      // The pack's dictionary is live while a live record needs it.
      if !liveEntries.contains(where: { $0.codec == .zstdDictionary }) {
        deadBytes += dictionaryBytes ?? 0
      }
      if deadBytes == 0 {
        kept.append(pack)
      } else if try age(of: pack, now: now) < grace {
        report.packsInGrace += 1
        kept.append(pack)
      } else if liveEntries.isEmpty {
        doomed.append(pack)
        report.bytesReclaimed += pack.index.packSize
      } else if pack.index.packSize < Repacker.smallPack
        || Double(deadBytes) / Double(pack.index.packSize) > repackThreshold
      {
        rewrite.append((pack, liveEntries))
        report.bytesReclaimed += deadBytes
      } else {
        report.packsBelowThreshold += 1
        report.deadBytesKept += deadBytes
        kept.append(pack)
      }
    }
    // Whether nothing in `pack` can die while the marked versions are kept:
    // every record in it is marked, and its dictionary, if any, is used.
    // For the packs gc writes; those it read are in `onlyMarked`.
    func holdsOnlyMarked(_ pack: Pack) -> Bool {
      var hasDictionary = false
      var usesDictionary = false
      for position in 0..<pack.index.count {
        guard let entry = try? pack.index.entry(at: position) else { return false }
        if entry.kind == .dictionary {
          hasDictionary = true
          continue
        }
        guard isMarked(entry.id) else { return false }
        if entry.codec == .zstdDictionary { usesDictionary = true }
      }
      return !hasDictionary || usesDictionary
    }
    // Saved only from a sound walk: a version whose objects were missing
    // would otherwise stand for less than it reaches once they are back.
    // Saved once the packs have changed, so it names the packs gc leaves.
    // It is a cache: when it cannot be written, the next gc walks more.
    // A damaged mark found here or in saving is deleted, not written on.
    func saveMark() {
      guard walkWasSound else { return }
      var packs: [ObjectID: Bool] = [:]
      for pack in store.allPacks {
        packs[pack.id] =
          used?.packs[pack.id] == true || (onlyMarked[pack.id] ?? holdsOnlyMarked(pack))
      }
      if used?.objects.isDamaged == true {
        try? Syscalls.unlink(markPath)
        return
      }
      if let used, used.versions == keptIDs, used.packs == packs { return }
      do {
        try GCMark.save(
          versions: keptIDs, added: reachedByVersions, packs: packs, after: used, to: markPath)
      } catch {
        try? Syscalls.unlink(markPath)
      }
    }
    // A lookup in a damaged block of the mark said "marked": what was
    // decided from it may keep too little, so decide again without it.
    if let used, used.objects.isDamaged {
      try? Syscalls.unlink(markPath)
      var again = try await run(dryRun: dryRun, usingMark: false)
      again.markDamaged = true
      return again
    }
    report.packsDeleted = doomed.count
    report.packsRewritten = rewrite.count
    if dryRun {
      (report.temporaryFilesRemoved, report.temporaryBytesRemoved) = try removeLeftovers(
        now: now, dryRun: true)
      saveMark()
      return report
    }

    // 1. Copy live objects out of packs to rewrite and publish them; a
    // failure here (a full disk) leaves the repository as it was.
    if !rewrite.isEmpty {
      let writer = repository.makeWriter(skipsStored: false)
      do {
        var copies = PackCopies(writer: writer, packs: rewrite.map(\.pack))
        for (pack, entries) in rewrite {
          for entry in entries.sorted(by: { $0.offset < $1.offset })
          where !kept.contains(where: { $0.index.position(of: entry.id) != nil }) {
            try copies.copy(entry, from: pack)
          }
        }
        try copies.finish()
        let statistics = try writer.finish()
        let written = statistics.packs.compactMap { id in
          store.allPacks.first { $0.id == id }?.index.packSize
        }.reduce(0, +)
        let freed = (doomed + rewrite.map(\.pack)).reduce(UInt64(0)) { $0 + $1.index.packSize }
        report.bytesReclaimed = freed > written ? freed - written : 0
      } catch {
        writer.abandon()
        throw error
      }
    }
    // 2. Drop versions: the commit point.
    let dropped = report.dropped
    if !dropped.isEmpty {
      try refStore.update { refs in
        for verdict in dropped {
          let version = verdict.version
          refs[RefName(version.artifact, .version(version.number))] = .deleted
          for alias in refs.aliases(of: version.artifact, at: version.id) {
            refs[RefName(version.artifact, .alias(alias))] = nil
          }
        }
        // An expired latest moves to the newest version left; an artifact
        // with none left is gone.
        for artifact in Set(dropped.map(\.version.artifact)) {
          let latest = RefName(artifact, .alias(.latest))
          guard refs[latest] == nil else { continue }
          if let newest = refs.versions(of: artifact).last {
            refs[latest] = .version(newest.id)
          }
        }
      }
    }
    // Expired drafts go before any pack does, so no part is ever left
    // pointing at deleted data.
    for (artifact, id) in expiredDrafts { DistributedDraft.remove(repository, artifact, id) }
    // 3. Delete what is no longer needed.
    try store.delete(doomed + rewrite.map(\.pack))
    (report.temporaryFilesRemoved, report.temporaryBytesRemoved) = try removeLeftovers(
      now: now, dryRun: false)
    saveMark()
    return report
  }

  /// Milliseconds since the pack was published (its index's mtime).
  private func age(of pack: Pack, now: Int64) throws -> Int64 {
    let path = repository.store.directory.appending(PackFormat.indexName(pack.id))
    guard let status = try Syscalls.linkStatus(path) else { return 0 }
    return now - status.modificationNanoseconds / 1_000_000
  }

  /// Removes what crashed writers left (see ``Leftover``), once older
  /// than the grace period, and returns how many files and bytes (with
  /// `dryRun`, only counts them).
  private func removeLeftovers(now: Int64, dryRun: Bool) throws -> (files: Int, bytes: UInt64) {
    var removed = (files: 0, bytes: UInt64(0))
    for leftover in try Leftover.find(in: repository)
    where now - leftover.modifiedMilliseconds >= grace
      && !(leftover.owner.map(Syscalls.processExists) ?? false)
    {
      if !dryRun {
        if leftover.owner == nil {
          try Syscalls.unlink(leftover.path)
        } else {
          try removeTree(leftover.path)
        }
      }
      removed.files += 1
      removed.bytes += leftover.size
    }
    return removed
  }
}
