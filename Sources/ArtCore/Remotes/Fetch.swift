import ArtRemote
public import ArtStore
import Synchronization
import SystemPackage

/// What a fetch or a remote checkout downloaded.
public struct FetchResult: Sendable {
  /// Whole packs downloaded.
  public var packs = 0
  /// Objects read out of remote packs by byte range.
  public var objects = 0
  /// Bytes downloaded.
  public var bytes: UInt64 = 0
  /// Objects of the remote packs looked at that were here already (a
  /// fetch looks only at packs the last one did not find whole here).
  public var objectsPresent = 0
  /// Requests sent for the data (not counting listings and indexes).
  public var requests = 0
}

extension Remote {
  /// Downloads every remote pack object this repository lacks — whole
  /// packs when none of their objects are here, else just the missing
  /// objects by byte range — and remembers the remote's refs as the
  /// tracking refs (which gc keeps, so fetched versions survive until
  /// pulled).
  ///
  /// Small packs that would leave `pack.autoMerge` small packs here are
  /// read by byte range too, into new packs of local size, rather than
  /// downloaded as a file each.
  ///
  /// - Throws: ``ArtError`` for damaged data (nothing damaged is kept) or
  ///   the storage's errors.
  public func fetch(progress: Progress?) async throws -> (FetchResult, Refs) {
    let (refs, _) = try await readRefs()
    let index = try await syncIndexes()
    let store = repository.store
    var whole: [RemoteIndex.PackInfo] = []
    var ranged: [ObjectID] = []
    var result = FetchResult()
    let record = repository.layout.remoteFetched(name)
    let done = FetchedPacks.read(record)?.stillHere(store) ?? []
    // Condemned packs hold nothing any version names (see remote gc).
    // Only packs new since the last fetch are opened.
    var lookedAt: [ObjectID] = []
    // The objects of each pack none of whose objects are here.
    var wholeObjects: [ObjectID: [ObjectID]] = [:]
    for id in index.packs.keys.sorted()
    where index.condemned[id] == nil && !done.contains(id) {
      guard let pack = index.pack(id) else { continue }
      lookedAt.append(id)
      let objects = pack.index.objectIDs
      // An object only a lost or cut short pack file holds is absent: a
      // fetch brings it back.
      let absent = objects.filter { !store.holdsReadably($0) }
      result.objectsPresent += objects.count - absent.count
      if absent.count == objects.count, let info = index.packs[pack.id] {
        whole.append(info)
        wholeObjects[id] = absent
      } else {
        ranged += absent
      }
    }
    // Small packs that would pile up past `pack.autoMerge` here (a clone
    // of a remote one push made each) are read by range into new packs of
    // their own size instead: written once, not written and then merged.
    var small = whole.filter { $0.size < Repacker.smallPack }
    let localSmall = store.allPacks.count { $0.index.packSize < Repacker.smallPack }
    let limit = repository.configuration.autoMergePacks
    if limit <= 0 || small.count < 2 || localSmall + small.count < limit { small = [] }
    if !small.isEmpty {
      let merged = Set(small.map(\.id))
      whole.removeAll { merged.contains($0.id) }
      var listed = Set(ranged)
      for pack in merged.sorted() {
        ranged += (wholeObjects[pack] ?? []).filter { listed.insert($0).inserted }
      }
    }
    progress?.setTotal(
      files: whole.count + ranged.count,
      bytes: Int((whole + small).reduce(0) { $0 + $1.size }))
    let folder = store.directory
    let storage = self.storage
    let indexFolder = index.folder
    let wholePacks = whole
    // A pack of format 2 (index format 4) needs repository format 6 before
    // it lands here, as one written here does.
    if wholePacks.contains(where: { (index.pack($0.id)?.index.version ?? 4) >= 4 }) {
      try repository.raiseFormatForNewPacks()
    }
    // Each whole pack is downloaded at temporary names and checked object
    // by object (every SHA-256); its chunk lists, which only their chunks
    // can check, once what is fetched by range is here too. Only then do
    // the renames publish it.
    let leftovers = Mutex<[FilePath]>([])
    do {
      let downloads = try await concurrentMap(count: wholePacks.count, limit: 3) {
        index -> PendingPacks.Download in
        let info = wholePacks[index]
        let stem = "tmp-\(Syscalls.processID)-\(info.id.hex)"
        let download = PendingPacks.Download(
          id: info.id, indexPath: folder.appending(stem + ".idx"),
          packPath: folder.appending(stem + ".pack"))
        leftovers.withLock { $0 += [download.packPath, download.indexPath] }
        let name = "packs/" + PackFormat.packName(info.id)
        try await storage.download(
          name, to: download.packPath, size: info.size,
          progress: { progress?.add(bytes: Int($0)) })
        let indexBytes = try AtomicFile.read(
          indexFolder.appending(PackFormat.indexName(info.id)), limit: 1 << 31)
        try AtomicFile.write(indexBytes ?? [], to: download.indexPath)
        do {
          let pack = try Pack(indexPath: download.indexPath, packPath: download.packPath)
          try pack.index.verifyChecksum()
          var checked = download
          (checked.leftToLists, checked.holdsChunkLists) = try PendingPacks.chunksOfLists(
            in: pack)
          _ = try pack.verify(checkedElsewhere: checked.leftToLists)
          progress?.addFile()
          return checked
        } catch let error as ArtError {
          throw remoteDamage(error, [download])
        }
      }
      result.packs = whole.count
      result.bytes = whole.reduce(0) { $0 + $1.size }
      let writer = repository.makeWriter()
      do {
        if !ranged.isEmpty {
          _ = try await readObjects(
            ranged, index: index, writer: writer, decode: [], result: &result, progress: progress)
        }
        // The chunks of the whole packs' lists may be among these.
        try writer.publishData()
        try store.refresh()
        let pending = PendingPacks(downloads: downloads, store: store)
        let leftOut: [ObjectID: Set<ObjectID>]
        do {
          leftOut = try await pending.check()
        } catch let error as ArtError {
          throw remoteDamage(error, downloads)
        }
        // Packs of chunks before packs of lists: a list is never published
        // before the chunks it names.
        for download in downloads.sorted(by: { !$0.holdsChunkLists && $1.holdsChunkLists }) {
          try pending.publish(
            download, leavingOut: leftOut[download.id] ?? [], writer: repository.makeWriter())
          leftovers.withLock {
            $0.removeAll { $0 == download.packPath || $0 == download.indexPath }
          }
        }
        try Syscalls.syncDirectory(folder)
        // The lists read by range, now that every chunk fetched is here;
        // those of deleted files may have lost theirs. A pack any list was
        // left out of is looked at again by the next fetch (its chunks may
        // be in a pack a push had yet to upload).
        let statistics = try writer.finish(leavingOutListsWithoutChunks: true)
        var again = Set(leftOut.filter { !$0.value.isEmpty }.keys)
        for list in statistics.chunkListsLeftOut {
          if let (pack, _) = try index.locate(list) { again.insert(pack.id) }
        }
        lookedAt.removeAll { again.contains($0) }
      } catch {
        writer.abandon()
        throw error
      }
    } catch {
      for path in leftovers.withLock({ $0 }) { try? Syscalls.unlink(path) }
      throw error
    }
    try store.refresh()
    try saveTracking(refs)
    // The record only saves the next fetch work: one that cannot be
    // written (something else in its place) costs that fetch a full check.
    try? FetchedPacks(
      remote: (Array(done).filter { index.packs[$0] != nil && index.condemned[$0] == nil }
        + lookedAt)
        .sorted(),
      local: store.allPacks.map(\.id)
    ).write(to: record)
    return (result, refs)
  }

