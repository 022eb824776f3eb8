import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtStore

@Suite("Pack and PackIndex")
struct PackTests {
  /// A few objects of every codec in one pack.
  func makePack(in folder: FilePath) throws -> (FilePath, [(ObjectID, [UInt8])]) {
    let packs = folder.appending("packs")
    try Syscalls.makeDirectories(packs)
    let store = try ObjectStore(directory: packs)
    var objects: [(ObjectID, [UInt8])] = []
    let writer = ObjectWriter(store: store, compression: .lz4)
    let compressor = Compressor(compression: .lz4)
    for i in 0..<12 {
      // Text is stored lz4-compressed, random bytes raw: both codecs appear.
      let bytes =
        i % 2 == 0
        ? [UInt8].text(count: 200 + i * 50, seed: UInt64(i))
        : [UInt8].random(count: 100 + i, seed: UInt64(i))
      objects.append((try writer.write(bytes, kind: .blob, compressor: compressor), bytes))
    }
    let stats = try writer.finish()
    #expect(stats.packs.count == 1)
    return (packs, objects)
  }

  /// Every pack written has format 2 (no footer: header, records,
  /// trailer) and index format 4, which art that reads only formats 1-3
  /// refuses as newer.
  @Test(arguments: [Compression.zstd, .lz4, .none])
  func packsHaveNoFooterAndIndexFormatFour(compression: Compression) async throws {
    try await withTemporaryDirectory { folder in
      let packs = folder.appending("packs")
      try Syscalls.makeDirectories(packs)
      let writer = ObjectWriter(store: try ObjectStore(directory: packs), compression: compression)
      let text = [UInt8].text(count: 10_000, seed: 1)
      let id = try writer.write(text, kind: .blob, compressor: Compressor(compression: compression))
      _ = try writer.finish()
      let store = try ObjectStore(directory: packs)
      let pack = try #require(store.allPacks.first)
      #expect(store.allPacks.map(\.index.version) == [4])
      let entry = try pack.index.entry(at: 0)
      #expect(pack.index.packSize == 16 + 64 + entry.storedLength + 64)
      #expect(try store.read(id).bytes == text)
      _ = try pack.verify()
    }
  }

  /// Packs of format 1, with their footer, still read and verify; an index
  /// of format 4 for such a pack is damage.
  @Test func formatOnePacksStillRead() async throws {
    try await withTemporaryDirectory { folder in
      let (packs, objects) = try makePack(in: folder)
      let ids = try rewritePacksAsFormatOne(in: packs)
      let store = try ObjectStore(directory: packs)
      let pack = try #require(store.allPacks.first)
      #expect([pack.id] == ids && pack.index.version == 1)
      for (id, bytes) in objects { #expect(try store.read(id).bytes == bytes) }
      _ = try pack.verify()
      var index = try readFile(pack.index.path)
      index[8] = 4
      index.replaceSubrange(
        (index.count - 32)..., with: ObjectHasher.id(of: index.dropLast(32)).bytes)
      try Syscalls.unlink(pack.index.path)
      try writeFile(index, to: pack.index.path)
      let mismatched = try #require(try ObjectStore(directory: packs).allPacks.first)
      let error = #expect(throws: ArtError.self) { try mismatched.verify() }
      #expect(error?.code == .corruptData)
      #expect(throws: ArtError.self) { try mismatched.read(try mismatched.index.entry(at: 0)) }
    }
  }

  @Test func findsEveryObjectAndNothingElse() async throws {
    try await withTemporaryDirectory { folder in
      let (packs, objects) = try makePack(in: folder)
      let store = try ObjectStore(directory: packs)
      for (id, bytes) in objects {
        #expect(try store.read(id).bytes == bytes)
        #expect(try store.resolve(ObjectIDPrefix(id.prefix(8))) == id)
      }
      let absent = ObjectHasher.id(of: [1, 2, 3])
      #expect(!store.contains(absent))
      let error = #expect(throws: ArtError.self) { try store.read(absent) }
      #expect(error?.code == .corruptData)
      #expect(throws: ArtError.self) { try store.resolve(ObjectIDPrefix("0000000000")) }
    }
  }

  @Test func ambiguousPrefixListsCandidates() async throws {
    try await withTemporaryDirectory { folder in
      let packs = folder.appending("packs")
      try Syscalls.makeDirectories(packs)
      // Find two contents whose ids share the first 4 hex digits.
      var seen: [String: [UInt8]] = [:]
      var pair: ([UInt8], [UInt8])? = nil
      var i = 0
      while pair == nil {
        let bytes = Array("object \(i)".utf8)
        let prefix = ObjectHasher.id(of: bytes).prefix(4)
        if let other = seen[prefix] { pair = (other, bytes) }
        seen[prefix] = bytes
        i += 1
      }
      let (a, b) = try #require(pair)
      let writer = ObjectWriter(store: try ObjectStore(directory: packs), compression: .none)
      let compressor = Compressor(compression: .none)
      let idA = try writer.write(a, kind: .blob, compressor: compressor)
      let idB = try writer.write(b, kind: .blob, compressor: compressor)
      _ = try writer.finish()
      let store = try ObjectStore(directory: packs)
      let error = #expect(throws: ArtError.self) {
        try store.resolve(ObjectIDPrefix(idA.prefix(4)))
      }
      #expect(error?.code == .ambiguous)
      #expect(error?.message.contains(idA.hex) == true)
      #expect(error?.message.contains(idB.hex) == true)
    }
  }

