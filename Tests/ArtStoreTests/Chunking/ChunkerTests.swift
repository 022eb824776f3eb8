import ArtTestSupport
import Testing

@testable import ArtStore

@Suite("Chunker")
struct ChunkerTests {
  let chunker = Chunker(parameters: .default)

  /// Cuts `data` whole, as ContentStorer does.
  func chunks(_ data: [UInt8]) -> [ObjectID] {
    var ids: [ObjectID] = []
    data.withUnsafeBytes { all in
      var start = 0
      while start < all.count {
        let cut = chunker.cutPoint(UnsafeRawBufferPointer(rebasing: all[start...]))
        ids.append(ObjectHasher.id(of: UnsafeRawBufferPointer(rebasing: all[start..<start + cut])))
        start += cut
      }
    }
    return ids
  }

  @Test func gearTableIsPinned() {
    // Entry i = first 8 bytes of sha256([i]) read little-endian; documented in FORMAT.md.
    #expect(GearTable.values.count == 256)
    #expect(GearTable.values[0] == 0x987a_b3ff_9c0b_346e)
    #expect(Set(GearTable.values).count == 256)
  }

  @Test func cutsStayWithinBounds() {
    let data = [UInt8].random(count: 8 << 20, seed: 11)
    let p = chunker.parameters
    var sizes: [Int] = []
    data.withUnsafeBytes { all in
      var start = 0
      while start < all.count {
        let cut = chunker.cutPoint(UnsafeRawBufferPointer(rebasing: all[start...]))
        sizes.append(cut)
        start += cut
      }
    }
    #expect(sizes.dropLast().allSatisfy { $0 >= p.minimum && $0 <= p.maximum })
    let average = sizes.reduce(0, +) / sizes.count
    #expect(average > p.average / 2 && average < p.average * 2, "average \(average)")
  }

  @Test func insertingAtTheFrontKeepsLaterChunks() {
    let original = [UInt8].random(count: 64 << 20, seed: 42)
    let edited = [UInt8].random(count: 100, seed: 43) + original
    let before = chunks(original)
    let after = chunks(edited)
    let unchanged = Set(before).intersection(after)
    // Only the chunks around the insertion may differ.
    #expect(before.count - unchanged.count <= 2, "\(before.count - unchanged.count) changed")
    #expect(Array(before.suffix(before.count - 2)) == Array(after.suffix(before.count - 2)))
  }

  /// The four-bytes-a-step scan cuts exactly where FastCDC's byte-at-a-time
  /// loop does: with minimums and averages that leave every remainder of 4,
  /// cuts in both mask phases, at the maximum, and in a short tail.
  @Test(arguments: [
    (64, 256, 1024), (65, 256, 1024), (66, 512, 1023), (67, 1024, 4099), (4096, 16384, 65536),
    (65536, 262144, 1 << 20),
  ])
  func theFastScanCutsWhereTheByteLoopDoes(sizes: (Int, Int, Int)) throws {
    let chunker = Chunker(
      parameters: try ChunkerParameters(minimum: sizes.0, average: sizes.1, maximum: sizes.2))
    // Random bytes cut anywhere; a run of one byte never matches, so the
    // loose phase and the maximum are reached too.
    let data =
      [UInt8].random(count: 3 << 20, seed: 5) + [UInt8](repeating: 7, count: 3 * sizes.2 + 3)
      + [UInt8].text(count: 1 << 20, seed: 6) + [UInt8].random(count: sizes.0 + 2, seed: 8)
    var cuts = 0
    var sizesSeen = Set<Int>()
    data.withUnsafeBytes { all in
      var start = 0
      while start < all.count {
        let rest = UnsafeRawBufferPointer(rebasing: all[start...])
        let cut = chunker.cutPoint(rest)
        #expect(cut == chunker.cutPointOneByteAtATime(rest), "at \(start)")
        // Every shorter window ends the same way as the full one, or at its end.
        for length in [sizes.0 + 1, sizes.0 + 2, sizes.0 + 3, sizes.1 + 1, sizes.1 + 3]
        where length < rest.count {
          let window = UnsafeRawBufferPointer(rebasing: rest[0..<length])
          #expect(chunker.cutPoint(window) == chunker.cutPointOneByteAtATime(window))
        }
        start += cut
        cuts += 1
        sizesSeen.insert(cut)
      }
    }
    #expect(cuts > 3)
    #expect(sizesSeen.contains(sizes.2), "no cut at the maximum")
    #expect(sizesSeen.contains { $0 > sizes.1 && $0 < sizes.2 }, "no cut in the loose phase")
  }

  @Test func rejectsBadParameters() {
    #expect(throws: ArtError.self) {
      try ChunkerParameters(minimum: 1024, average: 3000, maximum: 9000)
    }
    #expect(throws: ArtError.self) {
      try ChunkerParameters(minimum: 8192, average: 4096, maximum: 16384)
    }
  }

  /// A remote's `chunking` file comes from elsewhere: only the exact form
  /// push writes, with sizes a repository may take, is read.
  @Test func readsARemotesChunkSizesStrictly() {
    for parameters in [ChunkerParameters.default, .original] {
      #expect(ChunkerParameters(remoteText: Array(parameters.text.utf8)) == parameters)
    }
    #expect(
      ChunkerParameters(remoteText: Array("min 524288\navg 1048576\nmax 8388608\n".utf8))
        == (try? ChunkerParameters(minimum: 524_288, average: 1_048_576, maximum: 8_388_608)))
    let damaged = [
      "", "min 16384\navg 65536\nmax 262144", "min 16384\navg 65536\nmax 262144\n\n",
      "avg 65536\nmin 16384\nmax 262144\n", "min 16384\navg 65536\nmax 262144\nmax 1\n",
      "min 16384\navg 65536\nmax x\n", "min -1\navg 65536\nmax 262144\n",
      "min 16384\navg 65535\nmax 262144\n", "min 16384 \navg 65536\nmax 262144\n",
      "min 65536\navg 262144\nmax 67108864\n", "min 16384\navg 65536\nmax 99999999999999999999\n",
      "min 1\navg 2\nmax 3\n", String(repeating: "x", count: 200),
      "min +16384\navg 65536\nmax 262144\n", "min 016384\navg 65536\nmax 262144\n",
    ]
    for text in damaged {
      #expect(ChunkerParameters(remoteText: Array(text.utf8)) == nil, "\(text)")
    }
    #expect(ChunkerParameters(remoteText: [0xff, 0xfe, 0x0a]) == nil)
  }
}

extension Chunker {
  /// `cutPoint` one byte at a time, as FastCDC states it: the reference
  /// the four-bytes-a-step scan is held to.
  func cutPointOneByteAtATime(_ data: UnsafeRawBufferPointer) -> Int {
    let count = data.count
    if count <= parameters.minimum { return count }
    let end = min(count, parameters.maximum)
    let normal = min(end, parameters.average)
    var hash: UInt64 = 0
    var i = parameters.minimum
    return GearTable.values.withUnsafeBufferPointer { gear in
      let bytes = data.bindMemory(to: UInt8.self)
      while i < normal {
        hash = (hash << 1) &+ gear[Int(bytes[i])]
        if hash & strictMask == 0 { return i + 1 }
        i += 1
      }
      while i < end {
        hash = (hash << 1) &+ gear[Int(bytes[i])]
        if hash & looseMask == 0 { return i + 1 }
        i += 1
      }
      return end
    }
  }
}
