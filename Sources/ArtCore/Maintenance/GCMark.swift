import ArtStore
import SystemPackage

/// The last gc's mark, `state/gc-mark`: the versions it kept, every object
/// they reach, and the packs it left, so the next gc walks only versions
/// new since and looks into only the packs that may hold garbage.
///
/// Versions never change, so what a version reached then it reaches now.
/// gc uses the mark only when every version in it is still kept (a
/// dropped version would leave its objects marked, and gc would keep
/// them) and every object in it is still stored: at once when every pack
/// it names is still here (each object was in one of them, and a pack never
/// changes), else by looking the packs' ids up in the mark.
/// A pack all of whose objects were in the mark then still holds nothing
/// but live objects, and gc leaves it unread. The mark is saved only from a
/// walk with no missing or damaged object, so it never lacks an object a
/// version in it reaches. It is a cache: a missing or damaged file means a
/// full walk, and it may be deleted.
///
/// The file is a header and segments, each saved by one gc: the first
/// holds the whole mark, each later one what a gc added (one write at the
/// end of the file, so a gc that walked one new version writes what that
/// version added, not the whole mark again). The mark is the union of the
/// segments' versions and objects, with the last segment's packs. A
/// segment that is cut short or damaged ends the file: the segments before
/// it are the mark an earlier gc saved. See FORMAT.md, "gc's mark".
struct GCMark {
  /// Versions whose whole reach is in ``objects``.
  var versions: Set<ObjectID>
  /// Everything those versions reach.
  var objects: MarkObjects
  /// Every pack when the mark was saved, and whether each held only
  /// objects in the mark then (besides its dictionary).
  var packs: [ObjectID: Bool]
  /// Segments in the file.
  var segments = 1
  /// Whether the last segment ends the file (no damaged one after it), so
  /// a new segment may follow it.
  var endsTheFile = true

  static let magic = Array("ARTMARK".utf8) + [3]
  /// Segments after which the next save writes the mark whole again.
  static let segmentLimit = 16
  /// A larger file is no mark.
  static let sizeLimit = 1 << 36

  /// The mark at `path`, or nil when there is none or the head of its
  /// first segment is damaged.
  ///
  /// The first segment's objects, nearly all of a large mark, are not read
  /// here but a block at a time as lookups need them (see ``MarkObjects``);
  /// the later segments are read whole.
  static func read(_ path: FilePath) -> GCMark? {
    // Only a file of its own: not a link to one elsewhere.
    guard let (fd, size) = Syscalls.openOwnFileForReading(path) else { return nil }
    let file = MarkFile(descriptor: fd, path: path, size: size)
    // No count in a larger file is believed (64 GiB: 2 billion ids).
    guard size <= sizeLimit, file.read(at: 0, count: magic.count) == magic,
      let first = MarkSegment(in: file, at: magic.count)
    else {
      try? fd.close()
      return nil
    }
    var versions = Set(first.versions)
    var packs = first.packs
    var segments = 1
    var added: [ObjectID] = []
    var offset = first.end
    while let segment = MarkSegment(in: file, at: offset),
      let ids = segment.objects(from: 0, count: segment.objectCount, in: file)
    {
      versions.formUnion(segment.versions)
      added += ids
      packs = segment.packs
      segments += 1
      offset = segment.end
    }
    return GCMark(
      versions: versions, objects: MarkObjects(file: file, first: first, later: added),
      packs: packs, segments: segments, endsTheFile: offset == file.size)
  }

  /// Whether `id` is in the mark.
  func contains(_ id: ObjectID) -> Bool { objects.contains(id) }

  /// The number of objects in the mark.
  var objectCount: Int { objects.count }

  /// Whether every object in the mark is in `store`: at once when every
  /// pack the mark names is still there (a pack never changes), else (packs
  /// merged or repacked since) by finding each id of every pack's index in
  /// the mark, read whole for that.
  func isStored(in store: ObjectStore) -> Bool {
    let present = store.allPacks
    let presentIDs = Set(present.map(\.id))
    if packs.keys.allSatisfy({ presentIDs.contains($0) }) { return true }
    guard let sets = objects.all() else { return false }
    var found = sets.map { [Bool](repeating: false, count: $0.count) }
    for pack in present {
      for id in pack.index.objectIDs {
        for (set, ids) in sets.enumerated() {
          guard let position = ids.position(of: id) else { continue }
          found[set][position] = true
          break
        }
      }
    }
    return found.allSatisfy { $0.allSatisfy { $0 } }
  }

