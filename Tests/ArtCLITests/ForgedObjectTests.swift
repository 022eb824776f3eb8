import ArtCore
import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// A remote that stores an object under the id of content it is not: were
/// it kept, every later commit of that content here would take it for the
/// stored copy, and the version would name bytes that are not the file.
@Suite("Forged objects from a remote")
struct ForgedObjectTests {
  enum Forgery: String, CaseIterable, Sendable {
    /// Other bytes under a small file's id.
    case blob
    /// A chunk list under a large file's id, naming a chunk that is not it.
    case chunkList
    /// A small file's own bytes under its id, as a folder listing.
    case kind
  }

  /// A chunk list that says `file` is `chunks` end to end (true or not).
  static func list(claiming file: [UInt8], chunks: [[UInt8]]) -> ChunkList {
    ChunkList(
      fileID: ObjectHasher.id(of: file), fileSize: UInt64(file.count),
      chunks: chunks.map { (ObjectHasher.id(of: $0), UInt64($0.count)) })
  }

  /// Pushes a one-file version from `evil` to `remote` and clones it as
  /// `victim`; returns the file's bytes.
  func setUpRemote(in folder: FilePath) throws -> [UInt8] {
    let evil = folder.appending("evil")
    let known = [UInt8].text(count: 2_000, seed: 1)
    try writeFile(known, to: evil.appending("data/known.txt"))
    #expect(try art("init", in: evil).status == 0)
    #expect(try art("commit", "ds", "data", in: evil).status == 0)
    let remote = folder.appending("remote")
    #expect(try art("remote", "add", "origin", remote.string, in: evil).status == 0)
    #expect(try art("push", "origin", in: evil).status == 0)
    #expect(try art("clone", remote.string, "victim", in: folder).status == 0)
    return known
  }

  /// Stores `objects` under the ids given in a pack of its own, on the
  /// remote; with `besideAKnownObject`, the pack also holds the file the
  /// victim has, so a fetch reads the rest by range rather than
  /// downloading the pack whole.
  func plantPack(
    _ objects: [([UInt8], ObjectKind, ObjectID)], besideAKnownObject: Bool, in folder: FilePath
  ) throws {
    let evil = folder.appending("evil")
    let known = [UInt8].text(count: 2_000, seed: 1)
    let pack = try Crafter.forge(
      objects + (besideAKnownObject ? [(known, .blob, ObjectHasher.id(of: known))] : []),
      in: evil)
    for name in [PackFormat.packName(pack), PackFormat.indexName(pack)] {
      try FileManager.default.copyItem(
        atPath: evil.appending(".art/objects/packs/\(name)").string,
        toPath: folder.appending("remote/packs/\(name)").string)
    }
  }

  /// Sets up the remote, then plants `forgery` on it; returns the contents
  /// the forgery claims to be.
  func plant(_ forgery: Forgery, besideAKnownObject: Bool, in folder: FilePath) throws
    -> (small: [UInt8], large: [UInt8])
  {
    _ = try setUpRemote(in: folder)
    let small = [UInt8].random(count: 4_000, seed: 2)
    let large = [UInt8].random(count: 1_500_000, seed: 3)
    let garbage = [UInt8].random(count: 1_500_000, seed: 4)
    var objects: [([UInt8], ObjectKind, ObjectID)] = []
    switch forgery {
    case .blob:
      objects.append((Array(garbage.prefix(small.count)), .blob, ObjectHasher.id(of: small)))
    case .chunkList:
      let chunk = ObjectHasher.id(of: garbage)
      let list = Self.list(claiming: large, chunks: [garbage])
      objects += [(garbage, .blob, chunk), (list.encoded(), .chunkList, list.fileID)]
    case .kind:
      objects.append((small, .manifest, ObjectHasher.id(of: small)))
    }
    try plantPack(objects, besideAKnownObject: besideAKnownObject, in: folder)
    return (small, large)
  }