  /// `error`, found checking `downloads`, naming the remote's packs rather
  /// than the temporary files they were checked in.
  func remoteDamage(_ error: ArtError, _ downloads: [PendingPacks.Download]) -> ArtError {
    var message = error.message
    for download in downloads {
      message = message.replacing(
        download.packPath.string,
        with: "\(storage.location)/packs/\(PackFormat.packName(download.id))")
    }
    return ArtError(
      error.code, message, hint: "nothing of it was kept; push it again from a sound repository")
  }

  /// Downloads what version `id` needs for `patterns` (all when empty).
  ///
  /// That is its record and manifests, and the blobs, chunk lists and
  /// chunks of the matching files only, each read from its remote pack by
  /// byte range; nearby objects share one request. Without `data`, only
  /// the records and manifests (of bundled versions too).
  ///
  /// - Throws: ``ArtError`` `.notFound` for an object the remote lacks, or
  ///   `.corruptData` for damaged data (nothing damaged is stored).
  public func fetch(
    version id: ObjectID, patterns: [PathPattern], data: Bool = true, progress: Progress?
  ) async throws -> FetchResult {
    let index = try await syncIndexes()
    let writer = repository.makeWriter()
    do {
      // Records, manifests, chunk lists and reference objects of the
      // matching paths come through the walk, level by level; then the
      // file content they name, in as few requests as its places allow.
      let source = RemoteObjects(remote: self, index: index, writer: writer)
      var graph = ObjectGraph(source: source, onProblem: .stop)
      graph.visitsEveryPath = !patterns.isEmpty
      var selection = Selection(patterns: patterns, data: data)
      try await graph.walk([.version(id, label: "\(name) \(id.prefix(12))")], visitor: &selection)
      var result = source.result
      let absent = data ? selection.content.filter { !writer.contains($0) } : []
      progress?.setTotal(files: absent.count, bytes: 0)
      _ = try await readObjects(
        absent.sorted(), index: index, writer: writer, decode: [], result: &result,
        progress: progress)
      _ = try writer.finish()
      try repository.store.refresh()
      return result
    } catch {
      writer.abandon()
      throw error
    }
  }

