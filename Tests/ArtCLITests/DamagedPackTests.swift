import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtStore

/// Damage that came with packs (a crash's leftovers, a hostile remote):
/// it is reported, never made worse, through the real binary.
@Suite("Damaged packs")
struct DamagedPackTests {
  /// A repository whose `data/a.txt` (returned) has a good copy in one
  /// pack and a copy with one bit changed (header, CRC-32, index and pack
  /// id all consistent) in a pack whose id sorts before it.
  ///
  /// Both copies are written before the commit, which then finds the
  /// object stored and adds no third copy; a filler object in each pack
  /// varies the ids until the damaged pack sorts first (each try is even
  /// odds, so the loop never runs out in practice; a pack id drawn from
  /// the commit's own pack could sort too early for any filler to pass).
  static func repositoryWithADamagedDuplicate(_ repo: FilePath) throws -> [UInt8] {
    let good = [UInt8].text(count: 5_000, seed: 1)
    try writeFile(good, to: repo.appending("data/a.txt"))
    try writeFile(.text(count: 3_000, seed: 2), to: repo.appending("data/b.txt"))
    #expect(try art("init", in: repo).status == 0)
    let packs = repo.appending(".art/objects/packs")
    let id = ObjectHasher.id(of: good)
    var wrong = good
    wrong[100] ^= 1
    func pack(holding copy: [UInt8], filler seed: UInt64) throws -> ObjectID {
      let writer = ObjectWriter(
        store: try ObjectStore(directory: packs), compression: .none, maximumPackSize: 1 << 30,
        skipsStored: false)
      _ = try copy.withUnsafeBytes {
        try writer.append(id: id, kind: .blob, codec: .none, rawLength: $0.count, stored: $0)
      }
      _ = try writer.write(
        .text(count: 100, seed: seed), kind: .blob, compressor: Compressor(compression: .none))
      return try #require(try writer.finish().packs.first)
    }
    for seed in 0..<UInt64(64) {
      let kept = try pack(holding: good, filler: 1_000 + seed)
      let bad = try pack(holding: wrong, filler: 2_000 + seed)
      if bad < kept {
        #expect(try art("commit", "ds", "data", in: repo).status == 0)
        let holders = try ObjectStore(directory: packs).allPacks.filter {
          $0.index.position(of: id) != nil
        }
        #expect(holders.map(\.id) == [bad, kept])
        return good
      }
      for name in [kept, bad].flatMap({ [PackFormat.indexName($0), PackFormat.packName($0)] }) {
        try FileManager.default.removeItem(atPath: packs.appending(name).string)
      }
    }
    Issue.record("in 64 tries no damaged pack sorted before its good copy's")
    return good
  }

