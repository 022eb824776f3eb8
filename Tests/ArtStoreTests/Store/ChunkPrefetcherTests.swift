import ArtTestSupport
import Glibc
import Synchronization
import Testing

@testable import ArtStore

@Suite("Chunk prefetcher")
struct ChunkPrefetcherTests {
  /// Readers that finish out of order (later positions sleep less).
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

  @Test func anErrorSurfacesAtItsPositionAndReadingStops() throws {
    let reads = Atomic<Int>(0)
    let prefetcher = ChunkPrefetcher(count: 1000, readers: 3) { position in
      reads.add(1, ordering: .relaxed)
      if position == 40 { throw ArtError.corrupt("chunk 40", "forged") }
      return Self.uneven(position)
    }
    defer { prefetcher.finish() }
    for _ in 0..<40 { _ = try prefetcher.next() }
    #expect(throws: ArtError.self) { try prefetcher.next() }
    // No reader claims past the error by more than the readers in flight.
    #expect(reads.load(ordering: .relaxed) <= 40 + 1 + ChunkPrefetcher.depth + 3)
  }

  @Test func finishingEarlyStopsEveryReader() throws {
    let reads = Atomic<Int>(0)
    let prefetcher = ChunkPrefetcher(count: 100_000, readers: 4) { position in
      reads.add(1, ordering: .relaxed)
      return Self.uneven(position)
    }
    _ = try prefetcher.next()
    prefetcher.finish()
    let after = reads.load(ordering: .relaxed)
    #expect(after <= 1 + ChunkPrefetcher.depth)
    usleep(20_000)
    #expect(reads.load(ordering: .relaxed) == after)
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
    try list.checkContent(subject: "list", readers: 3) { byID[$0]! }
    // One chunk swapped for another of the same length fails.
    let swapped = Dictionary(uniqueKeysWithValues: zip(ids, parts)).merging(
      [ids[7]: parts[7].map { $0 ^ 1 }]) { $1 }
    #expect(throws: ArtError.self) {
      try list.checkContent(subject: "list", readers: 3) { swapped[$0]! }
    }
  }
}
