import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Issue 16: each surprise a new user met, as a test, so none comes back.
///
/// Run in process; the clock is moved instead of sleeping.
@Suite("Everyday use, in process")
struct EverydayUseTests {
  func art(_ arguments: String..., in folder: FilePath, clockAhead: Int64 = 0) async
    -> ProcessResult
  {
    await artInProcess(arguments, in: folder, clockAhead: clockAhead)
  }

  func art(_ arguments: [String], in folder: FilePath) async -> ProcessResult {
    await artInProcess(arguments, in: folder, clockAhead: 0)
  }

  /// A JSON object printed by a command.
  func object(_ result: ProcessResult) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(result.standardOutputBytes))
    return try #require(value as? [String: Any], "\(result.standardOutput)")
  }

  /// `data/a.txt`, `data/b.txt`, `data/sub/c.txt`, committed as ds:v0.
  func makeRepository(_ folder: FilePath) async throws {
    #expect(await art("init", in: folder).status == 0)
    try writeFile(Array("a\n".utf8), to: folder.appending("data/a.txt"))
    try writeFile(Array("b\n".utf8), to: folder.appending("data/b.txt"))
    try writeFile(Array("c\n".utf8), to: folder.appending("data/sub/c.txt"))
    let commit = await art("commit", "ds", "data", in: folder)
    #expect(commit.status == 0, "\(commit.standardError)")
  }

  func read(_ path: FilePath) throws -> String {
    try String(contentsOfFile: path.string, encoding: .utf8)
  }

  // 1. A checked-out old version is the folder's base, not an edit.
  @Test func checkedOutOldVersionIsTheBase() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      try writeFile(Array("a2\n".utf8), to: folder.appending("data/a.txt"))
      #expect(await art("commit", "ds", in: folder).status == 0)
      #expect(await art("checkout", "ds:v0", in: folder).status == 0)

      let status = await art("status", "--exit-code", in: folder)
      #expect(status.status == 0)
      #expect(status.standardOutput.contains("ds: at v0, latest is v1, root data: clean"))
      let unchanged = await art("commit", "ds", in: folder)
      #expect(unchanged.standardOutput.contains("nothing changed since ds:v0"))
      #expect(await art("log", "ds", in: folder).lines.count == 2)

      try writeFile(Array("b2\n".utf8), to: folder.appending("data/b.txt"))
      let edited = await art("status", "--json", in: folder)
      let rows = try #require(try object(edited)["artifacts"] as? [[String: Any]])
      #expect(rows.first?["version"] as? String == "v0")
      #expect((rows.first?["changes"] as? [Any])?.count == 1)
      let commit = await art("commit", "ds", in: folder)
      #expect(commit.standardOutput.contains("ds:v2"))
      #expect(commit.standardOutput.contains("based on ds:v0; latest was v1"))
      let v0 = try object(await art("show", "ds:v0", "--json", in: folder))
      let v2 = try object(await art("show", "ds:v2", "--json", in: folder))
      #expect(v2["previous"] as? String == v0["id"] as? String)
      #expect(try read(folder.appending("data/a.txt")) == "a\n")  // v0's, not latest's

      // The base does not keep its version; status says it is gone.
      #expect(await art("checkout", "ds:v1", in: folder).status == 0)
      #expect(await art("rm", "ds:v1", in: folder).status == 0)
      let gone = await art("status", in: folder)
      #expect(gone.standardOutput.contains("was removed"), "\(gone.standardOutput)")
    }
  }

  // 2. checkout --to can be repeated, knows which files are art's, and a
  // failed one leaves nothing behind.
  @Test func checkoutToAnExistingFolderIsRepeatable() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      try writeFile(Array("a2\n".utf8), to: folder.appending("data/a.txt"))
      try FileManager.default.removeItem(atPath: folder.appending("data/b.txt").string)
      #expect(await art("commit", "ds", in: folder).status == 0)

      #expect(await art("checkout", "ds:v0", "--to", "copy", in: folder).status == 0)
      let again = await art("checkout", "ds:v0", "--to", "copy", in: folder)
      #expect(again.status == 0, "\(again.standardError)")
      #expect(again.standardOutput.contains("0 written"))
      #expect(again.standardOutput.contains("3 unchanged"))

      // art's files follow the version; the user's file stays.
      try writeFile(Array("mine\n".utf8), to: folder.appending("copy/mine.txt"))
      let moved = await art("checkout", "ds:v1", "--to", "copy", in: folder)
      #expect(moved.status == 0, "\(moved.standardError)")
      #expect(try read(folder.appending("copy/a.txt")) == "a2\n")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("copy/b.txt").string))
      #expect(try read(folder.appending("copy/mine.txt")) == "mine\n")

      // An edited file is refused, as a conflict, unless --force.
      try writeFile(Array("edited\n".utf8), to: folder.appending("copy/a.txt"))
      let refused = await art("checkout", "ds:v0", "--to", "copy", "--json", in: folder)
      #expect(refused.status == 1)
      let error = try #require(try object(refused)["error"] as? [String: Any])
      #expect(error["code"] as? String == "conflict")
      #expect(try read(folder.appending("copy/a.txt")) == "edited\n")
      #expect(await art("checkout", "ds:v0", "--to", "copy", "--force", in: folder).status == 0)
      #expect(try read(folder.appending("copy/a.txt")) == "a\n")

      // --clean deletes what the version lacks.
      #expect(await art("checkout", "ds:v0", "--to", "copy", "--clean", in: folder).status == 0)
      #expect(!FileManager.default.fileExists(atPath: folder.appending("copy/mine.txt").string))
      let verify = await art("verify", "ds:v0", "--folder", "copy", in: folder)
      #expect(verify.status == 0, "\(verify.standardOutput)")
    }
  }

  /// A snapshot of another folder than the latest version's root (a
  /// subfolder) warns that the new version holds only that folder.
  @Test func aCommitOfASubfolderWarnsItIsAWholeNewTree() async throws {
    try await withTemporaryDirectory { folder in
      _ = await art("init", in: folder)
      try writeFile(Array("a\n".utf8), to: folder.appending("data/a.txt"))
      try writeFile(Array("b\n".utf8), to: folder.appending("data/tables/b.csv"))
      let first = await art("commit", "ds", "data", in: folder)
      #expect(!first.standardError.contains("warning"), "\(first.standardError)")
      let sub = await art("commit", "ds", "data/tables", in: folder)
      #expect(sub.status == 0)
      #expect(
        sub.standardError.contains(
          "art: warning: ds:v1 holds only what is in 'data/tables', not the 'data' of ds:v0"),
        "\(sub.standardError)")
      try writeFile(Array("c\n".utf8), to: folder.appending("data/tables/b.csv"))
      let same = await art("commit", "ds", "data/tables", in: folder)
      #expect(!same.standardError.contains("warning"), "\(same.standardError)")
    }
  }

  /// A commit with nothing changed still moves its `--alias`es to the
  /// version the folder is, and warns that `-m` and `--metadata` went
  /// unrecorded.
  @Test func anUnchangedCommitStillSetsItsAliases() async throws {
    try await withTemporaryDirectory { folder in
      _ = await art("init", in: folder)
      try writeFile(Array("a\n".utf8), to: folder.appending("data/a.txt"))
      #expect(await art("commit", "ds", "data", "-q", in: folder).status == 0)
      try writeFile(Array("b\n".utf8), to: folder.appending("data/a.txt"))
      #expect(await art("commit", "ds", "data", "-q", in: folder).status == 0)
      let same = await art(
        "commit", "ds", "data", "--alias", "production", "-m", "ship", "--metadata", "k=1",
        in: folder)
      #expect(same.status == 0, "\(same.standardError)")
      #expect(same.standardOutput.contains("ds:production -> v1"), "\(same.standardOutput)")
      #expect(
        same.standardError.contains("-m, --metadata not recorded: nothing changed"),
        "\(same.standardError)")
      let shown = try object(await art("show", "ds:production", "--json", in: folder))
      #expect(shown["version"] as? String == "v1", "\(shown)")
      let again = try object(
        await art("commit", "ds", "data", "--alias", "production", "--json", in: folder))
      #expect(again["created"] as? Bool == false)
      #expect(again["aliasesMoved"] as? [String] == [], "\(again)")
    }
  }

  /// A file of the user's where the version has a folder is a local
  /// change (status 1, code `conflict`), not a link; `--force` replaces it.
  @Test func aFileWhereTheVersionHasAFolderIsALocalChange() async throws {
    try await withTemporaryDirectory { folder in
      _ = await art("init", in: folder)
      try writeFile(Array("a\n".utf8), to: folder.appending("data/a.txt"))
      #expect(await art("commit", "ds", "data", "-q", in: folder).status == 0)
      try writeFile(Array("b\n".utf8), to: folder.appending("data/sub/b.txt"))
      #expect(await art("commit", "ds", "data", "-q", in: folder).status == 0)
      #expect(await art("checkout", "ds:v0", "-q", in: folder).status == 0)
      try writeFile(Array("mine\n".utf8), to: folder.appending("data/sub"))
      let refused = await art("checkout", "ds:v1", "--json", in: folder)
      #expect(refused.status == 1, "\(refused.standardError)")
      let error = try #require(try object(refused)["error"] as? [String: Any])
      #expect(error["code"] as? String == "conflict", "\(error)")
      let text = await art("checkout", "ds:v1", in: folder)
      #expect(
        text.standardError.contains("1 path(s) with local changes:\n  sub"),
        "\(text.standardError)")
      #expect(!text.standardError.contains("link"), "\(text.standardError)")
      #expect(try read(folder.appending("data/sub")) == "mine\n")
      #expect(await art("checkout", "ds:v1", "--force", "-q", in: folder).status == 0)
      #expect(try read(folder.appending("data/sub/b.txt")) == "b\n")
    }
  }

  @Test func checkoutAgainComparesEveryFileWithItsOwnEntry() async throws {
    try await withTemporaryDirectory { folder in
      _ = await art("init", in: folder)
      // Files of equal size, so only their hashes tell them apart, in
      // several folders, hashed on every core.
      for index in 0..<300 {
        let name = String(format: "data/%02d/f%03d.txt", index % 7, index)
        try writeFile(Array(String(format: "%06d\n", index).utf8), to: folder.appending(name))
      }
      #expect(await art("commit", "ds", "data", "-q", in: folder).status == 0)
      #expect(await art("checkout", "ds:v0", "--to", "copy", "-q", in: folder).status == 0)
      let againOutput = try object(
        await art("checkout", "ds:v0", "--to", "copy", "--json", in: folder))
      let again = try #require((againOutput["checkouts"] as? [[String: Any]])?.first)
      #expect(again["written"] as? Int == 0)
      #expect(again["unchanged"] as? Int == 300)

      // One file edited in place to the same size: named, and nothing else.
      try writeFile(Array("999999\n".utf8), to: folder.appending("copy/03/f157.txt"))
      let refused = await art("checkout", "ds:v0", "--to", "copy", in: folder)
      #expect(refused.status == 1)
      #expect(refused.standardError.contains("overwrite or delete 1 path(s) with local changes:\n"))
      #expect(refused.standardError.contains("03/f157.txt"))
      let forcedOutput = try object(
        await art("checkout", "ds:v0", "--to", "copy", "--force", "--json", in: folder))
      let forced = try #require((forcedOutput["checkouts"] as? [[String: Any]])?.first)
      #expect(forced["written"] as? Int == 1)
      #expect(forced["unchanged"] as? Int == 299)
      #expect(try read(folder.appending("copy/03/f157.txt")) == "000157\n")
    }
  }

  /// A folder the old version had empty, which the user has since put
  /// files in, is not art's to delete when the new version lacks it.
  @Test(arguments: [true, false])
  func filesInAFolderTheVersionHadEmptyStay(copy: Bool) async throws {
    try await withTemporaryDirectory { folder in
      _ = await art("init", in: folder)
      try writeFile(Array("a\n".utf8), to: folder.appending("data/a.txt"))
      try FileManager.default.createDirectory(
        atPath: folder.appending("data/empty/deeper").string, withIntermediateDirectories: true)
      #expect(await art("commit", "ds", "data", "-q", in: folder).status == 0)
      try FileManager.default.removeItem(atPath: folder.appending("data/empty").string)
      #expect(await art("commit", "ds", "-q", in: folder).status == 0)
      let place = copy ? "copy" : "data"
      let to = copy ? ["--to", "copy"] : []
      #expect(await art(["checkout", "ds:v0", "-q"] + to, in: folder).status == 0)
      #expect(FileManager.default.fileExists(atPath: folder.appending("\(place)/empty").string))
      try writeFile(
        Array("precious\n".utf8), to: folder.appending("\(place)/empty/deeper/mine.txt"))

      for force in [false, true] {
        let moved = await art(
          ["checkout", "ds:v1"] + to + (force ? ["--force"] : []), in: folder)
        #expect(moved.status == 0, "\(moved.standardError)")
        #expect(
          try read(folder.appending("\(place)/empty/deeper/mine.txt")) == "precious\n")
      }
      // Empty again, it goes.
      try FileManager.default.removeItem(
        atPath: folder.appending("\(place)/empty/deeper/mine.txt").string)
      #expect(await art(["checkout", "ds:v0", "-q"] + to, in: folder).status == 0)
      #expect(await art(["checkout", "ds:v1", "-q"] + to, in: folder).status == 0)
      #expect(!FileManager.default.fileExists(atPath: folder.appending("\(place)/empty").string))

      // The folder swapped for a link to one outside, holding the same
      // empty folder and a file: a local change, and with --force only the
      // link goes, never what it points to.
      #expect(await art(["checkout", "ds:v0", "-q"] + to, in: folder).status == 0)
      let outside = folder.appending("outside")
      try writeFile(Array("theirs\n".utf8), to: outside.appending("keep.txt"))
      try FileManager.default.createDirectory(
        atPath: outside.appending("deeper").string, withIntermediateDirectories: true)
      let link = folder.appending("\(place)/empty").string
      try FileManager.default.removeItem(atPath: link)
      try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: outside.string)
      let past = await art(["checkout", "ds:v1"] + to, in: folder)
      #expect(past.status == 0, "\(past.standardError)")
      let forced = await art(["checkout", "ds:v1", "--force"] + to, in: folder)
      #expect(forced.status == 0, "\(forced.standardError)")
      #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == outside.string)
      #expect(try read(outside.appending("keep.txt")) == "theirs\n")
      #expect(FileManager.default.fileExists(atPath: outside.appending("deeper").string))
    }
  }

  @Test func failedCheckoutLeavesNothingItCreated() async throws {
    try await withTemporaryDirectory { folder in
      #expect(await art("init", in: folder).status == 0)
      try writeFile(Array("x\n".utf8), to: folder.appending("data/x.txt"))
      try writeFile(Array("outside\n".utf8), to: folder.appending("ext/e.txt"))
      let commit = await art(
        "commit", "ds", "data", "--reference", folder.appending("ext/e.txt").string + "=e.txt",
        in: folder)
      #expect(commit.status == 0, "\(commit.standardError)")
      try writeFile(Array("changed\n".utf8), to: folder.appending("ext/e.txt"))
      let checkout = await art("checkout", "ds", "--to", "fresh", in: folder)
      #expect(checkout.status == 3, "\(checkout.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("fresh").string))
      let bases = folder.appending(".art/bases/folder").string
      #expect((try? FileManager.default.contentsOfDirectory(atPath: bases)) ?? [] == [])

      // An emptied copy keeps the base it had.
      #expect(
        await art("checkout", "ds", "--to", "copy", "--allow-changed", in: folder).status == 0)
      let names = try FileManager.default.contentsOfDirectory(atPath: bases)
      let file = FilePath(bases).appending(try #require(names.first))
      let base = try readFile(file)
      for name in try FileManager.default.contentsOfDirectory(atPath: "\(folder)/copy") {
        try FileManager.default.removeItem(atPath: "\(folder)/copy/\(name)")
      }
      #expect(await art("checkout", "ds", "--to", "copy", in: folder).status == 3)
      #expect(try FileManager.default.contentsOfDirectory(atPath: bases) == names)
      #expect(try readFile(file) == base)
    }
  }

  /// How a checkout is stopped half way in `checkoutAfterOneThatStoppedHalfWay`.
  enum Stop: String, CaseIterable, Sendable {
    /// Once, then the next checkout.
    case once
    /// Twice in a row, of two versions: the first is not forgotten.
    case twice
    /// Once, then the version it wrote is removed: its files are local
    /// changes again, since nothing else may hold them.
    case removed
  }

  /// A checkout that stopped half way (here at a damaged object; `kill -9`
  /// in CrashTests) leaves files of the version it was writing: the next
  /// checkout, to any version, takes them for art's and not for local
  /// changes, in place and into a copy; the user's own edit still stops it.
  @Test(arguments: [false, true], Stop.allCases)
  func checkoutAfterOneThatStoppedHalfWay(inPlace: Bool, stop: Stop) async throws {
    try await withTemporaryDirectory { folder in
      #expect(await art("init", in: folder).status == 0)
      let names = (0..<20).map { "f\($0 / 10)\($0 % 10).txt" }
      let packs = folder.appending(".art/objects/packs")
      func packNames() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: packs.string))
      }
      // Each version in a pack of its own; v0 and v2 with a large file.
      var packOf: [Int: FilePath] = [:]
      for version in 0..<3 {
        for name in names {
          try writeFile(Array("v\(version) \(name)\n".utf8), to: folder.appending("data/\(name)"))
        }
        try? FileManager.default.removeItem(atPath: folder.appending("data/zz.bin").string)
        if version != 1 {
          try writeFile(
            .random(count: 2_000_000, seed: UInt64(version)), to: folder.appending("data/zz.bin"))
        }
        let before = try packNames()
        #expect(await art("commit", "ds", "data", "-q", in: folder).status == 0)
        let added = try packNames().subtracting(before).filter { $0.hasSuffix(".pack") }
        packOf[version] = packs.appending(try #require(added.first))
      }
      let copy = inPlace ? "data" : "copy"
      let to = inPlace ? [] : ["--to", copy]
      #expect(await art(["checkout", "ds:v1", "-q"] + to, in: folder).status == 0)

      // The version's large file is damaged: its checkout stops after
      // writing the others.
      func stopped(_ version: Int) async throws -> [String] {
        let pack = try #require(packOf[version])
        let intact = try readFile(pack)
        var damaged = intact
        damaged[1_000_000] ^= 0x10
        try writeFile(damaged, to: pack)
        let result = await art(["checkout", "ds:v\(version)"] + to, in: folder)
        try writeFile(intact, to: pack)
        #expect(result.status == 2, "\(result.standardError)")
        let written = try names.filter {
          try readFile(folder.appending("\(copy)/\($0)")) == Array("v\(version) \($0)\n".utf8)
        }
        try #require(!written.isEmpty, "the checkout of v\(version) stopped before writing a file")
        return written
      }
      let first = try await stopped(0)
      if stop == .twice { _ = try await stopped(2) }
      if stop == .removed {
        #expect(await art("rm", "ds:v0", in: folder).status == 0)
        let refused = await art(["checkout", "ds:v1"] + to, in: folder)
        #expect(refused.status == 1)
        let still = try names.filter {
          try readFile(folder.appending("\(copy)/\($0)")) == Array("v0 \($0)\n".utf8)
        }
        #expect(still == first)
        #expect(
          refused.standardError.contains(
            "overwrite or delete \(first.count) path(s) with local changes:\n"),
          "\(refused.standardError)")
        return
      }

      try writeFile(Array("mine\n".utf8), to: folder.appending("\(copy)/f05.txt"))
      let refused = await art(["checkout", "ds:v1"] + to, in: folder)
      #expect(refused.status == 1)
      #expect(
        refused.standardError.contains("overwrite or delete 1 path(s) with local changes:\n"),
        "\(refused.standardError)")
      #expect(refused.standardError.contains("f05.txt"))
      try writeFile(Array("v1 f05.txt\n".utf8), to: folder.appending("\(copy)/f05.txt"))
      let back = await art(["checkout", "ds:v1"] + to, in: folder)
      #expect(back.status == 0, "\(back.standardError)")
      let verify = await art("verify", "ds:v1", "--folder", copy, in: folder)
      #expect(verify.status == 0, "\(verify.standardOutput)")
      // Finished: the base names v1 alone again.
      let bases = folder.appending(inPlace ? ".art/bases/artifact" : ".art/bases/folder")
      let file = bases.appending(
        try #require(try FileManager.default.contentsOfDirectory(atPath: bases.string).first))
      let base = String(decoding: try readFile(file), as: UTF8.self)
      #expect(!base.contains("partial"), "\(base)")
    }
  }

  /// Files an in-place `--path` checkout wrote are art's while the base
  /// still names the version before: the next checkout replaces them
  /// without `--force`, and an edit of one is still a local change.
  @Test func filesOfAPathCheckoutAreArts() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      try writeFile(Array("a2\n".utf8), to: folder.appending("data/a.txt"))
      try writeFile(Array("c2\n".utf8), to: folder.appending("data/sub/c.txt"))
      #expect(await art("commit", "ds", "-q", in: folder).status == 0)
      #expect(await art("checkout", "ds:v0", "--path", "sub", "-q", in: folder).status == 0)
      #expect(try read(folder.appending("data/sub/c.txt")) == "c\n")
      #expect(try read(folder.appending("data/a.txt")) == "a2\n")
      let status = await art("status", in: folder)
      #expect(status.standardOutput.contains("ds: at v1"), "\(status.standardOutput)")

      let back = await art("checkout", "ds:v1", in: folder)
      #expect(back.status == 0, "\(back.standardError)")
      #expect(try read(folder.appending("data/sub/c.txt")) == "c2\n")

      #expect(await art("checkout", "ds:v0", "--path", "sub", "-q", in: folder).status == 0)
      try writeFile(Array("mine\n".utf8), to: folder.appending("data/sub/c.txt"))
      // v0's a.txt outside the patterns is no file that checkout wrote.
      try writeFile(Array("a\n".utf8), to: folder.appending("data/a.txt"))
      let refused = await art("checkout", "ds:v1", in: folder)
      #expect(refused.status == 1)
      #expect(
        refused.standardError.contains("2 path(s) with local changes:\n  a.txt\n  sub/c.txt"),
        "\(refused.standardError)")

      // Patterns too many for the base file: refused before any change.
      try writeFile(Array("c2\n".utf8), to: folder.appending("data/sub/c.txt"))
      var many = ["checkout", "ds:v0", "--path", "sub"]
      for index in 0..<800 {
        many += ["--path", "zz/\(String(repeating: "0", count: 90))\(index)"]
      }
      let tooMany = await art(many, in: folder)
      #expect(tooMany.status == 64, "\(tooMany.standardError)")
      #expect(tooMany.standardError.contains("more than the 65536"))
      #expect(try read(folder.appending("data/sub/c.txt")) == "c2\n")
      #expect(await art("status", in: folder).status == 0)
    }
  }

  @Test func verifyFolderListsEveryDifference() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      #expect(await art("verify", "ds:v0", "--folder", "data", in: folder).status == 0)
      try writeFile(Array("B\n".utf8), to: folder.appending("data/b.txt"))
      try writeFile(Array("new\n".utf8), to: folder.appending("data/new.txt"))
      try FileManager.default.removeItem(atPath: folder.appending("data/sub/c.txt").string)
      let verify = await art("verify", "ds:v0", "--folder", "data", "--json", in: folder)
      #expect(verify.status == 3)
      let differences = try #require(try object(verify)["differences"] as? [[String: String]])
      #expect(
        differences == [
          ["path": "b.txt", "kind": "changed"], ["path": "new.txt", "kind": "extra"],
          ["path": "sub/c.txt", "kind": "missing"],
        ])
    }
  }

  // 3. du NAME gives that artifact's figures.
  @Test func duOfOneArtifactCountsOnlyIt() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      try writeFile(.random(count: 200_000, seed: 3), to: folder.appending("big/model.bin"))
      #expect(await art("commit", "model", "big", in: folder).status == 0)
      let all = try object(await art("du", "--json", in: folder))
      let ds = try object(await art("du", "ds", "--json", in: folder))
      let allStored = try #require(all["referencedBytes"] as? Int)
      let dsStored = try #require(ds["referencedBytes"] as? Int)
      #expect(dsStored > 0 && dsStored < 10_000, "\(dsStored)")
      #expect(allStored > 200_000)
      #expect(ds["logicalBytes"] as? Int == 6)
      #expect(ds["exclusiveBytes"] as? Int == dsStored)
    }
  }

  // 5. Draft paths are relative to the version's root; --add SRC=DEST.
  @Test func draftPathsAreRelativeToTheRoot() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      try writeFile(Array("notes\n".utf8), to: folder.appending("elsewhere/n.txt"))
      let removed = await art(
        "commit", "ds", "--from", "ds:v0", "--remove", "sub/c.txt", in: folder)
      #expect(removed.status == 0, "\(removed.standardError)")
      // The folder whose last file went is gone too.
      let files = await art("diff", "ds:v0", "ds:v1", "--name-status", in: folder)
      #expect(files.lines == ["D\tsub/c.txt"], "\(files.lines)")
      let listing = try object(await art("show", "ds:v1", "--json", in: folder))
      let manifest = try #require(listing["manifest"] as? String)
      let entries = await art("ls-manifest", manifest, in: folder)
      #expect(!entries.standardOutput.contains("sub"), "\(entries.standardOutput)")

      let added = await art("commit", "ds", "--add", "elsewhere/n.txt=docs/n.txt", in: folder)
      #expect(added.status == 0, "\(added.standardError)")
      let changes = await art("diff", "ds:v1", "ds:v2", "--name-status", in: folder)
      #expect(changes.lines == ["A\tdocs/n.txt"])
      // A path on disk inside the root works too; one outside needs =DEST.
      #expect(await art("commit", "ds", "--remove", "data/a.txt", in: folder).status == 0)
      let outside = await art("commit", "ds", "--add", "elsewhere/n.txt", in: folder)
      #expect(outside.status == 64)
      #expect(outside.standardError.contains("=PATH"))
      // A first version from additions alone.
      let first = await art("commit", "notes", "--add", "elsewhere/n.txt=n.txt", in: folder)
      #expect(first.status == 0, "\(first.standardError)")
      #expect(first.standardOutput.contains("notes:v0"))
    }
  }

  // 6. A TTL fires on the newest version; protected aliases still win.
  @Test func timeToLiveFiresOnLatest() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      try writeFile(Array("a2\n".utf8), to: folder.appending("data/a.txt"))
      #expect(await art("commit", "ds", "--ttl", "1s", in: folder).status == 0)
      let explain = await art(
        "gc", "--dry-run", "--explain", "--grace", "0s", in: folder, clockAhead: 5_000)
      #expect(explain.standardOutput.contains("TTL expired"), "\(explain.standardOutput)")
      #expect(explain.standardOutput.contains("latest moves"))
      #expect(await art("gc", "--grace", "0s", in: folder, clockAhead: 5_000).status == 0)
      let log = await art("log", "ds", in: folder)
      #expect(log.lines.count == 1 && log.lines[0].contains("(latest)"), "\(log.lines)")

      try writeFile(Array("a3\n".utf8), to: folder.appending("data/a.txt"))
      #expect(
        await art("commit", "ds", "--ttl", "1s", "--alias", "production", in: folder).status == 0)
      let kept = await art(
        "gc", "--dry-run", "--explain", "--grace", "0s", in: folder, clockAhead: 5_000)
      #expect(
        kept.standardOutput.contains("protected alias production (wins over its expired TTL)"))

      #expect(
        await art("commit", "tmp", "--add", "data/b.txt=b.txt", "--ttl", "1s", in: folder).status
          == 0)
      let gc = await art("gc", "--grace", "0s", "--json", in: folder, clockAhead: 5_000)
      #expect(try object(gc)["artifactsGone"] as? [String] == ["tmp"])
      #expect(await art("log", "tmp", in: folder).status != 0)
    }
  }

  // 7. -q leaves only errors; --exit-code on diff and status.
  @Test func quietAndExitCodes() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      try writeFile(Array("a2\n".utf8), to: folder.appending("data/a.txt"))
      let changed = await art("status", "--exit-code", in: folder)
      #expect(changed.status == 1)
      #expect(changed.standardOutput.contains("1 change"))
      let quiet = await art("commit", "ds", "-q", in: folder)
      #expect(quiet.status == 0)
      #expect(quiet.standardOutput.isEmpty && quiet.standardError.isEmpty)
      #expect(await art("status", "--exit-code", in: folder).status == 0)
      #expect(await art("diff", "ds:v0", "ds:v1", "--exit-code", in: folder).status == 1)
      #expect(await art("diff", "ds:v1", "ds:v1", "--exit-code", in: folder).status == 0)
      let failing = await art("checkout", "ds:v9", "-q", in: folder)
      #expect(failing.status == 1)
      #expect(failing.standardError.contains("art: error:"))
    }
  }

  // 8. One error style, suggestions, usage exit 64.
  @Test func everyMisuseReadsTheSame() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let typo = await art("comit", "x", in: folder)
      #expect(typo.status == 64)
      #expect(typo.standardError.contains("art: error: 'comit' is not an art command"))
      #expect(typo.standardError.contains("did you mean 'commit'?"))
      #expect(await art("help", "frobnicate", in: folder).status == 64)
      let negative = await art("gc", "--keep-last", "-1", in: folder)
      #expect(negative.status == 64)
      #expect(negative.standardError.contains("--keep-last must be 0 or more"))
      let missing = await art("commit", in: folder)
      #expect(missing.status == 64)
      #expect(missing.standardError.hasPrefix("art: error: "), "\(missing.standardError)")
      #expect(missing.standardError.contains("art: hint: usage: art commit"))
      #expect(!missing.standardError.contains("Error:"))
      let json = await art("commit", "--json", in: folder)
      let error = try #require(try object(json)["error"] as? [String: Any])
      #expect(error["code"] as? String == "usage")

      // A folder as diff's second argument.
      try writeFile(Array("a2\n".utf8), to: folder.appending("copy/a.txt"))
      let diff = await art(
        "diff", "ds:v0", folder.appending("copy").string, "--name-status", in: folder)
      #expect(diff.status == 0, "\(diff.standardError)")
      #expect(diff.lines.sorted() == ["D\tb.txt", "D\tsub/c.txt", "M\ta.txt"], "\(diff.lines)")
    }
  }

  // 10. Failures under --json are objects with a stable code.
  @Test func jsonFailuresCarryAStableCode() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let missing = await art("show", "ds:v7", "--json", in: folder)
      #expect(missing.status == 1)
      let object = try object(missing)
      #expect(object["format"] as? Int == 1)
      let error = try #require(object["error"] as? [String: Any])
      #expect(error["code"] as? String == "not-found")
      #expect((error["message"] as? String)?.contains("v7") == true)
      #expect(error["hint"] is String)
      #expect(error["exitStatus"] as? Int == 1)
    }
  }

  // 13. The smaller surprises.
  @Test func smallerSurprisesAreGone() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      // Duplicate keys in --metadata-file are refused, not half-read.
      try writeFile(Array(#"{"a": 1, "b": {"c": 1, "c": 2}}"#.utf8), to: folder.appending("m.json"))
      try writeFile(Array("a3\n".utf8), to: folder.appending("data/a.txt"))
      let duplicate = await art("commit", "ds", "--metadata-file", "m.json", in: folder)
      #expect(duplicate.status == 64)
      #expect(duplicate.standardError.contains("'c' twice"), "\(duplicate.standardError)")
      // An absolute PATH for a reference is refused, not made relative.
      try writeFile(Array("e\n".utf8), to: folder.appending("ext/e.bin"))
      let absolute = await art(
        "commit", "ds", "--reference", folder.appending("ext/e.bin").string + "=/abs/e.bin",
        in: folder)
      #expect(absolute.status == 64)
      #expect(absolute.standardError.contains("is absolute"))
      // A link to a folder, committed alone, is refused with the way out.
      #expect(symlink(folder.appending("data").string, folder.appending("link").string) == 0)
      let link = await art("commit", "linked", "link", in: folder)
      #expect(link.status == 64)
      #expect(link.standardError.contains("symbolic link to a folder"))
      // A FIFO is skipped with a warning.
      #expect(mkfifo(folder.appending("data/pipe").string, 0o644) == 0)
      let fifo = await art("commit", "ds", in: folder)
      #expect(fifo.status == 0, "\(fifo.standardError)")
      #expect(fifo.standardError.contains("art: warning: skipped"), "\(fifo.standardError)")
      // --path that matches nothing is an error.
      let nothing = await art("checkout", "ds", "--to", "copy", "--path", "nope/**", in: folder)
      #expect(nothing.status == 1)
      #expect(nothing.standardError.contains("no path of the version matches 'nope/**'"))
      #expect(!FileManager.default.fileExists(atPath: folder.appending("copy").string))
    }
  }

  @Test func addingAColumnChangesNoRow() async throws {
    try await withTemporaryDirectory { folder in
      #expect(await art("init", in: folder).status == 0)
      try writeFile(Array("id,v\n1,a\n2,b\n3,c\n".utf8), to: folder.appending("data/t.csv"))
      #expect(await art("commit", "t", "data", in: folder).status == 0)
      try writeFile(
        Array("id,v,extra\n1,a,x\n2,B,y\n3,c,z\n".utf8), to: folder.appending("data/t.csv"))
      #expect(await art("commit", "t", in: folder).status == 0)
      let keyed = await art("diff", "t:v0", "t:v1", "--rows", "--key", "id", in: folder)
      #expect(keyed.standardOutput.contains("columns: added extra"), "\(keyed.standardOutput)")
      #expect(keyed.standardOutput.contains("0 added, 0 removed, 1 changed, 2 unchanged"))
      let byContent = await art("diff", "t:v0", "t:v1", "--rows", in: folder)
      #expect(byContent.standardOutput.contains("1 added, 1 removed, 2 unchanged"))
      // A version against any folder, row by row.
      try writeFile(Array("id,v\n1,a\n2,b\n3,C\n".utf8), to: folder.appending("other/t.csv"))
      let againstFolder = await art(
        "diff", "t:v0", "./other", "--rows", "--key", "id", "--json", in: folder)
      #expect(againstFolder.status == 0, "\(againstFolder.standardError)")
      let files = try #require(try object(againstFolder)["files"] as? [[String: Any]])
      #expect((files.first?["rows"] as? [String: Any])?["changed"] as? Int == 1, "\(files)")
    }
  }

  @Test func fsckCountsOneDamagedObjectOnce() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let packs = folder.appending(".art/objects/packs")
      let name = try #require(
        try FileManager.default.contentsOfDirectory(atPath: packs.string).first {
          $0.hasSuffix(".pack")
        })
      var bytes = try readFile(packs.appending(name))
      bytes[bytes.count / 2] ^= 0x40
      try writeFile(bytes, to: packs.appending(name))
      let fsck = await art("fsck", "--full", "--json", in: folder)
      #expect(fsck.status != 0)
      let errors = try #require(try object(fsck)["errors"] as? [String])
      #expect(!errors.isEmpty)
      for error in errors {
        #expect(
          error.components(separatedBy: name).count <= 2, "the pack named twice: \(error)")
      }
      #expect(errors.count <= 2, "\(errors)")
    }
  }

  @Test func showSaysWhatABundleEntryIs() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      #expect(await art("commit", "bundle", "--reference", "art:ds:v0=ds", in: folder).status == 0)
      let show = await art("show", "bundle", in: folder)
      #expect(!show.standardOutput.contains("outside the store"), "\(show.standardOutput)")
      #expect(show.standardOutput.contains("bundles:     ds -> art:ds:v0"))
    }
  }

  /// --clean deletes through the confined writer: a link in the folder goes
  /// as a link, never what it points to.
  @Test func cleanNeverFollowsALink() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      try writeFile(Array("keep\n".utf8), to: folder.appending("precious/file.txt"))
      #expect(await art("checkout", "ds", "--to", "copy", in: folder).status == 0)
      #expect(
        symlink(folder.appending("precious").string, folder.appending("copy/evil").string) == 0)
      #expect(
        symlink(folder.appending("precious").string, folder.appending("copy/sub/evil").string)
          == 0)
      let clean = await art("checkout", "ds", "--to", "copy", "--clean", in: folder)
      #expect(clean.status == 0, "\(clean.standardError)")
      #expect(try read(folder.appending("precious/file.txt")) == "keep\n")
      #expect(
        (try? FileManager.default.destinationOfSymbolicLink(
          atPath: folder.appending("copy/evil").string)) == nil)
      #expect(await art("verify", "ds", "--folder", "copy", in: folder).status == 0)
    }
  }

  // 10. Times: RFC 3339 in JSON, and what log prints works as --since.
  @Test func timesRoundTripThroughLogAndSince() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let log = try object(await art("log", "ds", "--json", in: folder))
      let versions = try #require(log["versions"] as? [[String: Any]])
      let created = try #require(versions.first?["created"] as? String)
      #expect(created.hasSuffix("Z") && created.contains("T"), "\(created)")
      for since in [created, String(created.prefix(19)).replacingOccurrences(of: "T", with: " ")] {
        let found = await art("log", "ds", "--since", since, in: folder)
        #expect(found.status == 0, "\(since): \(found.standardError)")
        #expect(found.lines.count == 1, "\(since)")
      }
      let text = await art("log", "ds", in: folder)
      let printed = try #require(text.lines.first?.split(separator: " ").first { $0.contains("T") })
      #expect(await art("log", "ds", "--until", String(printed), in: folder).lines.count == 1)
      #expect(
        await art("log", "ds", "--since", "2020-01-01T00:00:00+02:00", in: folder).lines.count
          == 1)
    }
  }

  // 12. One way to name a remote; finish records like commit.
  @Test func remotesByFlagAndFinishRecordsLineage() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let remote = folder.appending("remote").string
      #expect(await art("remote", "add", "origin", remote, in: folder).status == 0)
      let push = await art("push", "--remote", "origin", "ds", "--json", in: folder)
      #expect(push.status == 0, "\(push.standardError)")
      #expect(try object(push)["added"] as? [String] == ["ds:v0"])
      #expect(await art("fetch", "--remote", "origin", in: folder).status == 0)
      let twice = await art("fetch", "origin", "--remote", "origin", in: folder)
      #expect(twice.status == 64)

      #expect(
        await art("upsert", "shards", "--distributed-id", "r1", "data/a.txt", in: folder).status
          == 0)
      let finish = await art(
        "finish", "shards", "--distributed-id", "r1", "--input", "ds:v0", "--job", "shard",
        "--run", "run-7", "--ttl", "30d", "--metadata", "n=1", in: folder)
      #expect(finish.status == 0, "\(finish.standardError)")
      let show = try object(await art("show", "shards", "--json", in: folder))
      #expect(show["job"] as? String == "shard")
      #expect(show["run"] as? String == "run-7")
      #expect(show["expires"] is String)
      let v0 = await art("rev-parse", "ds:v0", in: folder).standardOutput
      #expect(show["inputs"] as? [String] == [v0.trimmingCharacters(in: .whitespacesAndNewlines)])
    }
  }

  // From review: --clean never empties a folder that holds other data.
  @Test func cleanIsRefusedWhereOtherDataLives() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      for target in [".", "data", folder.string] {
        let clean = await art("checkout", "ds", "--to", target, "--clean", in: folder)
        #expect(clean.status == 64, "\(target): \(clean.standardError)")
        #expect(clean.standardError.contains("--clean would delete"))
      }
      #expect(try read(folder.appending("data/b.txt")) == "b\n")
      // --to the version's own root folder is a checkout in place.
      try writeFile(Array("a2\n".utf8), to: folder.appending("data/a.txt"))
      #expect(await art("commit", "ds", in: folder).status == 0)
      #expect(await art("checkout", "ds:v0", "--to", "data", in: folder).status == 0)
      #expect(await art("status", in: folder).standardOutput.contains("ds: at v0, latest is v1"))
    }
  }

  // From review: references added to what the folder holds stay through
  // the next commit of the folder.
  @Test func referencesAddedToTheBaseAreCarried() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      try writeFile(Array("e\n".utf8), to: folder.appending("ext/e.bin"))
      let reference = await art(
        "commit", "ds", "--reference", folder.appending("ext/e.bin").string + "=e.bin", in: folder)
      #expect(reference.status == 0, "\(reference.standardError)")
      try writeFile(Array("a2\n".utf8), to: folder.appending("data/a.txt"))
      #expect(await art("commit", "ds", in: folder).status == 0)
      let show = try object(await art("show", "ds:v2", "--json", in: folder))
      #expect(show["references"] as? Int == 1, "\(show)")
      #expect(await art("status", "--exit-code", in: folder).status == 0)
    }
  }

  // From review: hostile times are usage errors, not crashes.
  @Test func hostileTimesAreUsageErrors() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      for text in [
        "2024-01-31T-99999999999999999:00", "99999999999-01-01", "2024-01-31T+1:30",
        "2024-01-31T12:30:15.+5", "2024-01-31T12:30:15.123abc", "2024-01-31T12:30+99:00",
      ] {
        let result = await art("log", "ds", "--since", text, in: folder)
        #expect(result.status == 64, "\(text)")
      }
      #expect(await art("-qC", folder.string, "log", in: folder).status == 0)
    }
  }
}
