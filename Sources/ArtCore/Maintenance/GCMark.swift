import ArtStore
import SystemPackage

/// The last gc's mark, `state/gc-mark`: the versions it kept, every object
/// they reach, and the packs it left, so the next gc walks only versions
/// new since and looks into only the packs that may hold garbage.
///
/// Versions never change, so what a version reached then it reaches now.
/// gc uses the mark only when every version in it is still kept (a
/// dropped version would leave its objects marked, and gc would keep
/// them) and every pack it names is still here (so every object in it is
/// still stored: each was in one of those packs, and a pack never changes).
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
  /// Everything those versions reach: the first segment's ids, read in
  /// place, and those of the later segments.
  var objects: [SortedObjectIDs]
  /// Every pack when the mark was saved, and whether each held only
  /// objects in the mark then (besides its dictionary).
  var packs: [ObjectID: Bool]
  /// Segments in the file.
  var segments = 1
  /// Whether the last segment ends the file (no damaged one after it), so
  /// a new segment may follow it.
  var endsTheFile = true

  static let magic = Array("ARTMARK".utf8) + [2]
  /// Segments after which the next save writes the mark whole again.
  static let segmentLimit = 16

  /// The mark at `path`, or nil when there is none or its first segment is damaged.
  static func read(_ path: FilePath) -> GCMark? {
    guard let file = try? MappedFile(path: path) else { return nil }
    return file.withUnsafeBytes { bytes in
      guard bytes.starts(with: magic) else { return nil }
      var mark: GCMark?
      var added: [ObjectID] = []
      var offset = magic.count
      while let segment = Segment(bytes, at: &offset) {
        if mark == nil {
          guard
            let objects = SortedObjectIDs(
              in: file, at: segment.objectsOffset, count: segment.objectCount)
          else { return nil }
          mark = GCMark(versions: Set(segment.versions), objects: [objects], packs: segment.packs)
        } else {
          mark?.versions.formUnion(segment.versions)
          added += segment.objects(in: bytes)
          mark?.packs = segment.packs
          mark?.segments += 1
        }
      }
      if !added.isEmpty { mark?.objects.append(SortedObjectIDs(added)) }
      mark?.endsTheFile = offset == bytes.count
      return mark
    }
  }

  /// Whether `id` is in the mark.
  func contains(_ id: ObjectID) -> Bool {
    objects.contains { $0.contains(id) }
  }

  /// The number of objects in the mark.
  var objectCount: Int { objects.reduce(0) { $0 + $1.count } }

  /// Whether every pack the mark names is in `store`.
  func packsArePresent(in store: ObjectStore) -> Bool {
    let present = Set(store.allPacks.map(\.id))
    return packs.keys.allSatisfy { present.contains($0) }
  }

  /// Saves the mark of `versions`, which reach `earlier`'s objects (if
  /// any) and `added`, with `packs`, at `path`.
  ///
  /// With `earlier`, the mark this gc started from (its versions among
  /// `versions`, `added` none of its objects), only what is new is written,
  /// at the end of the file, unless it has ``segmentLimit`` segments
  /// already or a damaged one at its end. Not synced: it is a cache.
  static func save(
    versions: Set<ObjectID>, added: Set<ObjectID>, packs: [ObjectID: Bool],
    after earlier: GCMark?, to path: FilePath
  ) throws {
    try Syscalls.makeDirectories(path.removingLastComponent())
    guard let earlier, earlier.endsTheFile, earlier.segments < segmentLimit,
      let fd = try? FileDescriptor.open(path, .writeOnly, options: [.append, .closeOnExec])
    else {
      let all = (earlier?.objects.flatMap(\.ids) ?? []) + added
      let segment = Segment.encode(versions: versions.sorted(), packs: packs, objects: all.sorted())
      try AtomicFile.write(magic + segment, to: path, durable: false)
      return
    }
    defer { try? fd.close() }
    let segment = Segment.encode(
      versions: versions.subtracting(earlier.versions).sorted(), packs: packs,
      objects: added.sorted())
    try segment.withUnsafeBytes { try writeAll(fd, $0, path: path) }
  }
}

