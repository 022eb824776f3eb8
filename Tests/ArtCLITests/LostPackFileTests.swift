import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// A pack file lost or cut short behind art's back, its index left in place:
/// the index still lists the pack's objects, and nothing may count on them.
@Suite("Lost pack files")
struct LostPackFileTests {
  /// Runs art in process with the clock past the stat cache's racy window,
  /// so the files just written are cached and the cache's trust is tested.
  func art(_ arguments: String..., in folder: FilePath) async -> ProcessResult {
    await artInProcess(arguments, in: folder, clockAhead: 5_000)
  }

  /// Makes ds:v0 of `data/a.txt` (5,000 bytes of `.text` seed 1) and ds:v1
  /// adding `data/b.txt`, each in a pack of its own; returns v0's `.pack`.
  func twoVersions(_ repo: FilePath) async throws -> FilePath {
    try writeFile(.text(count: 5_000, seed: 1), to: repo.appending("data/a.txt"))
    #expect(await art("init", in: repo).status == 0)
    #expect(await art("commit", "ds", "data", in: repo).status == 0)
    let pack = try #require(
      try ObjectStore(directory: repo.appending(".art/objects/packs")).allPacks.first
    ).path
    try writeFile(.text(count: 1_000, seed: 2), to: repo.appending("data/b.txt"))
    #expect(await art("commit", "ds", "data", in: repo).status == 0)
    return pack
  }

  /// v0's pack (a.txt, most of big.bin's chunks) is lost; v1's pack holds
  /// big.bin's new chunk list and c.txt.
  ///
  /// A commit of the unchanged folder stores the lost objects again, so v1
  /// checks out, and so does a new version sharing them (before, the
  /// cached chunk list, in a sound pack, vouched for chunks nobody could
  /// read, and the index for a.txt). v0's own record is gone: fsck says so.
  @Test(arguments: ["deleted", "truncated", "a FIFO"])
  func theNextCommitWritesAgainWhatALostPackHeld(damage: String) async throws {
    try await withTemporaryDirectory { repo in
      let a = [UInt8].text(count: 5_000, seed: 1)
      var big = [UInt8].random(count: 6_000_000, seed: 2)
      try writeFile(a, to: repo.appending("data/a.txt"))
      try writeFile(big, to: repo.appending("data/big.bin"))
      #expect(await art("init", in: repo).status == 0)
      #expect(await art("commit", "ds", "data", in: repo).status == 0)
      let pack = try #require(
        try ObjectStore(directory: repo.appending(".art/objects/packs")).allPacks.first
      ).path
      big.replaceSubrange(5_900_000..., with: [UInt8].random(count: 100_000, seed: 3))
      try writeFile(big, to: repo.appending("data/big.bin"))
      try writeFile(.text(count: 1_000, seed: 4), to: repo.appending("data/c.txt"))
      #expect(await art("commit", "ds", "data", in: repo).status == 0)
      switch damage {
      case "deleted": try FileManager.default.removeItem(atPath: pack.string)
      case "truncated": try writeFile(Array(try readFile(pack).dropLast(100)), to: pack)
      default:
        try FileManager.default.removeItem(atPath: pack.string)
        #expect(mkfifo(pack.string, 0o600) == 0)
      }

      let again = await art("commit", "ds", "data", in: repo)
      #expect(again.status == 0, "\(again.standardError)")
      #expect(again.standardOutput.contains("nothing changed"), "\(again.standardOutput)")
      for (version, change) in [("ds:v1", false), ("ds:v2", true)] {
        if change {
          try writeFile(.text(count: 3_100, seed: 5), to: repo.appending("data/a.txt"))
          let commit = await art("commit", "ds", "data", in: repo)
          #expect(commit.status == 0, "\(commit.standardError)")
        }
        let out = repo.appending("out-\(version.dropFirst(3))")
        let checkout = await art("checkout", version, "--to", out.string, in: repo)
        #expect(checkout.status == 0, "\(version): \(checkout.standardError)")
        #expect(try readFile(out.appending("big.bin")) == big)
      }
      let fsck = await art("fsck", in: repo)
      #expect(fsck.status == 2 && fsck.standardOutput.contains("needed by ds:v0"))
    }
  }

  /// The folder holds v0 (checked out) and v0's pack, its record in it, is
  /// lost: a commit compares the folder with the latest instead and stores
  /// its files again (before, it stopped on the record it could not read).
  @Test func aCommitWhoseBasesRecordWasLostStoresTheFilesAgain() async throws {
    try await withTemporaryDirectory { repo in
      let a = [UInt8].text(count: 5_000, seed: 1)
      let pack = try await twoVersions(repo)
      #expect(await art("checkout", "ds:v0", in: repo).status == 0)
      try FileManager.default.removeItem(atPath: pack.string)
      let commit = await art("commit", "ds", "data", in: repo)
      #expect(commit.status == 0, "\(commit.standardError)")
      #expect(commit.standardOutput.contains("ds:v2"), "\(commit.standardOutput)")
      let out = repo.appending("out")
      let checkout = await art("checkout", "ds:v2", "--to", out.string, in: repo)
      #expect(checkout.status == 0, "\(checkout.standardError)")
      #expect(try readFile(out.appending("a.txt")) == a)
    }
  }

  /// A draft carries its base's entries unread: one that would name an
  /// object only a lost pack holds, or one whose index is gone (the store
  /// then lacks it), is refused, and no version is made.
  @Test(arguments: ["pack", "idx"])
  func aDraftCarryingALostObjectIsRefused(lost: String) async throws {
    try await withTemporaryDirectory { repo in
      let pack = try await twoVersions(repo)
      try FileManager.default.removeItem(
        atPath: lost == "pack" ? pack.string : String(pack.string.dropLast(4)) + "idx")
      try writeFile(Array("new\n".utf8), to: repo.appending("new.txt"))
      let draft = await art("commit", "ds", "--from", "ds:v1", "--add", "new.txt=new.txt", in: repo)
      #expect(draft.status == 2, "\(draft.standardOutput)")
      #expect(draft.standardError.contains("ds:v2 was not made"), "\(draft.standardError)")
      let log = await art("log", "ds", in: repo)
      #expect(!log.standardOutput.contains("v2"), "\(log.standardOutput)")
    }
  }

  /// A fetch from a remote that has the pack puts it back, as the error
  /// that names a lost pack says (before, it found every object "here").
  @Test(arguments: ["deleted", "truncated"])
  func aFetchBringsBackALostPack(damage: String) async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      let a = [UInt8].text(count: 5_000, seed: 1)
      try writeFile(a, to: repo.appending("data/a.txt"))
      #expect(await art("init", in: repo).status == 0)
      #expect(await art("commit", "ds", "data", in: repo).status == 0)
      #expect(
        await art("remote", "add", "origin", folder.appending("remote").string, in: repo).status
          == 0)
      #expect(await art("push", "origin", in: repo).status == 0)
      let pack = try #require(
        try ObjectStore(directory: repo.appending(".art/objects/packs")).allPacks.first
      ).path
      if damage == "deleted" {
        try FileManager.default.removeItem(atPath: pack.string)
      } else {
        try writeFile(Array(try readFile(pack).dropLast(100)), to: pack)
      }
      #expect(await art("fsck", in: repo).status == 2)
      let fetch = await art("fetch", "origin", in: repo)
      #expect(fetch.status == 0, "\(fetch.standardError)")
      let fsck = await art("fsck", in: repo)
      #expect(fsck.status == 0, "\(fsck.standardOutput)")
      let out = folder.appending("out")
      #expect(await art("checkout", "ds:v0", "--to", out.string, in: repo).status == 0)
      #expect(try readFile(out.appending("a.txt")) == a)
    }
  }

  /// fsck names every version that needs an object only a lost pack holds,
  /// not only those whose record or manifests were there.
  @Test func fsckNamesTheVersionsThatNeedALostObject() async throws {
    try await withTemporaryDirectory { repo in
      let pack = try await twoVersions(repo)
      try FileManager.default.removeItem(atPath: pack.string)
      let fsck = await art("fsck", "-v", in: repo)
      #expect(fsck.status == 2)
      #expect(fsck.standardOutput.contains("needed by ds:v1"), "\(fsck.standardOutput)")
    }
  }
}
