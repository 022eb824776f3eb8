import ArtTestSupport
import Testing

@testable import ArtStore

@Suite("SortedObjectIDs")
struct SortedObjectIDsTests {
  /// An id whose first two bytes are `prefix` and the rest from `seed`.
  func id(prefix: UInt16, seed: UInt64) -> ObjectID {
    var bytes = [UInt8].random(count: 32, seed: seed)
    bytes[0] = UInt8(prefix >> 8)
    bytes[1] = UInt8(prefix & 0xFF)
    return ObjectID(bytes)
  }

  /// Membership agrees with a `Set`, for ids sorted here or given in
  /// order, at the ends of the fan-out table and between its buckets.
  @Test func findsWhatASetFinds() throws {
    var ids = (0..<3000).map { ObjectHasher.id(of: [UInt8].random(count: 8, seed: UInt64($0))) }
    ids += [0x0000, 0x0000, 0x0001, 0x7FFF, 0xFFFE, 0xFFFF, 0xFFFF].enumerated().map {
      id(prefix: UInt16($0.element), seed: UInt64(10_000 + $0.offset))
    }
    let kept = Set(ids.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
    let array = SortedObjectIDs(kept)
    let read = try #require(SortedObjectIDs(ascending: kept.sorted()))
    #expect(array.count == kept.count && read.count == kept.count)
    #expect(read.ids == kept.sorted() && array.ids == kept.sorted())
    for id in ids {
      #expect(array.contains(id) == kept.contains(id))
      #expect(read.contains(id) == kept.contains(id))
    }
    #expect(![read, array].anyContains(id(prefix: 0x1234, seed: 99)))
    #expect([SortedObjectIDs([]), read].anyContains(kept.first!))
  }

  /// Ids out of order or repeated are refused: a lookup by binary search
  /// would miss ids that are there.
  @Test func refusesIdsOutOfOrder() {
    let a = id(prefix: 1, seed: 1)
    let b = id(prefix: 2, seed: 2)
    let c = id(prefix: 2, seed: 3)
    let (low, high) = b < c ? (b, c) : (c, b)
    #expect(SortedObjectIDs(ascending: [a, low, high]) != nil)
    #expect(SortedObjectIDs(ascending: [a, high, low]) == nil)
    #expect(SortedObjectIDs(ascending: [b, a]) == nil)
    #expect(SortedObjectIDs(ascending: [a, a]) == nil)
    #expect(SortedObjectIDs(ascending: [])?.contains(a) == false)
  }
}
