import ArtCore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtStore

/// Seeded, bounded mutation of what a remote or another project could hand art.
///
/// Records, manifests, references, refs and draft parts. Decoders may
/// refuse, never trap; checkouts of mutated versions fail with an
/// `art: error:` or succeed, and never write outside their destination.
@Suite("Fuzz")
struct FuzzTests {
  /// `bytes` with one to four random edits: a flipped or replaced byte, a
  /// cut, a repeated slice, an inserted byte.
  static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
    var out = bytes
    for _ in 0...Int.random(in: 0...3, using: &random) {
      guard !out.isEmpty else {
        out.append(UInt8.random(in: 0...255, using: &random))
        continue
      }
      let at = Int.random(in: 0..<out.count, using: &random)
      switch Int.random(in: 0..<6, using: &random) {
      case 0: out[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
      case 1: out[at] = UInt8.random(in: 0...255, using: &random)
      case 2: out.removeSubrange(at...)
      case 3:
        let end = min(out.count, at + Int.random(in: 1...16, using: &random))
        out.insert(contentsOf: out[at..<end], at: at)
      case 4: out.insert(UInt8.random(in: 0...255, using: &random), at: at)
      default:
        // A byte that makes lengths and counts large.
        out[at] = [0xFF, 0x7F, 0x80, 0x00, 0x2E, 0x2F][Int.random(in: 0..<6, using: &random)]
      }
    }
    return out
  }

  static let blobID = ObjectHasher.id(of: Array("pwned\n".utf8))

  /// The manifest of folder `d` in the seed manifest.
  static let inner = Crafter.manifest([Crafter.Entry("f", .file, blobID, size: 6)])

  /// Valid inputs to start from.
  static func seeds() -> [(String, [UInt8])] {
    let manifest = Crafter.manifest([
      Crafter.Entry("a", .file, blobID, size: 6, mode: 0o755),
      Crafter.Entry("d", .folder, ObjectHasher.id(of: inner), size: 6),
      Crafter.Entry("l", .symlink, blobID, size: 6),
    ])
    return [
      ("manifest", manifest),
      ("record", Crafter.record(artifact: "ds", number: 3, root: "data/x", manifest: blobID)),
      ("refs", Crafter.refs(["ds:latest \(blobID.hex)", "ds:v0 \(blobID.hex) from ds:v1"])),
      (
        "reference",
        Reference(uri: "file:///tmp/x", size: 10, sha256: blobID, etag: "e").encoded()
      ),
      (
        "part",
        Array(
          "# art-draft-part v1\nmanifest \(blobID.hex)\nworker w\ncreated 1\nfiles 1\nbytes 6\nroot data\n"
            .utf8)
      ),
    ]
  }

  @Test func decodersRefuseOrAcceptNeverTrap() throws {
    var random = SplitMix64(seed: 14)
    let seeds = Self.seeds()
    var refused = 0
    let iterations = 20_000
    for _ in 0..<iterations {
      let (kind, seed) = seeds[Int.random(in: 0..<seeds.count, using: &random)]
      let bytes = Self.mutate(seed, &random)
      let id = ObjectHasher.id(of: bytes)
      do {
        switch kind {
        case "manifest": _ = try Manifest(decoding: bytes, id: id)
        case "record": _ = try VersionRecord(decoding: bytes, id: id)
        case "refs": _ = try RefStore.decode(bytes, file: "refs")
        case "reference": _ = try Reference(decoding: bytes, id: id)
        default: _ = try DistributedDraft.decode(bytes, name: "part-1", source: "remote")
        }
      } catch let error as ArtError {
        #expect([.corruptData, .unsupportedFormat].contains(error.code), "\(kind): \(error)")
        refused += 1
      }
    }
    // The mutations reach the checks: most inputs are refused.
    #expect(refused > iterations / 2)
  }

  /// Dictionaries from a remote's pack, mutated (their id recomputed, as a
  /// crafter would): each is refused as damage, or digested and then decodes
  /// a frame into exactly the raw length or refuses it, never past it.
  @Test func mutatedDictionariesAreRefusedOrStayInBounds() async throws {
    try await withTemporaryDirectory { folder in
      try Syscalls.makeDirectories(folder.appending("packs"))
      let writer = ObjectWriter(
        store: try ObjectStore(directory: folder.appending("packs")), compression: .zstd)
      let compressor = Compressor(compression: .zstd)
      for index in 0..<1_500 {
        try writer.write(.label(index: index, seed: 4), kind: .blob, compressor: compressor)
      }
      _ = try writer.finish()
      let pack = try #require(try ObjectStore(directory: folder.appending("packs")).allPacks.first)
      let seed = try pack.dictionary()
      let original = [UInt8].label(index: 5_000, seed: 4)
      let frame = try original.withUnsafeBytes {
        try compressor.withCompressed($0, dictionary: seed) { stored, _ in Array(stored) }
      }
      var random = SplitMix64(seed: 23)
      var refused = 0
      let iterations = 1_000
      for _ in 0..<iterations {
        let bytes = Self.mutate(seed.bytes, &random)
        do {
          let dictionary = try ZstdDictionary(
            bytes: bytes, id: ObjectHasher.id(of: bytes), subject: "remote")
          var output = [UInt8](repeating: 0, count: original.count)
          try frame.withUnsafeBytes { stored in
            try output.withUnsafeMutableBytes {
              try Codec.zstdDictionary.decompress(
                stored, into: $0, subject: "remote", dictionary: dictionary)
            }
          }
        } catch let error as ArtError {
          #expect(error.code == .corruptData, "\(error)")
          refused += 1
        }
      }
      // Mutations that leave the header whole are digested; the rest refused.
      #expect(refused > 0)
    }
  }

