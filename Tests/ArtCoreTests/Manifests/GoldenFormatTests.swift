import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtCore

/// Pins the bytes of the formats this build writes (pack format 2, index
/// format 4), and of pack format 1, which it still reads.
///
/// Each expected id below was recorded
/// once from a fixed recipe; a change to chunking, the gear table, the chunk
/// list, manifest, pack or index encoding changes it and fails here, which
/// must come with a format version bump and a `Docs/FORMAT.md` update.
@Suite("Golden formats")
struct GoldenFormatTests {
  /// a.txt = "hello\n" (mode 644), run.sh (755), sub/big.bin = 700,000 bytes
  /// from SplitMix64(seed 1) (chunked with 64 KiB chunks), sub/empty (no
  /// bytes), link -> a.txt, and an empty folder.
  func makeTree(at data: FilePath) throws {
    try writeFile(Array("hello\n".utf8), to: data.appending("a.txt"))
    try writeFile(Array("#!/bin/sh\necho hi\n".utf8), to: data.appending("run.sh"))
    try writeFile(.random(count: 700_000, seed: 1), to: data.appending("sub/big.bin"))
    try writeFile([], to: data.appending("sub/empty"))
    try Syscalls.makeDirectories(data.appending("nothing"))
    try Syscalls.symlink(target: Array("a.txt".utf8), at: data.appending("link"))
    for path in ["a.txt", "sub/big.bin", "sub/empty"] {
      try Syscalls.setMode(data.appending(path), 0o644)
    }
    try Syscalls.setMode(data.appending("run.sh"), 0o755)
    for path in ["", "sub", "nothing"] { try Syscalls.setMode(data.appending(path), 0o755) }
  }

  @Test func manifestIdOfAFixedTreeIsPinned() async throws {
    try await withTemporaryDirectory { folder in
      // The chunk sizes repositories were given before 2026-12-01, with
      // which this id was recorded: the algorithm has not changed.
      var configuration = Configuration()
      configuration.chunking = .original
      try Repository.initialize(at: folder, configuration: configuration)
      try makeTree(at: folder.appending("data"))
      let repository = try Repository(root: folder)
      let snapshot = try await Snapshotter(
        repository: repository, writer: repository.makeWriter(compression: Compression.none)
      ).writeManifest(of: folder.appending("data"))
      let store = try Repository(root: folder).store
      let sub = try store.manifest(snapshot.manifestID).entries.first { $0.name == "sub" }
      let big = try store.manifest(#require(sub).id).entries.first
      #expect(big?.kind == .chunked)
      #expect(
        snapshot.manifestID.hex
          == "8900355295f1d9f09039a11d9a3e11ce76d33e5ac4472ae5559e0f5dc337239e")
    }
  }

  /// The same tree with a 2,500,000-byte `sub/big.bin` instead, cut with
  /// the chunk sizes `art init` writes (64 KiB / 256 KiB / 1 MiB).
  @Test func manifestIdWithTheDefaultChunkSizesIsPinned() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      try makeTree(at: folder.appending("data"))
      try writeFile(
        .random(count: 2_500_000, seed: 1), to: folder.appending("data/sub/big.bin"))
      try Syscalls.setMode(folder.appending("data/sub/big.bin"), 0o644)
      let repository = try Repository(root: folder)
      #expect(repository.configuration.chunking == .default)
      let snapshot = try await Snapshotter(
        repository: repository, writer: repository.makeWriter(compression: Compression.none)
      ).writeManifest(of: folder.appending("data"))
      let sub = try repository.store.manifest(snapshot.manifestID).entries.first {
        $0.name == "sub"
      }
      let big = try repository.store.manifest(#require(sub).id).entries.first
      #expect(big?.kind == .chunked)
      let list = try repository.store.read(#require(big).id, as: .chunkList)
      let chunks = try ChunkList(decoding: list, id: #require(big).id, subject: "big.bin").chunks
      #expect(chunks.count >= 4 && chunks.count <= 20)
      #expect(
        snapshot.manifestID.hex
          == "27d7dc93d5280c9804f48888a45cfa00418f544cb30623b942842a7b9304e1d7")
    }
  }

  @Test func packAndIndexBytesArePinned() async throws {
    try await withTemporaryDirectory { folder in
      let packs = folder.appending("packs")
      try Syscalls.makeDirectories(packs)
      let writer = ObjectWriter(store: try ObjectStore(directory: packs), compression: .none)
      let compressor = Compressor(compression: .none)
      for i in 0..<20 {
        try writer.write(
          .text(count: 100 * i, seed: UInt64(i)), kind: .blob, compressor: compressor)
      }
      let statistics = try writer.finish()
      let packID = try #require(statistics.packs.first)
      #expect(packID.hex == "6739ad30e34982da7400b30e92a20d9f273ad96c283d62a89ae5e9435a02a11d")
      let index = try readFile(packs.appending("pack-\(packID.hex).idx"))
      #expect(
        ObjectHasher.id(of: index).hex
          == "2a8db3d5ee0b90da91abccdf5171921121d6c023c0bf20e8dcc55070ffece846")
      let pack = try readFile(packs.appending("pack-\(packID.hex).pack"))
      #expect(
        ObjectHasher.id(of: pack).hex
          == "b6dd49b5940b8f54dfd43f5b291732c8e31fbf53d8f7fac00c568747ad7ebd04")
      // The same recipe as format 1 (rewritten from the documented layout)
      // gives exactly the bytes the build before format 2 wrote, pinned
      // then; so this build reads real format-1 packs.
      let old = try #require(try rewritePacksAsFormatOne(in: packs).first)
      #expect(old.hex == "a2cdc8973e727138254969a449a2f0505e04805d3c48b198332840f192eaf4a3")
      #expect(
        ObjectHasher.id(of: try readFile(packs.appending("pack-\(old.hex).idx"))).hex
          == "111985d1dfcedc03d97e0db8e7d6a8718aedc117480872c557c21a1655c22957")
      #expect(
        ObjectHasher.id(of: try readFile(packs.appending("pack-\(old.hex).pack"))).hex
          == "d379249b269e1ee01be237c3b84351376012cf1be457815a04d4405d60bc2b4f")
      let store = try ObjectStore(directory: packs)
      _ = try #require(store.allPacks.first).verify()
      for i in 0..<20 {
        let text = [UInt8].text(count: 100 * i, seed: UInt64(i))
        #expect(try store.read(ObjectHasher.id(of: text)).bytes == text)
      }
    }
  }
}