  /// The paths a fetch downloads: those matching its patterns (all when
  /// none), and the whole of every version a matching bundle entry names.
  private struct Selection: GraphVisitor {
    let patterns: [PathPattern]
    /// Whether file content is wanted; without it, only records and
    /// manifests (what show, log and diff read) are walked.
    let data: Bool
    /// Blobs (files, link targets, chunks) below what matched.
    var content = Set<ObjectID>()

    func follows(_ entry: ManifestEntry, at place: GraphPlace) -> Bool {
      switch entry.kind {
      case .folder: return true
      case .file, .symlink, .chunked, .external: guard data else { return false }
      case .bundle: break
      }
      return place.inBundle || patterns.isEmpty || patterns.contains { $0.matches(place.path) }
    }

    mutating func visit(_ id: ObjectID, _ node: GraphNode, raw: [UInt8]?, at place: GraphPlace) {
      if case .blob = node { content.insert(id) }
    }
  }

  /// The error for object `id`, which the remote lacks; `inGraph` words it
  /// for a walk, which names where the object is needed.
  func missingObject(_ id: ObjectID, inGraph: Bool = false) -> ArtError {
    ArtError(
      .notFound,
      inGraph ? "is not on \(storage.location)" : "\(storage.location) has no object \(id)",
      hint: "push it from a repository that has it; 'art fsck' there checks it")
  }

  /// Reads the dictionaries of the remote's `packs` (by pack id), each
  /// checked against its id.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged dictionary, or the
  ///   storage's errors.
  func readDictionaries(_ packs: [Pack]) async throws -> [ObjectID: ZstdDictionary] {
    var dictionaries: [ObjectID: ZstdDictionary] = [:]
    for pack in packs {
      let name = "packs/" + PackFormat.packName(pack.id)
      guard let position = pack.index.dictionaryPosition else {
        throw ArtError.corrupt(
          "\(storage.location)/\(name)", "it has records compressed against a dictionary but none")
      }
      let entry = try pack.index.entry(at: position)
      let end = entry.offset + UInt64(PackFormat.recordHeaderSize) + entry.storedLength
      let record = try await storage.read(name, range: entry.offset..<end)
      let subject = "\(storage.location)/\(name) dictionary \(entry.id)"
      let bytes = try record.withUnsafeBytes {
        try Pack.decode(entry, record: $0, subject: subject)
      }
      dictionaries[pack.id] = try ZstdDictionary(bytes: bytes, id: entry.id, subject: subject)
    }
    return dictionaries
  }

