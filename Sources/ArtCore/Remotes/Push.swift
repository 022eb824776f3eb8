import ArtRemote
import ArtStore
import SystemPackage

/// What a push did.
public struct PushResult: Sendable {
  /// Packs uploaded (whole local packs and packs made of the objects the
  /// remote lacked).
  public var packs = 0
  /// Objects in them.
  public var objects = 0
  /// Bytes sent (packs and indexes), not counting resumed parts.
  public var bytes: UInt64 = 0
  /// Bytes an interrupted earlier push had already sent.
  public var resumedBytes: UInt64 = 0
  /// Objects the push looked up that the remote had already (another
  /// clone pushed them, or chunks of a file chunked here that a version
  /// the remote has names): it looks up only what the new versions do not
  /// share with a version the remote has.
  public var objectsPresent = 0
  /// What changed in the remote's refs.
  public var changes = RefsMerge.PushChanges()
  /// Journal events (tags, annotations, uses, renames) new on the remote.
  public var journal = 0
}

extension Remote {
  /// Uploads every object the live versions of `artifacts` (all when nil)
  /// need and the remote lacks, then updates the remote's refs and
  /// publishes this repository's refs under `repos/<id>`.
  ///
  /// Packs go up first, each `.pack` before its `.idx`; the refs change
  /// last, so a push that dies leaves the remote's refs as they were and
  /// the next push sends only what did not arrive (a large pack's parts
  /// are reused). Conflicting refs are found before anything is sent.
  ///
  /// Versions in `appending` whose number the remote gave to another
  /// version take the remote's next number, here too (through `refStore`).
  ///
  /// - Throws: ``ArtError`` `.locked` for a conflict (pull first), or the
  ///   storage's errors.
  public func push(
    artifacts selected: [ArtifactName]?, progress: Progress?, appending: Set<ObjectID> = [],
    refStore: RefStore? = nil
  ) async throws -> PushResult {
    try await holdingMergeLock {
      try await pushLocked(
        artifacts: selected, progress: progress, appending: appending, refStore: refStore)
    }
  }

  /// ``push(artifacts:progress:appending:refStore:)``, under the merge lock.
  private func pushLocked(
    artifacts selected: [ArtifactName]?, progress: Progress?, appending: Set<ObjectID>,
    refStore: RefStore?
  ) async throws -> PushResult {
    let journal = try repository.journal()
    // A rename whose refs were not written here (a killed mv) is made in
    // what is pushed, as the next journal change makes it here.
    let local = try repository.refs.read().renamed(by: journal.renames)
    let artifacts = selected ?? local.artifacts
    // A rename made elsewhere and pushed must be taken here first, or this
    // push would bring the old name back.
    var both = journal
    both.merge(try await readJournal().0)
    for rename in both.renames where !journal.events.contains(rename.event) && rename.means(local) {
      throw ArtError(
        .conflict,
        "\(name) has '\(rename.from)' renamed to '\(rename.to)' (by \(rename.event.user)), "
          + "and this repository still has '\(rename.from)'",
        hint: "pull first ('art pull \(name)'), then push")
    }
    // Renames recorded here are made there too, before the merge.
    let renames = journal.renames
    let agreed = try mergeBase().renamed(by: renames)
    let remoteRefs = try await readRefs().refs.renamed(by: renames)
    var preview = remoteRefs
    _ = try RefsMerge.push(
      local: local, into: &preview, base: agreed, artifacts: artifacts, remoteName: name,
      appending: appending)
    // What the merge would make must be as sound as what is there.
    if let problem = Set(preview.problems()).subtracting(remoteRefs.problems()).sorted().first {
      throw ArtError(
        .conflict, "pushing to \(name) would leave its refs inconsistent: \(problem)",
        hint: "pull first ('art pull \(name)') and resolve it here, then push")
    }
    // A version the remote's refs name has everything there already: refs
    // move only after a push has uploaded all a version reaches, and remote
    // gc keeps what they name. Walking only the others keeps a push's cost
    // that of what it adds, not of the whole history.
    let onRemote = Set(remoteRefs.artifacts.flatMap { remoteRefs.versions(of: $0).map(\.id) })
    // The newest version of each artifact that both sides have: what the
    // new versions share with it is there, so their walk stops at it.
    let bases = artifacts.compactMap { artifact in
      remoteRefs.versions(of: artifact).last { repository.store.contains($0.id) }?.id
    }
    var result = try await upload(
      versions: artifacts.flatMap { local.versions(of: $0).map(\.id) }.filter {
        !onRemote.contains($0)
      }, trees: [], bases: bases, progress: progress)
    // The journal before the refs: a remote whose refs show a rename always
    // has its event, and events about versions it lacks change nothing.
    result.journal = try await pushJournal(artifacts: artifacts, refs: local)
    if remoteRefs.artifacts.isEmpty { try await recordChunking() }
    let merged = try await updateRefs { remote in
      remote = remote.renamed(by: renames)
      result.changes = try RefsMerge.push(
        local: local, into: &remote, base: agreed, artifacts: artifacts, remoteName: name,
        appending: appending)
    }
    try saveTracking(merged)
    try saveMergeBase(RefsMerge.base(afterPushing: local, merged: merged, base: agreed))
    if let refStore, !result.changes.renumbered.isEmpty {
      try refStore.update { local in
        for (here, there, id) in result.changes.renumbered {
          for artifact in artifacts where local[RefName(artifact, .version(here))] == .version(id) {
            guard local[RefName(artifact, .version(there))] == nil else { continue }
            local[RefName(artifact, .version(here))] = nil
            local[RefName(artifact, .version(there))] = .version(id)
            RefsMerge.setLatest(artifact, in: &local)
          }
        }
      }
    }
    try await publishRepositoryRefs(repository.refs.read())
    return result
  }

