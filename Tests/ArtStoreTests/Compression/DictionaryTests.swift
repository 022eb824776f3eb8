import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtStore

@Suite("zstd dictionaries per pack")
struct DictionaryTests {
  /// Enough annotation files (about 6 MiB) to fill the sample budget.
  static func labels(seed: UInt64, count: Int = 6_000) -> [[UInt8]] {
    (0..<count).map { [UInt8].label(index: $0, seed: seed) }
  }

  /// Writes `objects` as blobs into a new pack in `folder`; returns the store.
  static func write(
    _ objects: [[UInt8]], in folder: FilePath, compression: Compression = .zstd
  ) throws -> ObjectStore {
    try Syscalls.makeDirectories(folder)
    let writer = ObjectWriter(store: try ObjectStore(directory: folder), compression: compression)
    let compressor = Compressor(compression: compression)
    for object in objects { _ = try writer.write(object, kind: .blob, compressor: compressor) }
    _ = try writer.finish()
    return try ObjectStore(directory: folder)
  }

  /// Every entry of every pack in `store`.
  static func entries(_ store: ObjectStore) throws -> [PackEntry] {
    try store.allPacks.flatMap { pack in
      try (0..<pack.index.count).map { try pack.index.entry(at: $0) }
    }
  }

  @Test func similarSmallObjectsAreCompressedAgainstTheirPacksDictionary() async throws {
    try await withTemporaryDirectory { folder in
      let objects = Self.labels(seed: 1)
      let store = try Self.write(objects, in: folder.appending("packs"))
      let pack = try #require(store.allPacks.first)
      #expect(store.allPacks.count == 1 && pack.index.dictionaryPosition != nil)
      let entries = try Self.entries(store)
      #expect(entries.filter { $0.kind == .dictionary }.count == 1)
      let against = entries.filter { $0.codec == .zstdDictionary }
      // The objects written before the dictionary was trained are plain zstd.
      #expect(against.count > objects.count / 2)
      for object in objects {
        #expect(try store.read(ObjectHasher.id(of: object)).bytes == object)
      }
      let report = try pack.verify()
      #expect(report.objectsByKind[.dictionary] == 1)
      // The same objects each compressed alone take far more.
      let compressor = Compressor(compression: .zstd)
      var plain = 0
      var withDictionary = 0
      for entry in against {
        let object = try store.read(entry.id).bytes
        plain += try object.withUnsafeBytes {
          try compressor.withCompressed($0) { s, _ in s.count }
        }
        withDictionary += Int(entry.storedLength)
      }
      #expect(withDictionary * 10 < plain * 7, "\(withDictionary) against \(plain)")
    }
  }