  /// repack and gc keep the good copy whichever pack comes first; fsck
  /// named the damaged copy before, and finds nothing after.
  @Test(arguments: [["repack"], ["gc", "--grace", "0s"]])
  func aDamagedDuplicateNeverReplacesTheGoodCopy(command: [String]) async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      let good = try Self.repositoryWithADamagedDuplicate(repo)
      let before = try art("fsck", "--full", in: repo)
      #expect(before.status == 2, "\(before.standardOutput)")
      let run = try ArtProcess.run(command, in: repo)
      #expect(run.status == 0, "\(run.standardError)")
      let out = folder.appending("out")
      let checkout = try art("checkout", "ds:v0", "--to", out.string, in: repo)
      #expect(checkout.status == 0, "\(checkout.standardError)")
      #expect(try readFile(out.appending("a.txt")) == good)
      if command == ["repack"] {
        let after = try art("fsck", "--full", in: repo)
        #expect(after.status == 0, "\(after.standardOutput)")
      }
    }
  }

  /// A pack pushed as it is gets the checks of a copied record: one with a
  /// flipped stored byte stops the push (status 2) before anything is
  /// sent, so the remote's refs never name damage a later push could not
  /// replace; mended, it pushes and clones.
  @Test func aDamagedPackIsNeverPushed() async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      let remote = folder.appending("remote")
      try FileManager.default.createDirectory(
        atPath: remote.string, withIntermediateDirectories: true)
      try writeFile(.text(count: 300_000, seed: 5), to: repo.appending("data/a.csv"))
      #expect(try art("init", in: repo).status == 0)
      #expect(try art("commit", "ds", "data", in: repo).status == 0)
      #expect(try art("remote", "add", "origin", remote.string, in: repo).status == 0)
      let pack = try #require(
        try ObjectStore(directory: repo.appending(".art/objects/packs")).allPacks.first)
      let good = try readFile(pack.path)
      var bad = good
      bad[good.count / 2] ^= 0x55
      try FileManager.default.removeItem(atPath: pack.path.string)
      try writeFile(bad, to: pack.path)
      let push = try ArtProcess.run(["push", "origin"], in: repo)
      #expect(push.status == 2, "\(push.standardError)")
      #expect(
        push.standardError.contains("cannot push") && push.standardError.contains("CRC-32"),
        "\(push.standardError)")
      #expect(!FileManager.default.fileExists(atPath: remote.appending("refs").string))
      let packs = remote.appending("packs")
      let sent =
        FileManager.default.fileExists(atPath: packs.string)
        ? try FileManager.default.contentsOfDirectory(atPath: packs.string) : []
      #expect(sent.isEmpty, "\(sent)")
      try FileManager.default.removeItem(atPath: pack.path.string)
      try writeFile(good, to: pack.path)
      #expect(try art("push", "origin", in: repo).status == 0)
      #expect(try art("clone", remote.string, "copy", in: folder).status == 0)
    }
  }

  /// An index that states a pack size near 2^64 is damage: fsck,
  /// count-objects and repack report it and do not trap summing sizes.
  @Test func anIndexStatingAHugePackSizeIsDamage() async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      _ = try Self.repositoryWithADamagedDuplicate(repo)
      let packs = repo.appending(".art/objects/packs")
      let index = try #require(try ObjectStore(directory: packs).allPacks.first).index.path
      var bytes = try readFile(index)
      for i in 24..<32 { bytes[i] = 0xFF }
      bytes.replaceSubrange(
        (bytes.count - 32)..., with: ObjectHasher.id(of: Array(bytes.dropLast(32))).bytes)
      try FileManager.default.removeItem(atPath: index.string)
      try writeFile(bytes, to: index)
      for arguments in [["fsck", "--full"], ["count-objects"], ["repack"], ["verify-pack"]] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(result.status < 128, "\(arguments): \(result.standardError)")
      }
      let repack = try art("repack", in: repo)
      #expect(
        repack.status == 2 && repack.standardError.contains("repack will not run"),
        "\(repack.standardError)")
      let fsck = try art("fsck", in: repo)
      #expect(fsck.status == 2 && fsck.standardOutput.contains("bytes"), "\(fsck.standardOutput)")
    }
  }

  /// A remote whose refs name versions its packs do not hold: clone fails
  /// (status 2) and leaves no folder behind.
  @Test func cloningRefsWithoutTheirObjectsFails() async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      try writeFile(.text(count: 1_000, seed: 3), to: repo.appending("data/a.txt"))
      #expect(try art("init", in: repo).status == 0)
      #expect(try art("commit", "ds", "data", in: repo).status == 0)
      let remote = folder.appending("remote")
      #expect(try art("remote", "add", "origin", remote.string, in: repo).status == 0)
      #expect(try art("push", "origin", in: repo).status == 0)
      let remotePacks = remote.appending("packs")
      for name in try FileManager.default.contentsOfDirectory(atPath: remotePacks.string) {
        try FileManager.default.removeItem(atPath: remotePacks.appending(name).string)
      }
      let clone = try art("clone", remote.string, "copy", in: folder)
      #expect(clone.status == 2, "\(clone.standardOutput) \(clone.standardError)")
      #expect(clone.standardError.contains("cannot be read"), "\(clone.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("copy").string))
    }
  }
}
