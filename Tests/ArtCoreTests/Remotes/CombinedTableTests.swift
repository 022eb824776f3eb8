import ArtStore
import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtCore

/// The combined table of a remote's packs: a crafted or damaged file is
/// no table at all, and an entry naming a pack past the list names none.
@Suite("Combined table")
struct CombinedTableTests {
  let pack = ObjectHasher.id(of: Array("pack".utf8))
  let known = ObjectHasher.id(of: Array("known".utf8))
  let stray = ObjectHasher.id(of: Array("stray".utf8))

  /// A table of one pack, its entries given as (id, pack position).
  func table(_ entries: [(ObjectID, UInt32)], packs: UInt32 = 1, entryCount: UInt64? = nil)
    -> [UInt8]
  {
    func little<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
      withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
    var bytes = CombinedTable.magic + little(packs) + little(UInt32(0))
    bytes += little(entryCount ?? UInt64(entries.count)) + pack.bytes
    for (id, position) in entries.sorted(by: { $0.0 < $1.0 }) {
      bytes += id.bytes + little(position)
    }
    return bytes
  }

  func open(_ bytes: [UInt8]) async throws -> CombinedTable? {
    try await withTemporaryDirectory { folder in
      try writeFile(bytes, to: folder.appending(CombinedTable.fileName))
      return CombinedTable(folder: folder)
    }
  }

  @Test func namesThePackOfAnObjectAndNoneForAPositionPastTheList() async throws {
    let found = try #require(try await open(table([(known, 0), (stray, 7)])))
    #expect(found.packIDs == [pack])
    #expect(found.packs(holding: known) == [pack])
    #expect(found.packs(holding: stray).isEmpty)
    #expect(found.packs(holding: ObjectHasher.id(of: [])).isEmpty)
  }

  @Test func aCraftedOrDamagedFileIsNoTable() async throws {
    let good = table([(known, 0)])
    var reserved = good
    reserved[12] = 1
    var magic = good
    magic[0] ^= 1
    for bytes in [
      table([(known, 0)], packs: UInt32.max), table([(known, 0)], entryCount: UInt64.max),
      table([(known, 0)], entryCount: 1 << 60), good + [0], Array(good.dropLast()), reserved, magic,
      Array(good.prefix(20)), [],
    ] {
      #expect(try await open(bytes) == nil)
    }
    #expect(try await open(good) != nil)
  }
}