  /// An object that does not shrink against the dictionary leaves zstd's
  /// context mid-frame; the next object, compressed without it, must not
  /// be compressed against it (plain zstd only the dictionary decodes).
  @Test func aFrameThatDidNotShrinkLeavesNoDictionaryBehind() throws {
    let labels = Self.labels(seed: 3, count: 1_200)
    let dictionary = try #require(
      ZstdDictionary.train(samples: Array(labels.joined()), sizes: labels.map(\.count)))
    let compressor = Compressor(compression: .zstd)
    let random = [UInt8].random(count: 2_000, seed: 9)
    try random.withUnsafeBytes { raw in
      try compressor.withCompressed(raw, dictionary: dictionary) { _, codec in
        #expect(codec == .none)
      }
    }
    let text = Array(labels.prefix(100).joined())
    try text.withUnsafeBytes { raw in
      try compressor.withCompressed(raw) { stored, codec in
        #expect(codec == .zstd)
        var decoded = [UInt8](repeating: 0, count: raw.count)
        try decoded.withUnsafeMutableBytes {
          try codec.decompress(stored, into: $0, subject: "text")
        }
        #expect(decoded == text)
      }
    }
  }

  /// Random bytes: a dictionary would save nothing, so the pack gets none.
  @Test func unlikeObjectsGetNoDictionary() async throws {
    try await withTemporaryDirectory { folder in
      let objects = (0..<1_200).map {
        [UInt8].random(count: 1024 + $0 % 7 * 1000, seed: UInt64($0))
      }
      let store = try Self.write(objects, in: folder.appending("packs"))
      #expect(try Self.entries(store).allSatisfy { $0.kind != .dictionary })
      #expect(store.allPacks.allSatisfy { $0.index.dictionaryPosition == nil })
    }
  }

  /// Copies keep records as they are when the new pack can hold their
  /// dictionary, and compress the rest again; with lz4, all of them.
  @Test(arguments: [Compression.zstd, .lz4])
  func copiesCarryTheirDictionaryOrAreCompressedAgain(compression: Compression) async throws {
    try await withTemporaryDirectory { folder in
      let first = try Self.write(Self.labels(seed: 1), in: folder.appending("a"))
      let second = try Self.write(Self.labels(seed: 2), in: folder.appending("b"))
      let target = folder.appending("c")
      try Syscalls.makeDirectories(target)
      let writer = ObjectWriter(
        store: try ObjectStore(directory: target), compression: compression,
        maximumPackSize: 1 << 30, skipsStored: false)
      var originals: [ObjectID: [UInt8]] = [:]
      for source in [first, second] {
        let pack = try #require(source.allPacks.first)
        for entry in try Self.entries(source) {
          try writer.copy(entry, from: pack)
          if entry.kind != .dictionary { originals[entry.id] = try source.read(entry.id).bytes }
        }
      }
      _ = try writer.finish()
      let copied = try ObjectStore(directory: target)
      let entries = try Self.entries(copied)
      #expect(entries.count == originals.count + (compression == .zstd ? 1 : 0))
      if compression == .zstd {
        let dictionary = try #require(entries.first { $0.kind == .dictionary })
        #expect(try first.allPacks[0].dictionary().id == dictionary.id)
      } else {
        #expect(entries.allSatisfy { $0.codec != .zstdDictionary })
      }
      for (id, bytes) in originals { #expect(try copied.read(id).bytes == bytes) }
      for pack in copied.allPacks { _ = try pack.verify() }
    }
  }

  /// A record compressed against its pack's dictionary but labelled plain
  /// zstd, in a pack of index format 3 (what the build of 2026-11-30 could
  /// write), is read and verified through that dictionary, and every copy
  /// stores it as what it is.
  @Test func plainZstdRecordsWrittenAgainstTheDictionaryAreRescued() async throws {
    try await withTemporaryDirectory { folder in
      let source = try Self.write(Self.labels(seed: 5), in: folder.appending("a"))
      let sourcePack = try #require(source.allPacks.first)
      let dictionary = try sourcePack.dictionary()
      let damaged = folder.appending("b")
      try Syscalls.makeDirectories(damaged)
      let writer = ObjectWriter(store: try ObjectStore(directory: damaged), compression: .zstd)
      // The first copy of a codec-4 record puts the dictionary in the pack.
      let carried = try #require(try Self.entries(source).first { $0.codec == .zstdDictionary })
      try writer.copy(carried, from: sourcePack)
      let object = [UInt8].label(index: 90_000, seed: 7)
      let id = ObjectHasher.id(of: object)
      try object.withUnsafeBytes { raw in
        try Compressor(compression: .zstd).withCompressed(raw, dictionary: dictionary) {
          stored, codec in
          #expect(codec == .zstdDictionary)
          _ = try writer.append(
            id: id, kind: .blob, codec: .zstd, rawLength: raw.count, stored: stored)
        }
      }
      _ = try writer.finish()
      // Packs of this build (index format 4) never hold such records, so
      // none is read a second way: the record is damage there.
      let current = try ObjectStore(directory: damaged)
      #expect(throws: ArtError.self) { try current.read(id) }
      let labelled = try #require(try Self.entries(current).first { $0.id == id })
      #expect(try !current.allPacks[0].isMislabelled(labelled))
      // As the build of 2026-11-30 left it: pack format 1, index format 3.
      try rewritePacksAsFormatOne(in: damaged)
      let store = try ObjectStore(directory: damaged)
      let pack = try #require(store.allPacks.first)
      #expect(pack.index.version == 3 && pack.mayHoldMislabelledRecords)
      let entry = try #require(try Self.entries(store).first { $0.id == id })
      #expect(entry.codec == .zstd)
      #expect(try pack.isMislabelled(entry))
      #expect(try !pack.isMislabelled(carried))
      #expect(try store.read(id).bytes == object)
      _ = try pack.verify()
      let record = try pack.readStored(entry, subject: "remote")
      let decoded = try record.withUnsafeBytes {
        try Pack.decode(entry, record: $0, subject: "remote", dictionary: dictionary)
      }
      #expect(decoded == object)
      // Copies: one that takes the dictionary relabels the record; one that
      // cannot (lz4) compresses it again; one from a remote's record too.
      for (name, compression, fromRecord) in [
        ("c", Compression.zstd, false), ("d", .lz4, false), ("e", .zstd, true),
      ] {
        let target = folder.appending(name)
        try Syscalls.makeDirectories(target)
        let copier = ObjectWriter(
          store: try ObjectStore(directory: target), compression: compression)
        if fromRecord {
          try record.withUnsafeBytes {
            _ = try copier.copy(entry, record: $0, subject: "remote", dictionary: dictionary)
          }
        } else {
          try copier.copy(entry, from: pack)
        }
        _ = try copier.finish()
        let copied = try ObjectStore(directory: target)
        let copy = try #require(try Self.entries(copied).first { $0.id == id })
        #expect(copy.codec == (compression == .zstd ? .zstdDictionary : .lz4))
        #expect(try copied.read(id).bytes == object)
        for pack in copied.allPacks { _ = try pack.verify() }
      }
    }
  }

  /// A record from elsewhere must come with its pack's dictionary, and is
  /// decoded and checked against its id before it is stored: with none, or
  /// with another, it is damage and nothing is stored.
  @Test func aRecordWithoutItsDictionaryIsDamage() async throws {
    try await withTemporaryDirectory { folder in
      let source = try Self.write(Self.labels(seed: 1), in: folder.appending("a"))
      let other = try Self.write(Self.labels(seed: 2), in: folder.appending("b"))
      let pack = try #require(source.allPacks.first)
      let entry = try #require(try Self.entries(source).first { $0.codec == .zstdDictionary })
      let record = try pack.readStored(entry, subject: "remote")
      let target = folder.appending("c")
      try Syscalls.makeDirectories(target)
      let writer = ObjectWriter(store: try ObjectStore(directory: target), compression: .zstd)
      let missing = #expect(throws: ArtError.self) {
        try record.withUnsafeBytes { _ = try writer.copy(entry, record: $0, subject: "remote") }
      }
      #expect(missing?.code == .corruptData)
      let wrong = try #require(other.allPacks.first).dictionary()
      let mismatched = #expect(throws: ArtError.self) {
        try record.withUnsafeBytes {
          _ = try writer.copy(entry, record: $0, subject: "remote", dictionary: wrong)
        }
      }
      #expect(mismatched?.code == .corruptData)
      try record.withUnsafeBytes {
        _ = try writer.copy(
          entry, record: $0, subject: "remote", dictionary: try pack.dictionary())
      }
      _ = try writer.finish()
      #expect(
        try ObjectStore(directory: target).read(entry.id).bytes == source.read(entry.id).bytes)
    }
  }

  /// Hand-made packs: a dictionary that is no zstd dictionary, a frame that
  /// decodes to more than its recorded length, a codec-4 record in a pack
  /// whose index names no dictionary.
  @Test func craftedDictionaryRecordsAreDamageNotCrashes() async throws {
    try await withTemporaryDirectory { folder in
      let source = try Self.write(Self.labels(seed: 1), in: folder.appending("a"))
      let pack = try #require(source.allPacks.first)
      let dictionary = try pack.dictionary()
      let entry = try #require(try Self.entries(source).first { $0.codec == .zstdDictionary })
      let stored = try pack.readStored(entry)

      func craft(_ name: String, _ records: [(ObjectID, ObjectKind, Codec, Int, [UInt8])]) throws
        -> ObjectStore
      {
        let directory = folder.appending(name)
        try Syscalls.makeDirectories(directory)
        let writer = try PackWriter(directory: directory)
        for (id, kind, codec, rawLength, bytes) in records {
          let pending = bytes.withUnsafeBytes {
            writer.append(id: id, kind: kind, codec: codec, rawLength: rawLength, stored: $0)
          }
          for write in pending {
            try writer.write(write)
            writer.completed(write)
          }
        }
        _ = try writer.finish()
        return try ObjectStore(directory: directory)
      }
      let garbage = [UInt8].random(count: 4096, seed: 3)
      let cases: [(String, [(ObjectID, ObjectKind, Codec, Int, [UInt8])])] = [
        (
          "not-a-dictionary",
          [
            (ZstdDictionary.id(of: garbage), .dictionary, .none, garbage.count, garbage),
            (entry.id, .blob, .zstdDictionary, Int(entry.rawLength), stored),
          ]
        ),
        (
          "short-raw-length",
          [
            (dictionary.id, .dictionary, .none, dictionary.bytes.count, dictionary.bytes),
            (entry.id, .blob, .zstdDictionary, Int(entry.rawLength) - 1, stored),
          ]
        ),
        ("no-dictionary", [(entry.id, .blob, .zstdDictionary, Int(entry.rawLength), stored)]),
      ]
      for (name, records) in cases {
        let error = #expect(throws: ArtError.self, "\(name)") {
          let store = try craft(name, records)
          _ = try store.read(entry.id)
        }
        #expect(error?.code == .corruptData, "\(name): \(String(describing: error))")
      }
    }
  }
}