  /// Reads `ids` from the remote's packs by byte range — objects that sit
  /// near each other in one pack share a request of up to 16 MiB — checks
  /// each record and stores it through `writer`; returns the decoded bytes
  /// of those in `decode`.
  func readObjects(
    _ ids: [ObjectID], index: RemoteIndex, writer: ObjectWriter?, decode: Set<ObjectID>,
    result: inout FetchResult, progress: Progress? = nil
  ) async throws -> [ObjectID: [UInt8]] {
    var byPack: [ObjectID: [PackEntry]] = [:]
    var packs: [ObjectID: Pack] = [:]
    for id in ids {
      guard let (pack, entry) = try index.locate(id) else { throw missingObject(id) }
      byPack[pack.id, default: []].append(entry)
      packs[pack.id] = pack
    }
    // A pack's dictionary is read for its codec-4 records, and for the
    // plain zstd ones of a pack that may hold mislabelled records (then a
    // damaged dictionary only means they are read as labelled).
    var found = try await readDictionaries(
      byPack.filter { $0.value.contains { $0.codec == .zstdDictionary } }.compactMap {
        packs[$0.key]
      })
    for (id, entries) in byPack where found[id] == nil {
      guard let pack = packs[id], pack.mayHoldMislabelledRecords,
        entries.contains(where: { $0.codec == .zstd }),
        let read = try? await readDictionaries([pack])
      else { continue }
      found.merge(read) { a, _ in a }
    }
    let dictionaries = found
    let legacy = Set(packs.values.filter(\.mayHoldMislabelledRecords).map(\.id))
    var spans: [(pack: ObjectID, entries: [PackEntry])] = []
    for (pack, entries) in byPack {
      var current: [PackEntry] = []
      for entry in entries.sorted(by: { $0.offset < $1.offset }) {
        if let first = current.first, let last = current.last {
          let end = last.offset + UInt64(PackFormat.recordHeaderSize) + last.storedLength
          let span =
            entry.offset + UInt64(PackFormat.recordHeaderSize) + entry.storedLength
            - first.offset
          if entry.offset > end + (256 << 10) || span > (16 << 20) {
            spans.append((pack, current))
            current = []
          }
        }
        current.append(entry)
      }
      if !current.isEmpty { spans.append((pack, current)) }
    }
    let storage = self.storage
    let location = storage.location
    let requests = spans
    let parts = try await concurrentMap(count: requests.count, limit: 8) {
      index -> ([ObjectID: [UInt8]], UInt64) in
      let (pack, entries) = requests[index]
      guard let first = entries.first, let last = entries.last else { return ([:], 0) }
      let end = last.offset + UInt64(PackFormat.recordHeaderSize) + last.storedLength
      let bytes = try await storage.read(
        "packs/" + PackFormat.packName(pack), range: first.offset..<end)
      var decoded: [ObjectID: [UInt8]] = [:]
      try bytes.withUnsafeBytes { b in
        for entry in entries {
          let start = Int(entry.offset - first.offset)
          let record = UnsafeRawBufferPointer(
            rebasing: b[start..<(start + PackFormat.recordHeaderSize + Int(entry.storedLength))])
          let subject = "\(location)/packs/\(PackFormat.packName(pack)) object \(entry.id)"
          let dictionary =
            entry.codec == .zstdDictionary || (entry.codec == .zstd && legacy.contains(pack))
            ? dictionaries[pack] : nil
          if decode.contains(entry.id) {
            decoded[entry.id] = try Pack.decode(
              entry, record: record, subject: subject, dictionary: dictionary)
          }
          if let writer {
            try writer.copy(entry, record: record, subject: subject, dictionary: dictionary)
          }
        }
      }
      progress?.add(bytes: bytes.count)
      return (decoded, UInt64(bytes.count))
    }
    var decoded: [ObjectID: [UInt8]] = [:]
    for (part, _) in parts { decoded.merge(part) { a, _ in a } }
    result.bytes += dictionaries.values.reduce(0) {
      $0 + UInt64(PackFormat.recordHeaderSize + $1.bytes.count)
    }
    result.requests += dictionaries.count
    let outcome = (decoded, parts.reduce(0) { $0 + $1.1 }, parts.count)
    result.objects += ids.count
    result.bytes += outcome.1
    result.requests += outcome.2
    return outcome.0
  }
}

extension Remote {
  /// Fetches, then takes the remote's journal and versions into this
  /// repository (see ``RefsMerge/pull(remote:into:base:)``) and
  /// publishes its refs under `repos/` when it may write there.
  ///
  /// Journal events are merged first; every recorded rename is then
  /// applied to both sides' refs before they are merged, so an artifact
  /// renamed on either side is one artifact after the pull.
  ///
  /// - Throws: the errors of ``fetch(progress:)`` and of updating the refs.
  public func pull(refStore: RefStore, progress: Progress?) async throws -> (
    FetchResult, RefsMerge.PullChanges
  ) {
    try await holdingMergeLock { try await pullLocked(refStore: refStore, progress: progress) }
  }

