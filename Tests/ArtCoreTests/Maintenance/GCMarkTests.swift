import ArtStore
import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtCore

#if canImport(Glibc)
import Glibc
#endif

@Suite("gc's mark")
struct GCMarkTests {
  func ids(_ count: Int, seed: UInt64) -> [ObjectID] {
    (0..<count).map { ObjectHasher.id(of: [UInt8].random(count: 8, seed: seed + UInt64($0))) }
  }

  /// The bytes of format 3, laid out by hand: header, one segment of one
  /// version, one pack (flag set), one block of two objects and their CRC,
  /// the head's CRC, then the objects.
  @Test func theFileIsPinned() async throws {
    try await withTemporaryDirectory { folder in
      let path = folder.appending("gc-mark")
      let version = ObjectID(String(repeating: "11", count: 32))!
      let pack = ObjectID(String(repeating: "22", count: 32))!
      let objects = [
        ObjectID(String(repeating: "33", count: 32))!,
        ObjectID(String(repeating: "44", count: 32))!,
      ]
      try GCMark.save(
        versions: [version], added: Set(objects), packs: [pack: true], after: nil, to: path)
      let bytes = try readFile(path)
      var expected = Array("ARTMARK".utf8) + [3]
      let segmentStart = expected.count
      for count: UInt64 in [1, 1, 2] { withUnsafeBytes(of: count.littleEndian) { expected += $0 } }
      expected += version.bytes + pack.bytes + [1, 0, 0, 0, 0, 0, 0, 0]
      let block = objects[0].bytes + objects[1].bytes
      let blockCRC = block.withUnsafeBytes { crc32($0) }
      expected += objects[0].bytes
      withUnsafeBytes(of: blockCRC.littleEndian) { expected += $0 }
      let crc = expected[segmentStart...].withUnsafeBytes { crc32($0) }
      withUnsafeBytes(of: crc.littleEndian) { expected += $0 }
      expected += block
      #expect(bytes == expected)
      // zlib.crc32 of these bytes, computed apart in Python.
      #expect(blockCRC == 0x7A5B_B8A9, "the block's CRC: \(String(blockCRC, radix: 16))")
      #expect(crc == 0xE14B_1E7D, "the head's CRC: \(String(crc, radix: 16))")
      let mark = try #require(GCMark.read(path))
      #expect(mark.versions == [version] && mark.packs == [pack: true])
      #expect(mark.contains(objects[1]) && !mark.contains(version) && mark.objectCount == 2)
      #expect(!mark.objects.isDamaged)
    }
  }

  /// The first segment's objects are read a block at a time: a damaged
  /// block is found by the lookups that need it, which then answer "in the
  /// mark" and say the mark is damaged; the other blocks answer as before.
  @Test func aDamagedBlockIsFoundByTheLookupsThatNeedIt() async throws {
    try await withTemporaryDirectory { folder in
      let path = folder.appending("gc-mark")
      let objects = ids(300, seed: 1).sorted()
      let absent = ids(50, seed: 10_000)
      try GCMark.save(
        versions: Set(ids(2, seed: 500)), added: Set(objects), packs: [:], after: nil, to: path)
      let whole = try readFile(path)
      let blocks = (objects.count + 127) / 128
      let objectsStart = whole.count - 32 * objects.count
      #expect(objectsStart == 8 + 24 + 32 * 2 + 36 * blocks + 4)
      let clean = try #require(GCMark.read(path))
      #expect(objects.allSatisfy { clean.contains($0) } && !absent.contains { clean.contains($0) })
      #expect(!clean.objects.isDamaged && clean.objects.all()?.map(\.count) == [300, 0])

      // A byte of the second block flipped.
      var damaged = whole
      damaged[objectsStart + 32 * 130 + 7] ^= 0x01
      try writeFile(damaged, to: path)
      let mark = try #require(GCMark.read(path))
      #expect(objects[..<128].allSatisfy { mark.contains($0) })
      #expect(objects[256...].allSatisfy { mark.contains($0) })
      #expect(
        !absent.filter { $0 < objects[128] || $0 > objects[255] }.contains { mark.contains($0) })
      #expect(!mark.objects.isDamaged)
      #expect(mark.contains(objects[200]) && mark.objects.isDamaged)
      #expect(mark.objects.all() == nil)
      // Its objects cannot be written again: no mark lacking them is saved.
      #expect(throws: ArtError.self) {
        try GCMark.save(versions: mark.versions, added: [], packs: [:], after: mark, to: path)
      }
      #expect(try readFile(path) == damaged)