  /// Uploads what `versions` and manifest `trees` need that the remote
  /// lacks (no refs change).
  ///
  /// `bases` are versions the remote's refs name: everything they reach is
  /// there (refs move only after a push has uploaded all a version
  /// reaches, and remote gc keeps what refs name). They are marked first,
  /// so the walk of what is new stops where it meets them, and what is
  /// left to look up in the remote's indexes is what changed.
  func upload(
    versions: [ObjectID], trees: [ObjectID], bases: [ObjectID] = [], progress: Progress?
  ) async throws -> PushResult {
    removeDeadScratch()
    let index = try await syncIndexes()
    var reach = Reachability(store: repository.store)
    // What a base lacks here is the remote's, so its problems are no one's,
    // and its files are not looked up here: the remote has each file a
    // base names and all under it, but perhaps whole where it is chunked
    // here, so a file counts by its id alone and its chunks here are not
    // taken to be there.
    reach.mark(
      bases.map { .version($0, label: "version \($0.prefix(12))") }, checkingBlobs: false)
    let baseObjects = reach.live
    let baseProblems = reach.problems.count
    reach.mark(
      versions.map { .version($0, label: "version \($0.prefix(12))") }
        + trees.map { .tree($0, label: "tree \($0.prefix(12))") })
    // Objects missing here are fine when the remote has them (a finished
    // distributed draft points at the workers' uploads).
    if let problem = reach.problems.dropFirst(baseProblems).first(where: {
      !index.containsKept($0.id, everywhere: true)
    }) {
      throw ArtError(
        .corruptData,
        "cannot push \(problem.referencedBy): object \(problem.id) \(problem.detail)",
        hint: "run 'art fsck' to see what is damaged")
    }
    let met = reach.live.subtracting(baseObjects)
    let missing = met.filter { !index.containsKept($0) }
    var result = PushResult()
    result.objectsPresent = met.count - missing.count
    // Each missing object from the first pack by id that has it, so a push
    // run again after a crash picks the same packs and builds the same
    // new ones. A pack all of whose objects are missing goes up as it is.
    let local = repository.store.allPacks.sorted { $0.id < $1.id }
    var needed: [ObjectID: (pack: Pack, entries: [PackEntry])] = [:]
    for id in missing {
      guard
        let (pack, position) = local.lazy.compactMap({ pack in
          pack.index.position(of: id).map { (pack, $0) }
        }).first
      else {
        throw ArtError(
          .corruptData, "cannot push: object \(id) is neither here nor on \(name)",
          hint: "run 'art fsck' to see what is damaged")
      }
      needed[pack.id, default: (pack, [])].entries.append(try pack.index.entry(at: position))
    }
    var whole: [Pack] = []
    var partial: [(Pack, PackEntry)] = []
    for (_, (pack, entries)) in needed.sorted(by: { $0.key < $1.key }) {
      if entries.count == pack.index.objectCount {
        whole.append(pack)
      } else {
        partial += entries.map { (pack, $0) }
      }
    }
    // The objects of partly needed packs go into new packs, in a fixed
    // order so that a push interrupted and run again builds the same pack
    // (and reuses its uploaded parts).
    let scratch = repository.layout.scratch("push")
    defer { try? removeTree(scratch) }
    // A pack sent as it is gets the checks a copied record gets (header
    // and CRC-32 of every record, and the pack's structure): damage here
    // must stop the push, not become the remote's, where refs would name
    // it and a later push, seeing the objects there, never replace it.
    for pack in whole {
      do {
        _ = try pack.verify(decoding: false)
      } catch let error as ArtError {
        throw ArtError(
          error.code, "cannot push: \(error.message)",
          hint: "nothing was sent; run 'art fsck --full' to see what is damaged here")
      }
    }
    var uploads = whole
    if !partial.isEmpty {
      try Syscalls.makeDirectories(scratch)
      let writer = ObjectWriter(
        store: try ObjectStore(directory: scratch),
        compression: repository.configuration.compression,
        maximumPackSize: repository.configuration.maximumPackSize, skipsStored: true)
      do {
        for (pack, entry) in partial.sorted(by: { ($0.0.id, $0.1.offset) < ($1.0.id, $1.1.offset) })
        {
          try writer.copy(entry, from: pack)
        }
        _ = try writer.finish()
      } catch {
        writer.abandon()
        throw error
      }
      uploads += try ObjectStore(directory: scratch).allPacks
    }
    var total: UInt64 = 0
    for pack in uploads { total += try pack.index.packSize + indexSize(pack) }
    progress?.setTotal(files: uploads.count, bytes: Int(total))
    let packs = uploads
    let resumed = try await concurrentMap(count: packs.count, limit: 4) {
      try await uploadPack(packs[$0], progress: progress)
    }
    let sent = resumed.reduce(0, +)
    result.packs = uploads.count
    result.objects = uploads.reduce(0) { $0 + $1.index.count }
    result.resumedBytes = sent
    result.bytes = total - sent
    return result
  }