  /// ``pull(refStore:progress:)``, under the merge lock.
  private func pullLocked(refStore: RefStore, progress: Progress?) async throws -> (
    FetchResult, RefsMerge.PullChanges
  ) {
    let base = try mergeBase()
    let (result, fetched) = try await fetch(progress: progress)
    let (remoteJournal, _) = try await readJournal()
    func refused(_ problem: String) -> ArtError {
      ArtError(
        .corruptData, "pull will not take \(name)'s refs: \(problem)",
        hint: "the remote's refs are damaged; fix them by pushing from a sound repository")
    }
    if let problem = fetched.problems().first { throw refused(problem) }
    let store = repository.store
    var moved: [ArtifactRename] = []
    var agreed = Refs()
    let changes = try Journal.update(repository, refStore: refStore) { log, local in
      let taken = log.merge(remoteJournal)
      let renames = log.renames
      // A rename onto a name this repository uses for other versions.
      for rename in renames where rename.means(local) && local.artifacts.contains(rename.to) {
        throw ArtError(
          .conflict,
          "\(name) has '\(rename.from)' renamed to '\(rename.to)' (by \(rename.event.user)), "
            + "but '\(rename.to)' here holds other versions",
          hint: "rename this repository's '\(rename.to)' first (art mv \(rename.to) NEW), "
            + "then pull again")
      }
      for rename in renames where rename.means(local) {
        if local.rename(rename.from, to: rename.to) { moved.append(rename) }
      }
      let remote = fetched.renamed(by: renames)
      let before = local
      let previous = base.renamed(by: renames)
      var changes = RefsMerge.pull(remote: remote, into: &local, base: previous)
      agreed = RefsMerge.base(afterPulling: remote, local: local, base: previous)
      changes.journal = taken
      // What the merge made must name what it says (the records are here
      // now); problems the refs had before are not the remote's doing.
      var problems = Set(local.problems()).subtracting(before.problems())
      for (name, target) in local.entries
      where before[name] != target || before.origins[name] != local.origins[name] {
        guard case .version = name.label, case .version(let id) = target else { continue }
        // Every object was fetched: a record that does not read now is
        // missing from the remote's packs, or damaged there.
        let record: VersionRecord
        do {
          record = try store.versionRecord(id)
        } catch {
          let reason = (error as? ArtError)?.message ?? "\(error)"
          problems.insert("\(name) names a version that cannot be read (\(reason))")
          continue
        }
        if let problem = local.mismatch(record, at: name) { problems.insert(problem) }
      }
      let shared = Set(before.sharedVersions().map(\.2))
      if let (first, second, _) = local.sharedVersions().first(where: { !shared.contains($0.2) }) {
        throw ArtError(
          .conflict,
          "after \(name)'s renames, '\(first)' and '\(second)' would name the same versions "
            + "(renamed one way there and another here)",
          hint: "keep one name here (art mv \(second) \(first), or the other way), then pull again")
      }
      if let problem = problems.sorted().first { throw refused(problem) }
      return changes
    }
    // Every name is settled now: taken, or kept here to be pushed.
    try saveMergeBase(agreed)
    // The root folders' bases follow, once the refs say so.
    for rename in moved { try FolderBases(repository).rename(rename.from, to: rename.to) }
    // Publish what this repository now holds, so remote gc keeps it; a
    // read-only user cannot, and that is no reason to fail the pull.
    try? await publishRepositoryRefs(refStore.read())
    return (result, changes)
  }
}

extension Remote {
  /// Downloads the version records among `ids` that are not here (what
  /// `art log REMOTE/…` lists), in as few requests as their places allow.
  ///
  /// - Throws: ``ArtError`` for a record the remote lacks or damaged data.
  public func fetchRecords(_ ids: [ObjectID]) async throws {
    let absent = ids.filter { !repository.store.contains($0) }
    if absent.isEmpty { return }
    let index = try await syncIndexes()
    let writer = repository.makeWriter()
    var result = FetchResult()
    do {
      _ = try await readObjects(absent, index: index, writer: writer, decode: [], result: &result)
      _ = try writer.finish()
      try repository.store.refresh()
    } catch {
      writer.abandon()
      throw error
    }
  }
}

extension Remote {
  /// Downloads the manifests (folders) of the trees `roots`, not their
  /// files: what merging distributed parts reads.
  ///
  /// - Throws: ``ArtError`` for a manifest the remote lacks or damaged data.
  func fetchManifests(_ roots: [ObjectID]) async throws {
    let index = try await syncIndexes()
    let writer = repository.makeWriter()
    do {
      var graph = ObjectGraph(
        source: RemoteObjects(remote: self, index: index, writer: writer), onProblem: .stop)
      var folders = FoldersOnly()
      try await graph.walk(
        roots.map { .tree($0, label: "tree \($0.prefix(12))") }, visitor: &folders)
      _ = try writer.finish()
      try repository.store.refresh()
    } catch {
      writer.abandon()
      throw error
    }
  }
}
