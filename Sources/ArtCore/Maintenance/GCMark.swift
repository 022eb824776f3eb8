import ArtStore
import SystemPackage

/// The last gc's mark, `state/gc-mark`: the versions it kept and every
/// object they reach, so the next gc walks only versions new since.
///
/// Versions never change, so what a version reached then it reaches now.
/// gc uses the mark only when every version in it is still kept (a
/// dropped version would leave its objects marked, and gc would keep
/// them) and every object in it is still stored. It is saved only from a
/// walk with no missing or damaged object, so it never lacks an object a
/// version in it reaches. It is a cache: a missing or damaged file means a
/// full walk, and it may be deleted.
///
/// Little-endian:
///
/// | bytes  | field                                      |
/// |--------|--------------------------------------------|
/// | 8      | magic `ARTMARK`, format `0x01`             |
/// | 8      | V, the number of versions                  |
/// | 8      | O, the number of objects                   |
/// | 32 × V | the versions' ids, sorted                  |
/// | 32 × O | the objects' ids, sorted                   |
/// | 4      | CRC-32 (zlib) of every byte before it      |
struct GCMark {
  /// Versions whose whole reach is in ``objects``.
  var versions: Set<ObjectID>
  /// Everything those versions reach.
  var objects: Set<ObjectID>

  static let magic = Array("ARTMARK".utf8) + [1]

  /// The mark at `path`, or nil when there is none or it is damaged.
  static func read(_ path: FilePath) -> GCMark? {
    guard let bytes = try? AtomicFile.read(path, limit: 1 << 34) else { return nil }
    return bytes.withUnsafeBytes { parse($0) }
  }

  private static func parse(_ bytes: UnsafeRawBufferPointer) -> GCMark? {
    let fixed = magic.count + 16
    guard bytes.count >= fixed + 4, bytes.starts(with: magic) else { return nil }
    let end = bytes.count - 4
    guard crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<end])) == bytes.littleEndian(at: end)
    else { return nil }
    let versionCount = bytes.littleEndian(at: magic.count, as: UInt64.self)
    let objectCount = bytes.littleEndian(at: magic.count + 8, as: UInt64.self)
    guard versionCount <= UInt64(end), objectCount <= UInt64(end),
      fixed + 32 * Int(versionCount + objectCount) == end
    else { return nil }
    func ids(from start: Int, count: Int) -> Set<ObjectID> {
      var set = Set<ObjectID>(minimumCapacity: count)
      for i in 0..<count {
        set.insert(
          ObjectID(
            bytes: UnsafeRawBufferPointer(rebasing: bytes[(start + 32 * i)..<(start + 32 * i + 32)])
          ))
      }
      return set
    }
    return GCMark(
      versions: ids(from: fixed, count: Int(versionCount)),
      objects: ids(from: fixed + 32 * Int(versionCount), count: Int(objectCount)))
  }

  /// Replaces the mark at `path` (not synced: it is a cache).
  func write(to path: FilePath) throws {
    var writer = ByteWriter(capacity: Self.magic.count + 20 + 32 * (versions.count + objects.count))
    writer.append(Self.magic)
    writer.append(UInt64(versions.count))
    writer.append(UInt64(objects.count))
    for id in versions.sorted() { writer.append(id) }
    for id in objects.sorted() { writer.append(id) }
    var bytes = writer.bytes
    let checksum = bytes.withUnsafeBytes { crc32($0) }
    withUnsafeBytes(of: checksum.littleEndian) { bytes += $0 }
    try Syscalls.makeDirectories(path.removingLastComponent())
    try AtomicFile.write(bytes, to: path, durable: false)
  }
}