  /// Saves the mark of `versions`, which reach `earlier`'s objects (if
  /// any) and `added`, with `packs`, at `path`.
  ///
  /// With `earlier`, the mark this gc started from (its versions among
  /// `versions`, `added` none of its objects), only what is new is written,
  /// at the end of the file, unless it has ``segmentLimit`` segments
  /// already or a damaged one at its end. Not synced: it is a cache.
  ///
  /// - Throws: ``ArtError`` when it cannot be written, or `earlier`'s
  ///   objects must be written again and a block of them is damaged.
  static func save(
    versions: Set<ObjectID>, added: Set<ObjectID>, packs: [ObjectID: Bool],
    after earlier: GCMark?, to path: FilePath
  ) throws {
    try Syscalls.makeDirectories(path.removingLastComponent())
    if let earlier, earlier.endsTheFile, earlier.segments < segmentLimit,
      !earlier.objects.isDamaged, let fd = Syscalls.openOwnFileForAppending(path)
    {
      defer { try? fd.close() }
      let segment = MarkSegment.encode(
        versions: versions.subtracting(earlier.versions).sorted(), packs: packs,
        objects: added.sorted())
      try segment.withUnsafeBytes { try writeAll(fd, $0, path: path) }
      return
    }
    var all = Array(added)
    if let earlier {
      guard let sets = earlier.objects.all() else {
        throw ArtError(
          .corruptData,
          "gc's mark '\(path.string)' is damaged: a block of its objects fails its check",
          hint: "delete it: the next gc walks every kept version")
      }
      for ids in sets { all += ids.ids }
    }
    let segment = MarkSegment.encode(
      versions: versions.sorted(), packs: packs, objects: all.sorted())
    try AtomicFile.write(magic + segment, to: path, durable: false)
  }
}

/// The mark's file, open to read.
struct MarkFile: Sendable {
  var descriptor: FileDescriptor
  var path: FilePath
  /// Its size when opened.
  var size: Int

  /// `count` bytes at `offset`, or nil when they are not all there.
  func read(at offset: Int, count: Int) -> [UInt8]? {
    guard offset >= 0, count >= 0, count <= size - offset else { return nil }
    return try? [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
      try readExactly(
        descriptor, at: Int64(offset), into: UnsafeMutableRawBufferPointer(buffer), path: path)
      filled = count
    }
  }
}

/// One save of gc's mark: the versions and objects it added, and every pack then.
///
/// The file is the 8-byte header (`ARTMARK`, format `0x03`), then
/// segments, each laid out little-endian as follows; the head is every
/// field before the objects.
///
/// | bytes  | field                                                   |
/// |--------|---------------------------------------------------------|
/// | 8      | V, the number of versions                               |
/// | 8      | P, the number of packs                                  |
/// | 8      | O, the number of objects                                |
/// | 32 × V | version ids, ascending                                  |
/// | 40 × P | pack id (32), flags (8): bit 0, only marked objects     |
/// | 36 × B | per block of 128 objects (the last may hold fewer): its first id (32), the CRC-32 of its ids (4) |
/// | 4      | CRC-32 (zlib) of the head's bytes before it             |
/// | 32 × O | object ids, ascending                                   |
struct MarkSegment: Sendable {
  var versions: [ObjectID]
  var packs: [ObjectID: Bool]
  /// Each block's first id and the CRC-32 of its ids' bytes.
  var blocks: [(first: ObjectID, crc: UInt32)]
  /// Where the object ids start in the file, and how many there are.
  var objectsOffset: Int
  var objectCount: Int

  static let onlyMarked: UInt64 = 1
  /// Object ids in a block.
  static let idsPerBlock = 128

  /// Where the segment ends in the file.
  var end: Int { objectsOffset + 32 * objectCount }

