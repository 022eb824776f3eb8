public import ArtStore
import SystemPackage

/// What `art repack` did.
public struct RepackReport: Sendable {
  /// Packs merged.
  public var packsBefore = 0
  /// Packs they became.
  public var packsAfter = 0
  /// Objects copied (each once, duplicates across packs merged).
  public var objects = 0
  /// Pack bytes before and after.
  public var bytesBefore: UInt64 = 0
  public var bytesAfter: UInt64 = 0
  /// Whether the packs were rewritten (not when there was nothing to do).
  public var repacked = false
}

/// Merges packs into as few as the size limit allows, optionally
/// recompressing every object.
///
/// Recompressing with `zlib` makes a tighter archive.
/// Needs the repository opened with an exclusive lock. Every object is
/// copied, live or not (dropping garbage is gc's job); objects whose codec
/// stays the same are copied as stored, with their CRC checked; others are
/// read, verified and compressed again on every core. The new packs are
/// published before any old one is deleted.
public struct Repacker: Sendable {
  /// The repository, opened with ``RepositoryLock/Mode/exclusive``.
  public let repository: Repository
  /// The compression to recompress with; nil keeps each object's own.
  public var compression: Compression?
  /// Size at which a new pack is started.
  public var maximumPackSize: UInt64
  /// Only packs smaller than this are merged (nil: all).
  public var onlyPacksSmallerThan: UInt64? = nil

  /// A small pack: gc rewrites one whenever it holds dead objects, whatever
  /// its threshold (copying it is cheap), and commits merge them once
  /// `pack.autoMerge` of them have piled up.
  public static let smallPack: UInt64 = 64 << 20

  /// Merges the small packs of `repository`, like git's auto gc.
  ///
  /// That happens once `pack.autoMerge` of them have piled up, and only if
  /// no other command is running: the exclusive lock is taken for
  /// `command` without waiting (a later commit does it otherwise). Returns
  /// what was merged, or nil when nothing was.
  public static func mergeSmallPacks(_ repository: Repository, command: String) async throws
    -> RepackReport?
  {
    let limit = repository.configuration.autoMergePacks
    let small = repository.store.allPacks.count(where: { $0.index.packSize < smallPack })
    guard limit > 0, small >= limit, repository.lock?.tryUpgrade(command: command) == true
    else { return nil }
    var repacker = Repacker(
      repository: repository, compression: nil,
      maximumPackSize: repository.configuration.maximumPackSize)
    repacker.onlyPacksSmallerThan = smallPack
    return try await repacker.run()
  }

  /// Counts objects and their stored bytes as they are copied.
  public var progress: Progress?

  /// A repacker for `repository`, recompressing with `compression` when given.
  public init(repository: Repository, compression: Compression?, maximumPackSize: UInt64) {
    self.repository = repository
    self.compression = compression
    self.maximumPackSize = maximumPackSize
  }

  /// Repacks, or does nothing when there is at most one pack, of the
  /// current format, and no codec change was asked for.
  ///
  /// A pack of an older format is always rewritten: as a pack of format 2
  /// (see ``PackFormat``), with any record an older build mislabelled
  /// stored as what it is.
  public func run() async throws -> RepackReport {
    let store = repository.store
    let before = Set(store.allPacks.map(\.id))
    let old = store.allPacks.filter { pack in
      onlyPacksSmallerThan.map { pack.index.packSize < $0 } ?? true
    }
    var report = RepackReport()
    report.packsBefore = old.count
    report.bytesBefore = old.reduce(0) { $0 + $1.index.packSize }
    if old.isEmpty || (old.count == 1 && compression == nil && old[0].index.version >= 4) {
      report.packsAfter = old.count
      report.bytesAfter = report.bytesBefore
      return report
    }
    let writer = repository.makeWriter(
      compression: compression, maximumPackSize: maximumPackSize, skipsStored: false)
    do {
      var recompress: [(Pack, PackEntry)] = []
      progress?.setTotal(
        files: old.reduce(0) { $0 + $1.index.objectCount }, bytes: Int(report.bytesBefore))
      let progress = self.progress
      var copies = PackCopies(writer: writer, packs: old)
      for pack in old {
        var entries: [PackEntry] = []
        for position in 0..<pack.index.count { entries.append(try pack.index.entry(at: position)) }
        // A pack's dictionary is not copied as an object: records copied
        // as they are bring it along, and recompressed ones do not need it.
        for entry in entries.sorted(by: { $0.offset < $1.offset }) where entry.kind != .dictionary {
          // A zstd record's level is not recorded, so asking for zstd
          // recompresses every object.
          if let compression, entry.codec != compression.codec || compression.codec == .zstd {
            recompress.append((pack, entry))
          } else {
            try copies.copy(entry, from: pack)
            progress?.add(fileOf: Int(entry.storedLength))
          }
        }
      }
      try copies.finish()
      let jobs = recompress
      let duplicates = copies.duplicates
      let compression = writer.compression
      _ = try await forEachConcurrently(
        count: jobs.count, makeState: { Compressor(compression: compression) },
        { compressor, index in
          let (pack, entry) = jobs[index]
          // A damaged copy of a duplicate is left for another pack's; the
          // check below finds an object none had whole.
          let raw: [UInt8]
          do {
            raw = try pack.read(entry)
          } catch  where duplicates.contains(entry.id) {
            return
          }
          try raw.withUnsafeBytes {
            _ = try writer.write($0, kind: entry.kind, id: entry.id, compressor: compressor)
          }
          progress?.add(fileOf: Int(entry.storedLength))
        }, finish: { _ in () })
      if let lost = jobs.first(where: { !writer.contains($0.1.id) }) {
        throw ArtError(
          .corruptData,
          "repack stopped: every copy of object \(lost.1.id) is damaged (first in '\(lost.0.path)')",
          hint: "run 'art fsck' to see what is damaged; nothing was deleted")
      }
      let statistics = try writer.finish()
      report.objects = statistics.objectsWritten
      report.repacked = true
      let fresh = Set(statistics.packs)
      let written = store.allPacks.filter { fresh.contains($0.id) }
      let gone = old.filter { !fresh.contains($0.id) }
      try store.delete(gone)
      FetchedPacks.replace(Set(gone.map(\.id)), by: fresh, before: before, in: repository)
      report.packsAfter = written.count
      report.bytesAfter = written.reduce(0) { $0 + $1.index.packSize }
    } catch {
      writer.abandon()
      throw error
    }
    return report
  }
}