/// One save of gc's mark: versions and objects it added, and every pack then.
///
/// Little-endian: V, P and O (8 bytes each); V version ids and O object ids
/// (32 bytes each, ascending); P packs, each a 32-byte id and 8 bytes of
/// flags (bit 0: every object in it but its dictionary was in the mark);
/// then a CRC-32 (zlib) of the bytes before it in the segment.
private struct Segment {
  var versions: [ObjectID]
  var packs: [ObjectID: Bool]
  /// Where the object ids start in the file, and how many there are.
  var objectsOffset: Int
  var objectCount: Int

  static let onlyMarked: UInt64 = 1

  /// The segment at `offset` in `bytes`, moving `offset` past it; nil when
  /// there is none there, or it is cut short or damaged.
  init?(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) {
    let start = offset
    let fixed = 24
    guard bytes.count - start >= fixed + 4 else { return nil }
    let counts = (0..<3).map { bytes.littleEndian(at: start + 8 * $0, as: UInt64.self) }
    let limit = UInt64(bytes.count / 32)
    guard counts.allSatisfy({ $0 <= limit }) else { return nil }
    let (v, p, o) = (Int(counts[0]), Int(counts[1]), Int(counts[2]))
    let end = start + fixed + 32 * v + 40 * p + 32 * o
    guard end + 4 <= bytes.count,
      crc32(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        == bytes.littleEndian(at: end, as: UInt32.self)
    else { return nil }
    let versionsStart = start + fixed
    versions = (0..<v).map { Self.id(in: bytes, at: versionsStart + 32 * $0) }
    let packsStart = versionsStart + 32 * v
    packs = [:]
    for i in 0..<p {
      let flags = bytes.littleEndian(at: packsStart + 40 * i + 32, as: UInt64.self)
      packs[Self.id(in: bytes, at: packsStart + 40 * i)] = flags & Self.onlyMarked != 0
    }
    objectsOffset = packsStart + 40 * p
    objectCount = o
    offset = end + 4
  }

  private static func id(in bytes: UnsafeRawBufferPointer, at position: Int) -> ObjectID {
    ObjectID(bytes: UnsafeRawBufferPointer(rebasing: bytes[position..<position + 32]))
  }

  /// The segment's object ids, copied out of `bytes`.
  func objects(in bytes: UnsafeRawBufferPointer) -> [ObjectID] {
    (0..<objectCount).map { Self.id(in: bytes, at: objectsOffset + 32 * $0) }
  }

  /// The bytes of a segment; `versions` and `objects` ascending.
  static func encode(versions: [ObjectID], packs: [ObjectID: Bool], objects: [ObjectID])
    -> [UInt8]
  {
    let sortedPacks = packs.keys.sorted()
    let end = 24 + 32 * versions.count + 40 * packs.count + 32 * objects.count
    var bytes = [UInt8](repeating: 0, count: end + 4)
    bytes.withUnsafeMutableBytes { buffer in
      var offset = 0
      func put(_ value: UInt64) {
        buffer.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
        offset += 8
      }
      func put(_ id: ObjectID) {
        id.write(to: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
        offset += 32
      }
      put(UInt64(versions.count))
      put(UInt64(packs.count))
      put(UInt64(objects.count))
      for id in versions { put(id) }
      for id in sortedPacks {
        put(id)
        put(packs[id] == true ? onlyMarked : 0)
      }
      for id in objects { put(id) }
      let checksum = crc32(UnsafeRawBufferPointer(rebasing: buffer[0..<end]))
      buffer.storeBytes(of: checksum.littleEndian, toByteOffset: end, as: UInt32.self)
    }
    return bytes
  }
}
