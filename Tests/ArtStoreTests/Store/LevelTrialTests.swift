import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtStore

@Suite("zstd level chosen per session")
struct LevelTrialTests {
  /// Lines of words drawn from a vocabulary of 3,000, as source code and
  /// prose repeat their identifiers: zstd's level 3 finds the far repeats
  /// that level 1 misses (about 8% smaller in 256 KiB objects).
  static func words(count: Int, seed: UInt64) -> [UInt8] {
    var vocabulary = SplitMix64(seed: 99)
    let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
    let words = (0..<3_000).map { _ in
      (0..<Int(vocabulary.next() % 10 + 3)).map { _ in letters[Int(vocabulary.next() % 26)] }
    }
    var generator = SplitMix64(seed: seed)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 200)
    while bytes.count < count {
      bytes += [UInt8](repeating: 0x20, count: Int(generator.next() % 5) * 2)
      for index in 0..<Int(generator.next() % 8 + 2) {
        if index > 0 { bytes.append(0x20) }
        bytes += words[Int(generator.next() % 3_000)]
      }
      bytes.append(0x0a)
    }
    return Array(bytes.prefix(count))
  }

  /// Writes `objects` with one writer, then `probe`; returns the probe's
  /// stored length.
  static func storedLength(
    of probe: [UInt8], after objects: [[UInt8]], compression: Compression, in folder: FilePath
  ) throws -> UInt64 {
    try Syscalls.makeDirectories(folder)
    let writer = ObjectWriter(store: try ObjectStore(directory: folder), compression: compression)
    let compressor = Compressor(compression: compression)
    for object in objects + [probe] {
      _ = try writer.write(object, kind: .blob, compressor: compressor)
    }
    _ = try writer.finish()
    let store = try ObjectStore(directory: folder)
    for object in objects + [probe] {
      #expect(try store.read(ObjectHasher.id(of: object)).bytes == object)
    }
    return try #require(try store.locate(ObjectHasher.id(of: probe))).entry.storedLength
  }

  /// What `raw` takes at zstd `level`.
  static func size(_ raw: [UInt8], level: Int) throws -> UInt64 {
    let compressor = Compressor(compression: try .zstd(level: level))
    return try raw.withUnsafeBytes { try compressor.withCompressed($0) { s, _ in UInt64(s.count) } }
  }

  @Test func textThatLevelThreeStoresSmallerIsWrittenAtLevelThree() async throws {
    try await withTemporaryDirectory { folder in
      // 5 MiB in 256 KiB objects fills the 4 MiB trial.
      let objects = (0..<20).map { Self.words(count: 256 << 10, seed: UInt64($0)) }
      let (one, three) = try (
        Self.size(objects[0], level: 1), Self.size(objects[0], level: 3)
      )
      #expect(three * 50 < one * 49, "the data should favour level 3: \(three) against \(one)")
      // Once the trial is over, everything goes at level 3, even what
      // level 3 stores larger: the trial has ended, not just kept the
      // smaller of two.
      let table = [UInt8].text(count: 256 << 10, seed: 100)
      let tableAtThree = try Self.size(table, level: 3)
      #expect(try tableAtThree > Self.size(table, level: 1))
      let plain = try Self.storedLength(
        of: table, after: objects, compression: .zstd, in: folder.appending("plain"))
      #expect(plain == tableAtThree)
      // A fixed level is kept.
      let fixed = try Self.storedLength(
        of: table, after: objects, compression: .zstd(level: 1), in: folder.appending("fixed"))
      #expect(try fixed == Self.size(table, level: 1))
    }
  }

  @Test func dataThatLevelThreeDoesNotShrinkStaysAtLevelOne() async throws {
    try await withTemporaryDirectory { folder in
      // CSV rows of random numbers: level 3 stores them no smaller.
      let objects = (0..<20).map { [UInt8].text(count: 256 << 10, seed: UInt64($0)) }
      let (one, three) = try (
        Self.size(objects[0], level: 1), Self.size(objects[0], level: 3)
      )
      #expect(three * 50 > one * 49, "the data should not favour level 3: \(three) against \(one)")
      // After the trial, text that level 3 would store smaller goes at
      // level 1.
      let words = Self.words(count: 256 << 10, seed: 100)
      let wordsAtOne = try Self.size(words, level: 1)
      #expect(try wordsAtOne > Self.size(words, level: 3))
      let plain = try Self.storedLength(
        of: words, after: objects, compression: .zstd, in: folder.appending("plain"))
      #expect(plain == wordsAtOne)
    }
  }

  @Test func duringTheTrialEachObjectKeepsTheSmallerOfBothLevels() async throws {
    try await withTemporaryDirectory { folder in
      // Random bytes are left out of the trial and stored raw; the two
      // objects after them are each compressed at both levels.
      let random = [UInt8].random(count: 100_000, seed: 3)
      let words = Self.words(count: 256 << 10, seed: 1)
      let table = [UInt8].text(count: 256 << 10, seed: 2)
      let stored = try Self.storedLength(
        of: table, after: [random, words], compression: .zstd, in: folder)
      #expect(try stored == min(Self.size(table, level: 1), Self.size(table, level: 3)))
      let store = try ObjectStore(directory: folder)
      let wordsEntry = try #require(try store.locate(ObjectHasher.id(of: words))).entry
      #expect(try wordsEntry.storedLength == Self.size(words, level: 3))
      let randomEntry = try #require(try store.locate(ObjectHasher.id(of: random))).entry
      #expect(randomEntry.codec == .none && randomEntry.storedLength == 100_000)
    }
  }
}
