import ArtRemote
public import ArtStore
import SystemPackage

/// What `art gc --remote` found and did.
public struct RemoteGCReport: Sendable {
  /// Versions kept: the remote's refs and every repository's published refs.
  public var versions = 0
  /// Repositories whose published refs were kept.
  public var repositories = 0
  /// Objects reachable from them.
  public var liveObjects = 0
  /// Packs deleted, and their bytes.
  public var deletedPacks: [ObjectID] = []
  public var deletedBytes: UInt64 = 0
  /// Packs newly found unreachable: deleted by a gc after the grace period.
  public var condemnedPacks: [ObjectID] = []
  public var condemnedBytes: UInt64 = 0
  /// Packs mostly garbage whose live objects were copied to a new pack,
  /// and small packs merged.
  public var rewrittenPacks: [ObjectID] = []
  /// Of those, small packs merged because `pack.autoMerge` had piled up.
  public var mergedPacks = 0
  /// Condemned packs found reachable again (a push named them) and kept.
  public var reprieved = 0
  /// Pack files without an index (an interrupted push) deleted.
  public var orphans = 0
  /// Unfinished multipart uploads of interrupted pushes dropped.
  public var abortedUploads = 0
}

extension Remote {
  /// Deletes from the remote only data that no repository pushing to it
  /// references.
  ///
  /// Kept: every version in the remote's refs, in every repository's refs
  /// published under `repos/` (each push writes its repository's), and
  /// every open distributed draft's parts. A pack with nothing reachable is
  /// first *condemned* (`condemned/pack-<id>`); a later gc deletes it once
  /// `grace` has passed and it is still unreachable, so a push that counted
  /// on it before it was condemned has landed its refs by then. A pack at
  /// least half garbage has its live objects copied to a new pack and is
  /// condemned; so are small packs (under 64 MiB), merged into one, once
  /// `pack.autoMerge` of them have piled up. With `dryRun` nothing changes.
  ///
  /// - Throws: ``ArtError`` when a kept version's objects cannot be read
  ///   (nothing is deleted then), or the storage's errors.
  public func collectGarbage(grace: Int64, dryRun: Bool) async throws -> RemoteGCReport {
    var report = RemoteGCReport()
    removeDeadScratch()
    let index = try await syncIndexes()
    var roots = Set<ObjectID>()
    var trees = Set<ObjectID>()
    let (refs, _) = try await readRefs()
    // As the local gc: on any doubt about what the refs name, nothing goes.
    let problems = refs.problems()
    if let first = problems.first {
      throw ArtError(
        .corruptData,
        "gc --remote will not run: \(name)'s refs are inconsistent (\(problems.count) "
          + "problem(s)), first: \(first)",
        hint: "fix the remote's refs (push from a sound repository) first")
    }
    for artifact in refs.artifacts {
      roots.formUnion(refs.versions(of: artifact).map(\.id))
      roots.formUnion(refs.aliases(of: artifact).map(\.id))
    }
    for entry in try await storage.list("repos/") {
      guard let (bytes, _) = try await storage.read(entry.key) else { continue }
      let published = try RefStore.decode(bytes, file: "\(storage.location)/\(entry.key)")
      for artifact in published.artifacts {
        roots.formUnion(published.versions(of: artifact).map(\.id))
      }
      report.repositories += 1
    }
    for entry in try await storage.list("drafts/")
    where entry.key.split(separator: "/").last?
      .hasPrefix("part-") == true
    {
      guard let (bytes, _) = try await storage.read(entry.key) else { continue }
      trees.insert(try DistributedDraft.decode(bytes, name: "", source: entry.key).manifest)
    }
    // Roots a repository has that never reached the remote are not its
    // concern; roots that did must be wholly readable before anything goes.
    roots = roots.filter { index.contains($0) }
    report.versions = roots.count
    let live = try await liveObjects(versions: Array(roots), trees: Array(trees), index: index)
    report.liveObjects = live.count

    let now = WallClock.milliseconds()
    var rewrites: [(Pack, [PackEntry])] = []
    // Small packs past the grace period: one push makes one, and every
    // push and fetch lists them all, so once `pack.autoMerge` have piled
    // up they are merged into one, as commits merge the local ones.
    var small: [(Pack, [PackEntry])] = []
    var smallCount = 0
    for pack in index.allPacks {
      guard let info = index.packs[pack.id] else { continue }
      var kept: [PackEntry] = []
      var keptBytes: UInt64 = 0
      for position in 0..<pack.index.count where live.contains(pack.index.id(at: position)) {
        let entry = try pack.index.entry(at: position)
        kept.append(entry)
        keptBytes &+= entry.storedLength &+ UInt64(PackFormat.recordHeaderSize)
      }
      if let condemnedAt = index.condemned[pack.id] {
        // Live objects another pack, not condemned, holds too (a rewrite
        // or merge copied them there) do not keep it; others reprieve it.
        if kept.contains(where: { !index.containsKept($0.id, everywhere: true) }) {
          report.reprieved += 1
          if !dryRun { try await storage.delete("condemned/" + PackFormat.packName(pack.id)) }
        } else if now.subtractingSaturating(condemnedAt) >= grace {
          report.deletedPacks.append(pack.id)
          report.deletedBytes &+= info.size
          if !dryRun { try await deletePack(pack.id) }
        }
        continue
      }
      if kept.isEmpty {
        if grace == 0 {
          report.deletedPacks.append(pack.id)
          report.deletedBytes &+= info.size
          if !dryRun { try await deletePack(pack.id) }
        } else {
          report.condemnedPacks.append(pack.id)
          report.condemnedBytes &+= info.size
          if !dryRun { try await condemn(pack.id) }
        }
      } else if now.subtractingSaturating(info.modified) >= grace {
        if info.size < Repacker.smallPack { smallCount += 1 }
        if keptBytes <= info.size / 2 {
          rewrites.append((pack, kept))
        } else if info.size < Repacker.smallPack {
          small.append((pack, kept))
        }
      }
    }
    let mergeAt = repository.configuration.autoMergePacks
    if mergeAt > 0, smallCount >= mergeAt {
      rewrites += small
      report.mergedPacks = small.count
    }
    if !rewrites.isEmpty {
      for (pack, _) in rewrites { report.rewrittenPacks.append(pack.id) }
      if !dryRun { try await rewrite(rewrites, index: index, grace: grace) }
    }
    // Pack files whose index never arrived: pushes killed half-way.
    for entry in try await storage.list("packs/") where entry.key.hasSuffix(".pack") {
      let base = String(entry.key.dropFirst("packs/".count).dropLast(5))
      guard base.hasPrefix("pack-"), let id = ObjectID(String(base.dropFirst(5))),
        index.packs[id] == nil, now.subtractingSaturating(entry.modified) >= max(grace, 3_600_000)
      else { continue }
      report.orphans += 1
      if !dryRun { try await storage.delete(entry.key) }
    }
    // Multipart uploads a killed push left and no push resumed.
    report.abortedUploads = try await storage.dropUnfinishedUploads(
      "packs/", olderThan: grace, dryRun: dryRun)
    return report
  }

