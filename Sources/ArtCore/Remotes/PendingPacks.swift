import ArtStore
import Synchronization
import SystemPackage

/// Whole packs a fetch downloaded and verified, at temporary names: their
/// chunk lists are checked against their chunks once everything fetched
/// by range is here too, and only then are the packs published.
///
/// A chunk list is named by its file's hash, so only the chunks it names,
/// read end to end, check it: each list costs a hash of its whole file.
/// ``Download/leftToLists`` are the chunks `verify` left for that pass:
/// each is read there from its own pack with its hash checked once, and
/// the lists of later versions of a file hash it only as part of theirs.
struct PendingPacks: Sendable {
  /// One downloaded pack.
  struct Download: Sendable {
    /// The pack's id.
    var id: ObjectID
    /// Its index, at a temporary name.
    var indexPath: FilePath
    /// The `.pack` file, at a temporary name.
    var packPath: FilePath
    /// The chunks its own lists name that it holds: verified by ``check()``.
    var leftToLists: Set<ObjectID> = []
    /// Whether it holds chunk lists.
    var holdsChunkLists = false

    /// A download of pack `id` to `indexPath` and `packPath`.
    init(id: ObjectID, indexPath: FilePath, packPath: FilePath) {
      self.id = id
      self.indexPath = indexPath
      self.packPath = packPath
    }
  }

  /// One pack's copy of an object: another pack may hold another.
  private struct Copy: Hashable {
    var pack: Int
    var id: ObjectID
  }

  /// The packs, verified but for their lists' chunks.
  let downloads: [Download]
  /// This repository's objects, with what the fetch read by range.
  let store: ObjectStore

  /// Packs `downloads`, whose lists' chunks may also be in `store`.
  init(downloads: [Download], store: ObjectStore) {
    self.downloads = downloads
    self.store = store
  }

  /// The blobs that `pack`'s own chunk lists name and `pack` holds, and
  /// whether it holds any list.
  static func chunksOfLists(in pack: Pack) throws -> (Set<ObjectID>, Bool) {
    var chunks = Set<ObjectID>()
    var holdsLists = false
    for position in 0..<pack.index.count {
      let entry = try pack.index.entry(at: position)
      guard entry.kind == .chunkList else { continue }
      holdsLists = true
      let list = try ChunkList(
        decoding: pack.readChecked(entry), id: entry.id,
        subject: "\(pack.path.string)' object '\(entry.id)")
      for (id, _) in list.chunks where blob(id, in: pack) != nil { chunks.insert(id) }
    }
    return (chunks, holdsLists)
  }

  /// The entry of blob `id` in `pack`, or nil.
  static func blob(_ id: ObjectID, in pack: Pack) -> PackEntry? {
    guard let position = pack.index.position(of: id),
      let entry = try? pack.index.entry(at: position), entry.kind == .blob
    else { return nil }
    return entry
  }

