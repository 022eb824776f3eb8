import ArtTestSupport
import Glibc
import Synchronization
import Testing

@testable import ArtStore

@Suite("Chunk prefetcher")
struct ChunkPrefetcherTests {
  /// A read that takes 0–0.8 ms by position, so readers finish out of order.
  private static func uneven(_ position: Int) -> [UInt8] {
    usleep(useconds_t((position % 5) * 200))
    return [UInt8(truncatingIfNeeded: position), UInt8(truncatingIfNeeded: position >> 8)]
  }

  @Test(arguments: [1, 2, 4])
  func handsOutEveryChunkInOrder(readers: Int) throws {
    let prefetcher = ChunkPrefetcher(count: 300, readers: readers) { Self.uneven($0) }
    defer { prefetcher.finish() }
    for position in 0..<300 {
      #expect(
        try prefetcher.next()
          == [UInt8(truncatingIfNeeded: position), UInt8(truncatingIfNeeded: position >> 8)])
    }
  }

  @Test func anErrorSurfacesAtItsPositionAndStays() throws {
    let prefetcher = ChunkPrefetcher(count: 1000, readers: 3) { position in
      if position == 40 { throw ArtError.corrupt("chunk \(position)", "forged") }
      return Self.uneven(position)
    }
    defer { prefetcher.finish() }
    for position in 0..<40 { #expect(try prefetcher.next().first == UInt8(position)) }
    for _ in 0..<2 {
      let error = #expect(throws: ArtError.self) { try prefetcher.next() }
      #expect(error?.message.contains("chunk 40") == true, "\(String(describing: error))")
    }
  }

  @Test func finishingEarlyReturnsWithReadsLeft() throws {
    let reads = Atomic<Int>(0)
    let prefetcher = ChunkPrefetcher(count: 100_000, readers: 4) { position in
      reads.add(1, ordering: .relaxed)
      return Self.uneven(position)
    }
    _ = try prefetcher.next()
    prefetcher.finish()  // would wait forever for a reader that went on
    #expect(reads.load(ordering: .relaxed) <= 1 + ChunkPrefetcher.depth)
  }

  @Test func aListIsCheckedWithSeveralReaders() throws {
    let parts: [[UInt8]] = (0..<50).map { [UInt8].random(count: 1000 + $0, seed: UInt64($0)) }
    let ids = parts.map { ObjectHasher.id(of: $0) }
    var whole = ObjectHasher()
    for part in parts { part.withUnsafeBytes { whole.update($0) } }
    let list = ChunkList(
      fileID: whole.finalize(), fileSize: UInt64(parts.map(\.count).reduce(0, +)),
      chunks: zip(ids, parts).map { ($0, UInt64($1.count)) })
    let byID = Dictionary(uniqueKeysWithValues: zip(ids, parts))
    try list.checkContent(subject: "list", readers: 3) { byID[$0] ?? [] }
    // One chunk's bytes changed, its length kept, fails the file's hash.
    let changed = byID.merging([ids[7]: parts[7].map { $0 ^ 1 }]) { $1 }
    let error = #expect(throws: ArtError.self) {
      try list.checkContent(subject: "list", readers: 3) { changed[$0] ?? [] }
    }
    #expect(error?.message.contains("do not hash to its file id") == true)
  }
}