  /// Every object reachable from `versions` and `trees`, reading records,
  /// manifests and chunk lists from this repository when here, else from
  /// the remote (not stored).
  private func liveObjects(versions: [ObjectID], trees: [ObjectID], index: RemoteIndex)
    async throws -> Set<ObjectID>
  {
    var graph = ObjectGraph(
      source: RemoteObjects(remote: self, index: index, writer: nil), onProblem: .stop)
    var marking = MarkingVisitor()
    try await graph.walk(
      versions.map { .version($0, label: "version \($0.prefix(12))") }
        + trees.map { .tree($0, label: "draft tree \($0.prefix(12))") }, visitor: &marking)
    return graph.reached
  }

  private func condemn(_ id: ObjectID) async throws {
    try await storage.write(
      "condemned/" + PackFormat.packName(id),
      Array("\(WallClock.milliseconds())\n".utf8), condition: nil)
  }

  /// Deletes a pack: its index first (which unpublishes it), then the
  /// pack, then its condemned marker.
  private func deletePack(_ id: ObjectID) async throws {
    try await storage.delete("packs/" + PackFormat.indexName(id))
    try await storage.delete("packs/" + PackFormat.packName(id))
    try await storage.delete("condemned/" + PackFormat.packName(id))
  }

  /// Copies the live objects of mostly-garbage packs into new packs,
  /// uploads those, then condemns (or, without grace, deletes) the old.
  private func rewrite(_ packs: [(Pack, [PackEntry])], index: RemoteIndex, grace: Int64)
    async throws
  {
    let scratch = repository.layout.scratch("remote-gc")
    defer { try? removeTree(scratch) }
    try Syscalls.makeDirectories(scratch)
    let writer = ObjectWriter(
      store: try ObjectStore(directory: scratch),
      compression: repository.configuration.compression,
      maximumPackSize: repository.configuration.maximumPackSize, skipsStored: true,
      holdsChunkLists: false)
    var result = FetchResult()
    var written = Set<ObjectID>()
    do {
      for (_, entries) in packs {
        _ = try await readObjects(
          entries.map(\.id), index: index, writer: writer, decode: [], result: &result)
      }
      _ = try writer.finish()
      for pack in try ObjectStore(directory: scratch).allPacks {
        _ = try await uploadPack(pack, progress: nil)
      }
      written = Set(try ObjectStore(directory: scratch).allPacks.map(\.id))
    } catch {
      writer.abandon()
      throw error
    }
    // A pack written here may be one of the old ones made again (the same
    // objects make the same pack): that one stays.
    for (pack, _) in packs where !written.contains(pack.id) {
      if grace == 0 { try await deletePack(pack.id) } else { try await condemn(pack.id) }
    }
  }
}