  /// The head of the segment at `offset` in `file`; nil when there is none
  /// there, or it is cut short or damaged.
  init?(in file: MarkFile, at offset: Int) {
    let fixed = 24
    guard let countBytes = file.read(at: offset, count: fixed) else { return nil }
    let counts = countBytes.withUnsafeBytes { raw in
      (0..<3).map { raw.littleEndian(at: 8 * $0, as: UInt64.self) }
    }
    let limit = UInt64(file.size / 32)
    guard counts.allSatisfy({ $0 <= limit }) else { return nil }
    let (v, p, o) = (Int(counts[0]), Int(counts[1]), Int(counts[2]))
    let b = (o + Self.idsPerBlock - 1) / Self.idsPerBlock
    let headLength = fixed + 32 * v + 40 * p + 36 * b
    // A head is read whole: never more than 1 GiB of it (30 million versions).
    guard headLength <= 1 << 30, offset + headLength + 4 + 32 * o <= file.size,
      let head = file.read(at: offset, count: headLength + 4)
    else { return nil }
    let parsed: (versions: [ObjectID], packs: [ObjectID: Bool], blocks: [(ObjectID, UInt32)])? =
      head.withUnsafeBytes { raw in
        guard
          crc32(UnsafeRawBufferPointer(rebasing: raw[..<headLength]))
            == raw.littleEndian(at: headLength, as: UInt32.self)
        else { return nil }
        let versions = (0..<v).map { ObjectID(in: raw, at: fixed + 32 * $0) }
        let packsStart = fixed + 32 * v
        var packs: [ObjectID: Bool] = [:]
        for i in 0..<p {
          // Other flag bits are reserved: written 0, ignored when read.
          let flags = raw.littleEndian(at: packsStart + 40 * i + 32, as: UInt64.self)
          packs[ObjectID(in: raw, at: packsStart + 40 * i)] = flags & Self.onlyMarked != 0
        }
        let blocksStart = packsStart + 40 * p
        let blocks = (0..<b).map {
          (
            ObjectID(in: raw, at: blocksStart + 36 * $0),
            raw.littleEndian(at: blocksStart + 36 * $0 + 32, as: UInt32.self)
          )
        }
        return (versions, packs, blocks)
      }
    guard let parsed,
      zip(parsed.blocks, parsed.blocks.dropFirst()).allSatisfy({ $0.0 < $1.0 })
    else { return nil }
    versions = parsed.versions
    packs = parsed.packs
    blocks = parsed.blocks.map { (first: $0.0, crc: $0.1) }
    objectsOffset = offset + headLength + 4
    objectCount = o
  }

  /// The `count` object ids from the `start`th, which begins a block, read
  /// from `file`; nil unless every block among them matches its CRC and
  /// first id, and they ascend (up to the next block's first id).
  func objects(from start: Int, count: Int, in file: MarkFile) -> [ObjectID]? {
    guard start % Self.idsPerBlock == 0, count >= 0, start + count <= objectCount,
      let bytes = file.read(at: objectsOffset + 32 * start, count: 32 * count)
    else { return nil }
    return bytes.withUnsafeBytes { raw -> [ObjectID]? in
      var ids: [ObjectID] = []
      ids.reserveCapacity(count)
      var blockStart = 0
      while blockStart < count {
        let number = (start + blockStart) / Self.idsPerBlock
        let length = min(Self.idsPerBlock, count - blockStart)
        let slice = UnsafeRawBufferPointer(
          rebasing: raw[32 * blockStart..<32 * (blockStart + length)])
        guard crc32(slice) == blocks[number].crc else { return nil }
        for i in 0..<length {
          let id = ObjectID(in: slice, at: 32 * i)
          if i == 0 { guard id == blocks[number].first else { return nil } }
          if let previous = ids.last { guard previous < id else { return nil } }
          ids.append(id)
        }
        if number + 1 < blocks.count, let last = ids.last {
          guard last < blocks[number + 1].first else { return nil }
        }
        blockStart += length
      }
      return ids
    }
  }

  /// The bytes of a segment; `versions` and `objects` ascending.
  static func encode(versions: [ObjectID], packs: [ObjectID: Bool], objects: [ObjectID])
    -> [UInt8]
  {
    var body = ByteWriter(capacity: 32 * objects.count)
    for id in objects { body.append(id) }
    let blockCount = (objects.count + idsPerBlock - 1) / idsPerBlock
    var head = ByteWriter(
      capacity: 28 + 32 * versions.count + 40 * packs.count + 36 * blockCount)
    head.append(UInt64(versions.count))
    head.append(UInt64(packs.count))
    head.append(UInt64(objects.count))
    for id in versions { head.append(id) }
    for id in packs.keys.sorted() {
      head.append(id)
      head.append(packs[id] == true ? onlyMarked : 0)
    }
    body.bytes.withUnsafeBytes { raw in
      for number in 0..<blockCount {
        let start = number * idsPerBlock
        let end = min(objects.count, start + idsPerBlock)
        head.append(objects[start])
        head.append(crc32(UnsafeRawBufferPointer(rebasing: raw[32 * start..<32 * end])))
      }
    }
    let checksum = head.bytes.withUnsafeBytes { crc32($0) }
    head.append(checksum)
    return head.bytes + body.bytes
  }
}