      // Ids out of order under correct CRCs: the block is refused too.
      var unsorted = whole
      let first = objectsStart + 32
      let second = Array(unsorted[first + 32..<first + 64])
      unsorted.replaceSubrange(first + 32..<first + 64, with: unsorted[first..<first + 32])
      unsorted.replaceSubrange(first..<first + 32, with: second)
      let tableCRC = 8 + 24 + 64 + 32
      let blockCRC = unsorted[objectsStart..<objectsStart + 32 * 128].withUnsafeBytes { crc32($0) }
      withUnsafeBytes(of: blockCRC.littleEndian) {
        unsorted.replaceSubrange(tableCRC..<tableCRC + 4, with: $0)
      }
      let headCRC = unsorted[8..<objectsStart - 4].withUnsafeBytes { crc32($0) }
      withUnsafeBytes(of: headCRC.littleEndian) {
        unsorted.replaceSubrange(objectsStart - 4..<objectsStart, with: $0)
      }
      try writeFile(unsorted, to: path)
      let shuffled = try #require(GCMark.read(path))
      #expect(shuffled.contains(objects[5]) && shuffled.objects.isDamaged)
    }
  }

  /// A gc that started from a mark adds a segment; reading gives the union
  /// of versions and objects and the last segment's packs.
  @Test func segmentsAddUp() async throws {
    try await withTemporaryDirectory { folder in
      let path = folder.appending("state/gc-mark")
      let (v1, v2) = (ids(3, seed: 1), ids(2, seed: 100))
      let (o1, o2) = (ids(500, seed: 1000), ids(40, seed: 5000))
      let (p1, p2) = (ids(2, seed: 9000), ids(3, seed: 9100))
      try GCMark.save(
        versions: Set(v1), added: Set(o1), packs: [p1[0]: true, p1[1]: false], after: nil,
        to: path)
      let first = try #require(GCMark.read(path))
      let bytesBefore = try readFile(path)
      try GCMark.save(
        versions: Set(v1 + v2), added: Set(o2), packs: [p2[0]: true, p2[1]: false, p2[2]: true],
        after: first, to: path)
      #expect(Array(try readFile(path).prefix(bytesBefore.count)) == bytesBefore)
      let mark = try #require(GCMark.read(path))
      #expect(mark.segments == 2 && mark.endsTheFile)
      #expect(mark.versions == Set(v1 + v2))
      #expect(mark.objectCount == 540)
      #expect((o1 + o2).allSatisfy { mark.contains($0) })
      #expect(!mark.contains(v1[0]))
      #expect(mark.packs == [p2[0]: true, p2[1]: false, p2[2]: true])
    }
  }

  /// A cut or damaged later segment leaves the mark of the ones before it,
  /// and says the file does not end cleanly; a cut first segment, a damaged
  /// head or an older format is no mark at all.
  @Test func damageEndsTheMarkWhereItIs() async throws {
    try await withTemporaryDirectory { folder in
      let path = folder.appending("gc-mark")
      let (v1, o1, o2) = (ids(2, seed: 1), ids(30, seed: 100), ids(5, seed: 200))
      let pack = ids(1, seed: 300)[0]
      try GCMark.save(versions: Set(v1), added: Set(o1), packs: [pack: true], after: nil, to: path)
      let firstSize = try readFile(path).count
      let first = try #require(GCMark.read(path))
      try GCMark.save(
        versions: Set(v1 + ids(1, seed: 7)), added: Set(o2), packs: [pack: true], after: first,
        to: path)
      let whole = try readFile(path)
      for cut in firstSize..<whole.count {
        try writeFile(Array(whole.prefix(cut)), to: path)
        let mark = try #require(GCMark.read(path), "cut at \(cut)")
        #expect(mark.segments == 1 && mark.versions == Set(v1) && mark.objectCount == 30)
        #expect(mark.endsTheFile == (cut == firstSize))
        var flipped = whole
        flipped[cut] ^= 0x40
        try writeFile(flipped, to: path)
        #expect(GCMark.read(path)?.segments == 1, "byte \(cut) flipped")
      }
      for cut in [0, 5, 8, 20, firstSize - 1] {
        try writeFile(Array(whole.prefix(cut)), to: path)
        #expect(GCMark.read(path) == nil, "cut at \(cut)")
      }
      let headEnd = firstSize - 32 * o1.count
      for byte in 8..<headEnd {
        var flipped = whole
        flipped[byte] ^= 0x08
        try writeFile(flipped, to: path)
        #expect(GCMark.read(path) == nil, "byte \(byte) of the head flipped")
      }
      for format: UInt8 in [1, 2] {
        var older = whole
        older[7] = format
        try writeFile(older, to: path)
        #expect(GCMark.read(path) == nil)
      }
    }
  }

  /// After ``GCMark/segmentLimit`` segments, or from a file whose end is
  /// damaged, the next save writes the mark whole again.
  @Test func theMarkIsWrittenWholeAgain() async throws {
    try await withTemporaryDirectory { folder in
      let path = folder.appending("gc-mark")
      var versions = Set(ids(1, seed: 1))
      try GCMark.save(
        versions: versions, added: Set(ids(10, seed: 10)), packs: [:], after: nil, to: path)
      for n in 1..<GCMark.segmentLimit {
        let before = try #require(GCMark.read(path))
        #expect(before.segments == n)
        versions.insert(ids(1, seed: UInt64(100 + n))[0])
        try GCMark.save(
          versions: versions, added: Set(ids(2, seed: UInt64(1000 + 10 * n))), packs: [:],
          after: before, to: path)
      }
      let full = try #require(GCMark.read(path))
      #expect(full.segments == GCMark.segmentLimit)
      versions.insert(ids(1, seed: 99)[0])
      try GCMark.save(
        versions: versions, added: Set(ids(1, seed: 77)), packs: [:], after: full, to: path)
      let whole = try #require(GCMark.read(path))
      #expect(whole.segments == 1 && whole.versions == versions)
      #expect(whole.objectCount == 10 + 2 * (GCMark.segmentLimit - 1) + 1)
      // A damaged end: the next save is whole too.
      var bytes = try readFile(path)
      bytes += [1, 2, 3]
      try writeFile(bytes, to: path)
      let torn = try #require(GCMark.read(path))
      #expect(!torn.endsTheFile)
      try GCMark.save(
        versions: versions, added: Set(ids(1, seed: 55)), packs: [:], after: torn, to: path)
      let again = try #require(GCMark.read(path))
      #expect(
        again.segments == 1 && again.endsTheFile && again.objectCount == whole.objectCount + 1)
    }
  }

  /// A link put where the mark belongs is never read or written through: a
  /// symbolic link is no mark, and a save replaces it; a second name of the
  /// mark (a hard link elsewhere) keeps its bytes, as the save writes the
  /// mark whole under its own name.
  @Test func linksInItsPlaceAreNeitherReadNorWrittenThrough() async throws {
    try await withTemporaryDirectory { folder in
      let path = folder.appending("state/gc-mark")
      let outside = folder.appending("outside")
      let versions = Set(ids(2, seed: 1))
      try GCMark.save(
        versions: versions, added: Set(ids(5, seed: 9)), packs: [:], after: nil, to: path)
      let earlier = try #require(GCMark.read(path))
      let bytes = try readFile(path)

      try writeFile(bytes, to: outside)
      try Syscalls.unlink(path)
      #expect(symlink(outside.string, path.string) == 0)
      #expect(GCMark.read(path) == nil)
      try GCMark.save(
        versions: versions, added: Set(ids(1, seed: 50)), packs: [:], after: earlier, to: path)
      #expect(try readFile(outside) == bytes)
      #expect(try Syscalls.linkStatus(path)?.kind == .regular)
      #expect(GCMark.read(path)?.objectCount == 6)

      try Syscalls.unlink(outside)
      #expect(link(path.string, outside.string) == 0)
      let shared = try readFile(path)
      let before = try #require(GCMark.read(path))
      try GCMark.save(
        versions: versions, added: Set(ids(1, seed: 60)), packs: [:], after: before, to: path)
      #expect(try readFile(outside) == shared)
      let after = try #require(GCMark.read(path))
      #expect(after.segments == 1 && after.objectCount == 7)
    }
  }
}