  /// zstd frames from a remote's pack, with a CRC-32 that matches (a
  /// crafter makes it match), plain or against the pack's dictionary:
  /// reading the object decodes them into exactly the recorded length and
  /// checks the SHA-256, so each mutated frame is refused as damaged or
  /// yields the original bytes, never others.
  @Test(arguments: [false, true])
  func mutatedZstdRecordsAreRefusedOrExact(withDictionary: Bool) async throws {
    try await withTemporaryDirectory { folder in
      var dictionary: ZstdDictionary? = nil
      if withDictionary {
        let packs = folder.appending("source")
        try Syscalls.makeDirectories(packs)
        let writer = ObjectWriter(store: try ObjectStore(directory: packs), compression: .zstd)
        let compressor = Compressor(compression: .zstd)
        for index in 0..<1_500 {
          try writer.write(.label(index: index, seed: 8), kind: .blob, compressor: compressor)
        }
        _ = try writer.finish()
        dictionary = try #require(try ObjectStore(directory: packs).allPacks.first).dictionary()
      }
      let original =
        withDictionary
        ? [UInt8].label(index: 9_999, seed: 8)
        : Array(String(repeating: "id,label,score\n1,cat,0.5\n2,dog,0.25\n", count: 40).utf8)
      let id = ObjectHasher.id(of: original)
      let codec: Codec = withDictionary ? .zstdDictionary : .zstd
      let frame = try original.withUnsafeBytes { raw in
        try Compressor(compression: .zstd).withCompressed(raw, dictionary: dictionary) {
          stored, used in
          #expect(used == codec)
          return Array(stored)
        }
      }
      var random = SplitMix64(seed: 19)
      var refused = 0
      let iterations = 400
      for index in 0..<iterations {
        let stored = index == 0 ? frame : Self.mutate(frame, &random)
        let packs = folder.appending("packs-\(index)")
        try Syscalls.makeDirectories(packs)
        let writer = ObjectWriter(store: try ObjectStore(directory: packs), compression: .zstd)
        let entry = PackEntry(
          id: id, offset: 0, rawLength: UInt64(original.count),
          storedLength: UInt64(stored.count), crc: stored.withUnsafeBytes { crc32($0) },
          kind: .blob, codec: codec)
        let record = PackFormat.recordHeader(entry) + stored
        do {
          // A record against a dictionary is checked as it is copied; a
          // plain one when it is read.
          try record.withUnsafeBytes {
            _ = try writer.copy(entry, record: $0, subject: "remote", dictionary: dictionary)
          }
          _ = try writer.finish()
          #expect(try ObjectStore(directory: packs).read(id).bytes == original)
        } catch let error as ArtError {
          #expect(error.code == .corruptData, "\(error)")
          refused += 1
        }
      }
      #expect(refused > iterations / 2)
    }
  }

  @Test func mutatedVersionsNeverWriteOutsideTheirDestination() async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      let sentinel = folder.appending("sentinel")
      try writeFile(Array("keep\n".utf8), to: sentinel.appending("keep.txt"))
      #expect(await runInProcess(["init", repo.string]).0 == 0)
      let blob = Array("pwned\n".utf8)
      let seeds = Self.seeds()
      let manifest = seeds[0].1
      let manifestID = ObjectHasher.id(of: manifest)
      var random = SplitMix64(seed: 10)
      var objects: [([UInt8], ObjectKind)] = [
        (blob, .blob), (Self.inner, .manifest), (manifest, .manifest),
      ]
      var versions: [[UInt8]] = []
      let cases = 300
      for index in 0..<cases {
        let root = ["data", "", "a/b"][index % 3]
        if index % 2 == 0 {
          // A mutated record of a sound manifest.
          let record = Crafter.record(artifact: "f", number: 0, root: root, manifest: manifestID)
          versions.append(Self.mutate(record, &random))
        } else {
          // A sound record of a mutated manifest.
          let mutated = Self.mutate(manifest, &random)
          objects.append((mutated, .manifest))
          versions.append(
            Crafter.record(
              artifact: "f", number: 0, root: root, manifest: ObjectHasher.id(of: mutated)))
        }
      }
      objects += versions.map { ($0, .version) }
      try Crafter.store(objects, in: repo)
      let outside = Self.top(folder)
      let before = HostileTests.snapshot(sentinel)
      var statuses: [Int32: Int] = [:]
      for (index, record) in versions.enumerated() {
        let id = ObjectHasher.id(of: record)
        try Crafter.writeRefs(["f:latest \(id.hex)", "f:v0 \(id.hex)"], in: repo)
        for arguments in [
          ["checkout", "f", "--to", folder.appending("out/\(index)").string],
          ["checkout", "f", "--force"],
        ] {
          let (status, _, err) = await runInProcess(arguments + ["-C", repo.string])
          statuses[status, default: 0] += 1
          // Exit 1 only for a version byte that reads as a newer format
          // ("upgrade art"), which a mutation can make.
          #expect(
            [0, 2, 64].contains(status) || (status == 1 && err.contains("has format version")),
            "\(index) \(arguments): \(err)")
          if status != 0 { #expect(err.hasPrefix("art: error:"), "\(index): \(err)") }
        }
      }
      #expect(HostileTests.snapshot(sentinel) == before)
      #expect(Self.top(folder) == outside.union(["out"]))
      #expect(!FileManager.default.fileExists(atPath: repo.appending(".art/x").string))
      // Both outcomes happen: the cases are neither all refused nor all taken.
      #expect(statuses[0, default: 0] > 0 && statuses.count > 1, "\(statuses)")
    }
  }

  /// The names directly in `folder`.
  static func top(_ folder: FilePath) -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: folder.string)) ?? [])
  }
}