  private func indexSize(_ pack: Pack) throws -> UInt64 {
    UInt64(try Syscalls.fileStatus(pack.index.path)?.size ?? 0)
  }

  /// Uploads `pack` and returns the bytes an interrupted push had sent.
  ///
  /// The `.pack` goes first, then the `.idx`, whose arrival publishes it.
  func uploadPack(_ pack: Pack, progress: Progress?) async throws -> UInt64 {
    var resumed = try await storage.upload(
      "packs/" + PackFormat.packName(pack.id), from: pack.path, size: pack.index.packSize,
      progress: { progress?.add(bytes: Int($0)) })
    resumed += try await storage.upload(
      "packs/" + PackFormat.indexName(pack.id), from: pack.index.path, size: try indexSize(pack),
      progress: { progress?.add(bytes: Int($0)) })
    progress?.addFile()
    return resumed
  }

  /// Removes `.art/tmp-push-<pid>`, `.art/tmp-remote-gc-<pid>` and
  /// `.art/tmp-rows-<pid>` folders whose process is gone (a push, gc or row
  /// diff killed half-way).
  func removeDeadScratch() {
    for raw in (try? directoryEntries(repository.directory)) ?? [] {
      let name = String(decoding: raw, as: UTF8.self)
      guard
        let pid = RepositoryLayout.scratchOwner(name, purposes: RepositoryLayout.scratchPurposes),
        !Syscalls.processExists(pid)
      else { continue }
      try? removeTree(repository.directory.appending(name))
    }
  }

  /// Writes this repository's chunk sizes as the remote's `chunking`,
  /// unless it has one.
  ///
  /// A clone takes them, so its commits deduplicate against what was
  /// pushed. The first push to a remote writes it.
  func recordChunking() async throws {
    do {
      try await storage.write(
        "chunking", Array(repository.configuration.chunking.text.utf8), condition: .absent)
    } catch let error as ArtError where error.code == .locked {
      // Another repository's push recorded its sizes first.
    }
  }

  /// Writes this repository's refs to `repos/<id>`, so remote gc keeps
  /// every version it names even after the remote's own refs drop it.
  func publishRepositoryRefs(_ refs: Refs) async throws {
    try await storage.write(
      "repos/" + (try repositoryID()), RefStore.encode(refs), condition: nil)
  }

  /// A random id for this repository, made on first use
  /// (`.art/remotes/repository-id`).
  func repositoryID() throws -> String {
    let path = repository.layout.repositoryID
    if let bytes = try AtomicFile.read(path),
      let text = String(validating: bytes, as: UTF8.self)?.trimmingWhitespace(),
      text.utf8.count == 32
    {
      return text
    }
    let id = (0..<4).map { _ in
      let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
      return String(repeating: "0", count: 8 - hex.count) + hex
    }.joined()
    try Syscalls.makeDirectories(repository.layout.remotes)
    try AtomicFile.write(Array((id + "\n").utf8), to: path)
    return id
  }
}