  @Test func verifyPassesOnSoundPack() async throws {
    try await withTemporaryDirectory { folder in
      let (packs, objects) = try makePack(in: folder)
      let store = try ObjectStore(directory: packs)
      let report = try #require(store.allPacks.first).verify()
      #expect(report.objects == objects.count)
    }
  }

  /// Flips each byte of a pack, of its index, and of a format-1 pack.
  ///
  /// verify must fail every time, and no read may return bytes other than
  /// the original.
  @Test(arguments: ["pack", "idx", "format 1 pack"])
  func everyFlippedByteIsCaught(file: String) async throws {
    try await withTemporaryDirectory { folder in
      let (packs, objects) = try makePack(in: folder)
      if file == "format 1 pack" { try rewritePacksAsFormatOne(in: packs) }
      let name = try #require(
        try directoryEntries(packs).map { String(decoding: $0, as: UTF8.self) }
          .first { $0.hasSuffix("." + (file == "idx" ? "idx" : "pack")) })
      let path = packs.appending(name)
      let original = try readFile(path)
      for offset in 0..<original.count {
        var damaged = original
        damaged[offset] ^= 0x40
        try Syscalls.unlink(path)
        try writeFile(damaged, to: path)
        let store = try ObjectStore(directory: packs)
        if let pack = store.allPacks.first {
          #expect(throws: ArtError.self, "flip at \(offset) not found by verify") {
            try pack.verify()
          }
        } else {
          #expect(store.damagedPacks.count == 1)
        }
        for (id, bytes) in objects {
          if let read = try? store.read(id) {
            #expect(read.bytes == bytes, "wrong bytes for \(id) after flip at \(offset)")
          }
        }
      }
    }
  }

  @Test func truncatedPackIsReportedByName() async throws {
    try await withTemporaryDirectory { folder in
      let (packs, objects) = try makePack(in: folder)
      let name = try #require(
        try directoryEntries(packs).map { String(decoding: $0, as: UTF8.self) }
          .first { $0.hasSuffix(".pack") })
      let path = packs.appending(name)
      let original = try readFile(path)
      try Syscalls.unlink(path)
      try writeFile(Array(original.prefix(original.count - 100)), to: path)
      let store = try ObjectStore(directory: packs)
      let error = #expect(throws: ArtError.self) { try store.read(objects[0].0) }
      #expect(error?.code == .corruptData)
      #expect(error?.message.contains(String(name.dropLast(5))) == true)
    }
  }
}