  /// Checks every chunk list of the packs against its chunks, a few lists
  /// at once, then every chunk left to the lists that none read; returns,
  /// by pack, the lists to leave out because a chunk they name is nowhere
  /// (a remote keeps the lists of deleted files in packs that stay).
  ///
  /// Each chunk is read from the list's own pack if it is there, else from
  /// another of the packs (record, CRC and hash checked), else from the
  /// store.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a list whose chunks are not
  ///   its file, or a damaged chunk.
  func check() async throws -> [ObjectID: Set<ObjectID>] {
    let packs = try downloads.map { try Pack(indexPath: $0.indexPath, packPath: $0.packPath) }
    var lists: [(pack: Int, entry: PackEntry)] = []
    for (index, pack) in packs.enumerated() {
      for position in 0..<pack.index.count {
        let entry = try pack.index.entry(at: position)
        if entry.kind == .chunkList { lists.append((index, entry)) }
      }
    }
    let found = lists
    let store = self.store
    // The cores are shared out between the lists checked at once.
    let readers = max(
      1, Syscalls.processorCount / max(1, min(found.count, Syscalls.processorCount)))
    // The copies read with their hash checked: another list naming one (a
    // later version of the same file) only hashes it as part of its file,
    // and the last pass checks the copies no list read.
    let checked = Mutex(Set<Copy>())
    let leftOutLists = try await concurrentMap(
      count: found.count, limit: Syscalls.processorCount
    ) { index -> Bool in
      let (own, entry) = found[index]
      let subject = "\(packs[own].path.string)' object '\(entry.id)"
      let list = try ChunkList(
        decoding: packs[own].readChecked(entry), id: entry.id, subject: subject)
      let order = [own] + packs.indices.filter { $0 != own }
      var places: [ObjectID: (pack: Int, entry: PackEntry)?] = [:]
      for (chunk, _) in list.chunks where places[chunk] == nil {
        var place: (Int, PackEntry)? = nil
        for pack in order {
          if let blob = Self.blob(chunk, in: packs[pack]) {
            place = (pack, blob)
            break
          }
        }
        if let place {
          places[chunk] = place
        } else if store.contains(chunk) {
          places[chunk] = .some(nil)
        } else {
          return true
        }
      }
      // The chunks are read and hash-checked on other threads while this
      // one hashes the file they make.
      let known = places
      try list.checkContent(subject: subject, readers: readers) { chunk in
        guard let place = known[chunk], let (pack, blob) = place else {
          return try store.read(chunk, as: .blob)
        }
        let copy = Copy(pack: pack, id: chunk)
        if checked.withLock({ $0.contains(copy) }) {
          return try packs[pack].read(blob, verifyingHash: false)
        }
        let bytes = try packs[pack].readChecked(blob)
        checked.withLock { _ = $0.insert(copy) }
        return bytes
      }
      return false
    }
    var leftOut: [ObjectID: Set<ObjectID>] = [:]
    for ((pack, entry), isLeftOut) in zip(found, leftOutLists) where isLeftOut {
      leftOut[packs[pack].id, default: []].insert(entry.id)
    }
    let read = checked.withLock { $0 }
    for (index, download) in downloads.enumerated() {
      for chunk in download.leftToLists where !read.contains(Copy(pack: index, id: chunk)) {
        guard let blob = Self.blob(chunk, in: packs[index]) else { continue }
        _ = try packs[index].readChecked(blob)
      }
    }
    return leftOut
  }

  /// Publishes `download`: renames its pack, then its index, into place.
  ///
  /// With lists to leave out, copies its other objects into new packs
  /// through `writer` instead; when another fetch published the same pack
  /// meanwhile, leaves it at that. Its temporary files are gone after.
  func publish(_ download: Download, leavingOut: Set<ObjectID>, writer: ObjectWriter)
    throws
  {
    let folder = store.directory
    let index = folder.appending(PackFormat.indexName(download.id))
    defer {
      try? Syscalls.unlink(download.packPath)
      try? Syscalls.unlink(download.indexPath)
    }
    if !leavingOut.isEmpty {
      let pack = try Pack(indexPath: download.indexPath, packPath: download.packPath)
      do {
        for position in 0..<pack.index.count {
          let entry = try pack.index.entry(at: position)
          if !leavingOut.contains(entry.id) { try writer.copy(entry, from: pack) }
        }
        _ = try writer.finish()
      } catch {
        writer.abandon()
        throw error
      }
      return
    }
    // Another fetch may have published it meanwhile: the same pack. One
    // here whose `.pack` was lost or cut short is put back whole.
    let lost = store.allPacks.first { $0.id == download.id }.map { !$0.fileLooksWhole } ?? false
    if !lost, try Syscalls.linkStatus(index) != nil { return }
    try Syscalls.rename(download.packPath, to: folder.appending(PackFormat.packName(download.id)))
    try Syscalls.rename(download.indexPath, to: index)
    if lost { try store.reopen(packID: download.id) }
  }
}