  @Test(arguments: Forgery.allCases, [false, true])
  func aFetchRefusesAForgedObjectAndACommitStoresTheRealOne(
    forgery: Forgery, besideAKnownObject: Bool
  ) async throws {
    try await withTemporaryDirectory { folder in
      let (small, large) = try plant(forgery, besideAKnownObject: besideAKnownObject, in: folder)
      let victim = folder.appending("victim")
      let fetch = try art("fetch", "origin", in: victim)
      #expect(fetch.status == 2, "\(fetch.standardOutput) \(fetch.standardError)")
      let expected = [
        Forgery.blob: "does not hash to its id", .chunkList: "do not hash to its file id",
        .kind: "lacks the magic number",
      ]
      #expect(
        fetch.standardError.contains(expected[forgery] ?? "?"), "\(fetch.standardError)")
      let store = try Repository(root: victim).store
      #expect(!store.contains(ObjectHasher.id(of: small)))
      #expect(!store.contains(ObjectHasher.id(of: large)))

      // The files the forgery named, committed here, are stored as they are.
      try writeFile(small, to: victim.appending("data/small.bin"))
      try writeFile(large, to: victim.appending("data/large.bin"))
      #expect(try art("commit", "ds", "data", in: victim).status == 0)
      let checkout = try art("checkout", "ds", "--to", "../out", in: victim)
      #expect(checkout.status == 0, "\(checkout.standardError)")
      #expect(try readFile(folder.appending("out/small.bin")) == small)
      #expect(try readFile(folder.appending("out/large.bin")) == large)
      #expect(try art("fsck", "--full", in: victim).status == 0)
    }
  }

  @Test(arguments: Forgery.allCases)
  func aCloneOfARemoteWithAForgedObjectFails(forgery: Forgery) async throws {
    try await withTemporaryDirectory { folder in
      _ = try plant(forgery, besideAKnownObject: false, in: folder)
      let clone = try art("clone", folder.appending("remote").string, "copy", in: folder)
      #expect(clone.status == 2, "\(clone.standardOutput) \(clone.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("copy").string))
    }
  }

  @Test func anImportRefusesAForgedChunkListFromAnotherProject() async throws {
    try await withTemporaryDirectory { folder in
      let vision = folder.appending("vision")
      #expect(try art("init", "vision", in: folder).status == 0)
      let large = [UInt8].random(count: 1_500_000, seed: 3)
      let garbage = [UInt8].random(count: 1_500_000, seed: 4)
      let chunk = ObjectHasher.id(of: garbage)
      let list = Self.list(claiming: large, chunks: [garbage])
      let manifest = Crafter.manifest([
        Crafter.Entry("large.bin", .chunked, list.fileID, size: UInt64(large.count))
      ])
      let manifestID = ObjectHasher.id(of: manifest)
      let record = Crafter.record(
        artifact: "imagenet", number: 0, root: "data", manifest: manifestID)
      let recordID = ObjectHasher.id(of: record)
      try Crafter.forge(
        [
          (garbage, .blob, chunk), (list.encoded(), .chunkList, list.fileID),
          (manifest, .manifest, manifestID), (record, .version, recordID),
        ], in: vision)
      try Crafter.writeRefs(
        ["imagenet:latest \(recordID.hex)", "imagenet:v0 \(recordID.hex)"], in: vision)

      let model = folder.appending("model")
      #expect(try art("init", "model", in: folder).status == 0)
      #expect(try art("project", "add", "vision", "../vision", in: model).status == 0)
      let checkout = try ArtProcess.runTool(
        "/usr/bin/env",
        [
          "ART_CACHE_DIR=\(folder.appending("cache").string)", ArtProcess.binary, "checkout",
          "vision/imagenet:v0", "--to", "../out",
        ], in: model)
      #expect(checkout.status == 2, "\(checkout.standardOutput) \(checkout.standardError)")
      #expect(
        checkout.standardError.contains("do not hash to its file id"), "\(checkout.standardError)")
      #expect(!(try Repository(root: model).store.contains(list.fileID)))

      // The cache both repositories share holds no forged list: the same
      // file from a sound project checks out.
      let good = folder.appending("good")
      try writeFile(large, to: good.appending("data/large.bin"))
      #expect(try art("init", in: good).status == 0)
      #expect(try art("commit", "imagenet", "data", in: good).status == 0)
      #expect(try art("project", "add", "good", "../good", in: model).status == 0)
      let sound = try ArtProcess.runTool(
        "/usr/bin/env",
        [
          "ART_CACHE_DIR=\(folder.appending("cache").string)", ArtProcess.binary, "checkout",
          "good/imagenet:v0", "--to", "../sound",
        ], in: model)
      #expect(sound.status == 0, "\(sound.standardError)")
      #expect(try readFile(folder.appending("sound/large.bin")) == large)
    }
  }

  @Test(arguments: [false, true])
  func aListWhoseChunksAreGoneIsLeftOutAndTheRestKept(besideAKnownObject: Bool) async throws {
    try await withTemporaryDirectory { folder in
      // A remote keeps the list of a deleted file in a pack that stays
      // for its other objects, while gc took the packs of its chunks.
      _ = try setUpRemote(in: folder)
      let gone = [UInt8].random(count: 300_000, seed: 5)
      let kept = [UInt8].random(count: 5_000, seed: 6)
      let list = Self.list(claiming: gone, chunks: [gone])
      try plantPack(
        [(list.encoded(), .chunkList, list.fileID), (kept, .blob, ObjectHasher.id(of: kept))],
        besideAKnownObject: besideAKnownObject, in: folder)
      let victim = folder.appending("victim")
      let fetch = try art("fetch", "origin", in: victim)
      #expect(fetch.status == 0, "\(fetch.standardError)")
      let store = try Repository(root: victim).store
      #expect(store.contains(ObjectHasher.id(of: kept)))
      #expect(!store.contains(list.fileID))
      #expect(try art("fsck", "--full", in: victim).status == 0)
    }
  }

  @Test func remoteGCRewritesAPackHoldingAListWhoseChunksAreElsewhere() async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      var big = [UInt8].random(count: 3_000_000, seed: 7)
      try writeFile(big, to: repo.appending("data/big.bin"))
      #expect(try art("init", in: repo).status == 0)
      #expect(try art("remote", "add", "origin", "../remote", in: repo).status == 0)
      #expect(try art("commit", "ds", "data", in: repo).status == 0)
      #expect(try art("push", "origin", in: repo).status == 0)
      // v1: the big file grows by a little (a new last chunk and list),
      // beside a file v2 drops, so v1's pack is mostly garbage after.
      big += [UInt8].random(count: 1_000, seed: 8)
      try writeFile(big, to: repo.appending("data/big.bin"))
      try writeFile(.random(count: 3_000_000, seed: 9), to: repo.appending("data/junk.bin"))
      #expect(try art("commit", "ds", "data", in: repo).status == 0)
      #expect(try art("push", "origin", in: repo).status == 0)
      try FileManager.default.removeItem(atPath: repo.appending("data/junk.bin").string)
      #expect(try art("commit", "ds", "data", in: repo).status == 0)
      for version in ["ds:v0", "ds:v1"] { #expect(try art("rm", version, in: repo).status == 0) }
      #expect(try art("push", "origin", in: repo).status == 0)
      let gc = try art("gc", "--remote", "origin", "--grace", "0", "--json", in: repo)
      #expect(gc.status == 0, "\(gc.standardError)")
      #expect(gc.standardOutput.contains(#""packsRewritten" : 1"#), "\(gc.standardOutput)")
      #expect(try art("clone", "remote", "copy", in: folder).status == 0)
      #expect(try art("checkout", "ds", "--to", "../out", in: folder.appending("copy")).status == 0)
      #expect(try readFile(folder.appending("out/big.bin")) == big)
    }
  }

  @Test(arguments: [false, true])
  func aForgedChunkOfAWholePacksListIsCaught(listAlsoNamesAMissingChunk: Bool) async throws {
    try await withTemporaryDirectory { folder in
      _ = try setUpRemote(in: folder)
      // The chunk is stored as other bytes under its own id; the list is
      // left out when it also names a chunk that is nowhere.
      let chunk = [UInt8].random(count: 300_000, seed: 10)
      let second = [UInt8].random(count: 300_000, seed: 11)
      let list = Self.list(claiming: chunk + second, chunks: [chunk, second])
      try plantPack(
        [
          (list.encoded(), .chunkList, list.fileID),
          ([UInt8].random(count: chunk.count, seed: 12), .blob, ObjectHasher.id(of: chunk)),
        ] + (listAlsoNamesAMissingChunk ? [] : [(second, .blob, ObjectHasher.id(of: second))]),
        besideAKnownObject: false, in: folder)
      let victim = folder.appending("victim")
      let fetch = try art("fetch", "origin", in: victim)
      #expect(fetch.status == 2, "\(fetch.standardOutput) \(fetch.standardError)")
      #expect(fetch.standardError.contains("does not hash to its id"), "\(fetch.standardError)")
      let store = try Repository(root: victim).store
      #expect(!store.contains(ObjectHasher.id(of: chunk)))
      #expect(!store.contains(list.fileID))
    }
  }

  @Test func aListLeftOutIsFetchedOnceItsChunksArrive() async throws {
    try await withTemporaryDirectory { folder in
      _ = try setUpRemote(in: folder)
      // A push uploads the list's pack before the pack of its chunk.
      let chunk = [UInt8].random(count: 300_000, seed: 13)
      let list = Self.list(claiming: chunk, chunks: [chunk])
      try plantPack(
        [(list.encoded(), .chunkList, list.fileID)], besideAKnownObject: false, in: folder)
      let victim = folder.appending("victim")
      #expect(try art("fetch", "origin", in: victim).status == 0)
      #expect(!(try Repository(root: victim).store.contains(list.fileID)))
      try plantPack(
        [(chunk, .blob, ObjectHasher.id(of: chunk))], besideAKnownObject: false, in: folder)
      let again = try art("fetch", "origin", in: victim)
      #expect(again.status == 0, "\(again.standardError)")
      #expect(try Repository(root: victim).store.contains(list.fileID))
      #expect(try art("fsck", "--full", in: victim).status == 0)
    }
  }

  @Test func aFileHoldingAFoldersListingIsNotTakenForTheFolder() async throws {
    try await withTemporaryDirectory { folder in
      _ = try setUpRemote(in: folder)
      // The attacker makes the listing of a folder the victim will commit
      // (a public dataset's) and plants its bytes as a file under its id:
      // the hash is right, the kind is not.
      let evil = folder.appending("evil")
      let data = [UInt8].random(count: 5_000, seed: 14)
      try writeFile(data, to: evil.appending("public/part.bin"))
      #expect(try art("commit", "pub", "public", in: evil).status == 0)
      let shown = try art("show", "pub", "--json", in: evil).standardOutput
      let json = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any]
      let manifestID = try #require(ObjectID(json?["manifest"] as? String ?? ""))
      let listing = try Repository(root: evil).store.read(manifestID, as: .manifest)
      try plantPack([(listing, .blob, manifestID)], besideAKnownObject: false, in: folder)

      let victim = folder.appending("victim")
      #expect(try art("fetch", "origin", in: victim).status == 0)
      try writeFile(data, to: victim.appending("public/part.bin"))
      let commit = try art("commit", "pub", "public", in: victim)
      #expect(commit.status == 2, "\(commit.standardOutput) \(commit.standardError)")
      #expect(
        commit.standardError.contains("is stored as a blob, not the manifest"),
        "\(commit.standardError)")
      #expect(try art("log", "pub", in: victim).status != 0)
      // gc drops what no version names; then the commit goes through.
      #expect(try art("gc", "--grace", "0", in: victim).status == 0)
      #expect(try art("commit", "pub", "public", in: victim).status == 0)
      #expect(try art("checkout", "pub", "--to", "../out", in: victim).status == 0)
      #expect(try readFile(folder.appending("out/part.bin")) == data)
    }
  }
}
