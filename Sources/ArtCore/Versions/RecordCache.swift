import ArtStore
import Synchronization
import SystemPackage

/// `.art/state/records`: the bytes of version records read before, each
/// with the pack that held it, so a command that reads every version of a
/// long history (gc's retention plan, `log`) reads one file instead of a
/// thousand records scattered over as many packs.
///
/// An entry serves only while the pack it names is published and whole (a
/// pack never changes, so the record is still stored) and its bytes hash
/// to its id; otherwise the record is read from the store and added again.
/// A miss is appended to the file in one write; a file that is missing,
/// not ours, cut short, found damaged or mostly stale is written whole
/// instead. A file that cannot be written is left alone for the rest of
/// the process, and one that has reached ``sizeLimit`` is not added to.
/// It is a cache: a damaged file only costs reads, and it may be deleted.
///
/// The file is the 8-byte header (`ARTRECS`, format `0x01`), then entries:
///
/// | bytes | field                                   |
/// |-------|-----------------------------------------|
/// | 32    | the record's id                         |
/// | 32    | the id of the pack it was read from     |
/// | 4     | L, the record's length (little-endian)  |
/// | L     | the record's bytes                      |
final class RecordCache: Sendable {
  /// The file; nil for none (every record is read from the store).
  private let path: FilePath?
  private let loaded = Mutex<Entries?>(nil)

  static let magic = Array("ARTRECS".utf8) + [1]
  /// A larger file is not read, and the file is not added to past it.
  static let sizeLimit = 64 << 20

  private struct Entry {
    var pack: ObjectID
    var bytes: ArraySlice<UInt8>
  }

  private struct Entries {
    var byID: [ObjectID: Entry] = [:]
    /// The file's size as read and appended to.
    var size = 0
    /// Whether a miss may be appended: the file is ours, whole, and no
    /// entry served from it failed its hash.
    var appendable = false
    /// Whether the file may be written at all in this process (false once
    /// a write failed, so misses do not each try again).
    var writable = true
    /// Entries whose pack is gone (counted at the first miss).
    var stale: Int?
  }

  /// The cache at `path`, read on first use; with nil, none.
  init(path: FilePath?) {
    self.path = path
  }

  /// The version record `id` of `store`, from the cache when it holds it
  /// for a pack still published and whole, else read (and verified) from
  /// the store and added to the cache.
  ///
  /// A hit costs a SHA-256 of the record's bytes and its decoding.
  ///
  /// - Throws: ``ArtError`` with code `.notFound` or `.corruptData`, as
  ///   ``ArtStore/ObjectStore/versionRecord(_:)``.
  func record(_ id: ObjectID, in store: ObjectStore) throws -> VersionRecord {
    guard let path else { return try store.versionRecord(id) }
    let cached = loaded.withLock { entries in
      if entries == nil { entries = Self.read(path) }
      return entries?.byID[id]
    }
    if let cached, store.holdsWholePack(cached.pack) {
      if cached.bytes.withUnsafeBytes({ ObjectHasher.id(of: $0) }) == id,
        let record = try? VersionRecord(decoding: Array(cached.bytes), id: id)
      {
        return record
      }
      // Damaged: the next miss writes the file whole, of entries that check.
      loaded.withLock { $0?.appendable = false }
    }
    let bytes = try store.read(id, as: .version)
    let record = try VersionRecord(decoding: bytes, id: id)
    // Only for a pack that can serve it next time (the copy read may have
    // come from another when the first one's file is broken).
    if let pack = try? store.locate(id)?.pack.id, store.holdsWholePack(pack) {
      add(id, bytes, pack: pack, store: store, to: path)
    }
    return record
  }

  /// Adds `bytes`, record `id` stored in `pack`, to the file at `path` and
  /// to the entries in memory; a file that cannot be written stays as it is.
  private func add(
    _ id: ObjectID, _ bytes: [UInt8], pack: ObjectID, store: ObjectStore, to path: FilePath
  ) {
    var entry = ByteWriter(capacity: 68 + bytes.count)
    entry.append(id)
    entry.append(pack)
    entry.append(UInt32(bytes.count))
    entry.append(bytes)
    loaded.withLock { entries in
      guard var current = entries else { return }
      defer { entries = current }
      var stale =
        current.stale ?? current.byID.values.count { !store.holdsWholePack($0.pack) }
      if let replaced = current.byID[id], !store.holdsWholePack(replaced.pack) { stale -= 1 }
      current.stale = stale
      current.byID[id] = Entry(pack: pack, bytes: ArraySlice(bytes))
      guard current.writable else { return }
      if current.appendable, stale <= max(64, current.byID.count / 2) {
        // Full: kept as it is.
        guard current.size + entry.bytes.count <= Self.sizeLimit else { return }
        guard let fd = Syscalls.openOwnFileForAppending(path) else {
          current.appendable = false
          return
        }
        defer { try? fd.close() }
        do {
          try entry.bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
          current.size += entry.bytes.count
        } catch {
          // Perhaps cut short; a disk that refuses one write refuses more.
          current.writable = false
        }
        return
      }
      // Written whole: the entries that still stand and check, this one among them.
      var file = Self.magic
      for (key, value) in current.byID
      where store.holdsWholePack(value.pack)
        && value.bytes.withUnsafeBytes({ ObjectHasher.id(of: $0) }) == key
      {
        guard file.count + 68 + value.bytes.count <= Self.sizeLimit else { break }
        file += key.bytes + value.pack.bytes
        withUnsafeBytes(of: UInt32(value.bytes.count).littleEndian) { file += $0 }
        file += value.bytes
      }
      do {
        try Syscalls.makeDirectories(path.removingLastComponent())
        try AtomicFile.write(file, to: path, durable: false)
        (current.appendable, current.size, current.stale) = (true, file.count, 0)
      } catch {
        current.writable = false
      }
    }
  }

  /// The entries of the file at `path`: none when it is missing, not a
  /// file of its own, too large or of another format; those before a cut
  /// or damaged one otherwise.
  private static func read(_ path: FilePath) -> Entries {
    guard let (fd, size) = Syscalls.openOwnFileForReading(path) else { return Entries() }
    defer { try? fd.close() }
    guard size <= sizeLimit,
      let bytes = try? AtomicFile.readAll(fd, name: path.string, limit: sizeLimit, size: size),
      bytes.starts(with: magic)
    else { return Entries() }
    var entries = Entries()
    var offset = magic.count
    bytes.withUnsafeBytes { raw in
      while raw.count - offset >= 68 {
        let length = Int(raw.littleEndian(at: offset + 64, as: UInt32.self))
        guard length <= raw.count - offset - 68 else { break }
        let id = ObjectID(in: raw, at: offset)
        entries.byID[id] = Entry(
          pack: ObjectID(in: raw, at: offset + 32),
          bytes: bytes[(offset + 68)..<(offset + 68 + length)])
        offset += 68 + length
      }
    }
    // Appended to only when it ends where its last entry does.
    entries.appendable = offset == bytes.count
    entries.size = bytes.count
    return entries
  }
}
