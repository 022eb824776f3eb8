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
    // Only a file of its own: not a link to one elsewhere.
    guard (try? Syscalls.linkStatus(path))??.kind == .regular,
      let bytes = try? AtomicFile.read(path, limit: 1 << 36), bytes.starts(with: magic)
    else { return nil }
    var mark: GCMark?
    var added: [ObjectID] = []
    var offset = magic.count
    while let segment = bytes.withUnsafeBytes({ Segment($0, at: &offset) }) {
      if mark == nil {
        guard
          let objects = SortedObjectIDs(
            in: bytes, at: segment.objectsOffset, count: segment.objectCount)
        else { return nil }
        mark = GCMark(versions: Set(segment.versions), objects: [objects], packs: segment.packs)
      } else {
        mark?.versions.formUnion(segment.versions)
        added += bytes.withUnsafeBytes { segment.objects(in: $0) }
        mark?.packs = segment.packs
        mark?.segments += 1
      }
    }
    if !added.isEmpty { mark?.objects.append(SortedObjectIDs(added)) }
    mark?.endsTheFile = offset == bytes.count
    return mark
  }

  /// Whether `id` is in the mark.
  func contains(_ id: ObjectID) -> Bool { objects.anyContains(id) }

  /// The number of objects in the mark.
  var objectCount: Int { objects.reduce(0) { $0 + $1.count } }

  /// Whether every object in the mark is in `store`: at once when every
  /// pack the mark names is still there (a pack never changes), else (packs
  /// merged or repacked since) by finding each id of every pack's index in
  /// the mark.
  func isStored(in store: ObjectStore) -> Bool {
    let present = store.allPacks
    let presentIDs = Set(present.map(\.id))
    if packs.keys.allSatisfy({ presentIDs.contains($0) }) { return true }
    var found = objects.map { [Bool](repeating: false, count: $0.count) }
    for pack in present {
      for id in pack.index.objectIDs {
        for (set, ids) in objects.enumerated() {
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
  static func save(
    versions: Set<ObjectID>, added: Set<ObjectID>, packs: [ObjectID: Bool],
    after earlier: GCMark?, to path: FilePath
  ) throws {
    try Syscalls.makeDirectories(path.removingLastComponent())
    if let earlier, earlier.endsTheFile, earlier.segments < segmentLimit,
      let fd = openForAppending(path)
    {
      defer { try? fd.close() }
      let segment = Segment.encode(
        versions: versions.subtracting(earlier.versions).sorted(), packs: packs,
        objects: added.sorted())
      try segment.withUnsafeBytes { try writeAll(fd, $0, path: path) }
      return
    }
    let all = (earlier?.objects.flatMap(\.ids) ?? []) + added
    let segment = Segment.encode(versions: versions.sorted(), packs: packs, objects: all.sorted())
    try AtomicFile.write(magic + segment, to: path, durable: false)
  }

  /// The mark at `path` opened to append to, if it is a file with one name.
  ///
  /// A link put in its place (to a file elsewhere, or a second name of one)
  /// gives nil: it is then replaced by the whole mark, never written through.
  private static func openForAppending(_ path: FilePath) -> FileDescriptor? {
    guard
      let fd = try? FileDescriptor.open(
        path, .writeOnly, options: [.append, .closeOnExec, .noFollow, .nonBlocking])
    else { return nil }
    if let status = try? Syscalls.status(fd, path: path), status.kind == .regular,
      status.linkCount == 1
    {
      return fd
    }
    try? fd.close()
    return nil
  }
}

/// One save of gc's mark: the versions and objects it added, and every pack then.
///
/// The file is the 8-byte header (`ARTMARK`, format `0x02`), then
/// segments, each laid out little-endian as follows.
///
/// | bytes  | field                                                   |
/// |--------|---------------------------------------------------------|
/// | 8      | V, the number of versions                               |
/// | 8      | P, the number of packs                                  |
/// | 8      | O, the number of objects                                |
/// | 32 × V | version ids, ascending                                  |
/// | 40 × P | pack id (32), flags (8): bit 0, only marked objects     |
/// | 32 × O | object ids, ascending                                   |
/// | 4      | CRC-32 (zlib) of the segment's bytes before it          |
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
    versions = (0..<v).map { ObjectID(in: bytes, at: versionsStart + 32 * $0) }
    let packsStart = versionsStart + 32 * v
    packs = [:]
    for i in 0..<p {
      // Other flag bits are reserved: written 0, ignored when read.
      let flags = bytes.littleEndian(at: packsStart + 40 * i + 32, as: UInt64.self)
      packs[ObjectID(in: bytes, at: packsStart + 40 * i)] = flags & Self.onlyMarked != 0
    }
    objectsOffset = packsStart + 40 * p
    objectCount = o
    offset = end + 4
  }

  /// The segment's object ids, copied out of `bytes`.
  func objects(in bytes: UnsafeRawBufferPointer) -> [ObjectID] {
    (0..<objectCount).map { ObjectID(in: bytes, at: objectsOffset + 32 * $0) }
  }

  /// The bytes of a segment; `versions` and `objects` ascending.
  static func encode(versions: [ObjectID], packs: [ObjectID: Bool], objects: [ObjectID])
    -> [UInt8]
  {
    var writer = ByteWriter(
      capacity: 28 + 32 * versions.count + 40 * packs.count + 32 * objects.count)
    writer.append(UInt64(versions.count))
    writer.append(UInt64(packs.count))
    writer.append(UInt64(objects.count))
    for id in versions { writer.append(id) }
    for id in packs.keys.sorted() {
      writer.append(id)
      writer.append(packs[id] == true ? onlyMarked : 0)
    }
    for id in objects { writer.append(id) }
    let checksum = writer.bytes.withUnsafeBytes { crc32($0) }
    writer.append(checksum)
    return writer.bytes
  }
}
