import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Issue 17, item 2: reading a version without checking it out.
@Suite("ls-files and cat, in process")
struct ReadWithoutCheckoutTests {
  func art(_ arguments: String..., in folder: FilePath) async -> ProcessResult {
    await artInProcess(arguments, in: folder)
  }

  /// The standard output of the real binary, as bytes.
  ///
  /// The in-process capture holds text. Callers compare as one Bool, so a
  /// mismatch is not diffed byte by byte.
  func bytes(_ arguments: String..., in folder: FilePath) throws -> [UInt8] {
    let result = try ArtProcess.run(arguments, in: folder)
    #expect(result.status == 0, "\(arguments): \(result.standardError)")
    return result.standardOutputBytes
  }

  /// `data/` with a small file, a 3 MB random file and a link; ds:v0.
  func makeRepository(_ folder: FilePath) async throws -> [UInt8] {
    #expect(await art("init", in: folder).status == 0)
    let big = [UInt8].random(count: 3_000_000, seed: 5)
    try writeFile(Array("id,v\n1,a\n".utf8), to: folder.appending("data/t.csv"))
    try writeFile(big, to: folder.appending("data/sub/big.bin"))
    #expect(symlink("t.csv", folder.appending("data/link").string) == 0)
    #expect(await art("commit", "ds", "data", in: folder).status == 0)
    return big
  }

  @Test func listsAndPrintsFilesOfAnyVersion() async throws {
    try await withTemporaryDirectory { folder in
      let big = try await makeRepository(folder)
      let list = await art("ls-files", "ds", in: folder)
      #expect(list.lines == ["link", "sub/big.bin", "t.csv"], "\(list.lines)")
      let long = await art("ls-files", "ds:v0", "--long", "--path", "sub/**", in: folder)
      #expect(long.lines.count == 1)
      #expect(long.lines.first?.hasPrefix("chunked") == true, "\(long.lines)")
      #expect(await art("ls-files", "ds", "--path", "nope", in: folder).status == 1)

      #expect(await art("cat", "ds:v0:t.csv", in: folder).standardOutput == "id,v\n1,a\n")
      #expect(await art("cat", "ds:t.csv", in: folder).standardOutput == "id,v\n1,a\n")
      #expect(await art("cat", "ds:link", in: folder).standardOutput == "t.csv")
      let whole = try bytes("cat", "ds:sub/big.bin", in: folder) == big
      #expect(whole)
      let slice =
        try bytes("cat", "ds:sub/big.bin", "--offset", "300000", "--length", "400000", in: folder)
        == Array(big[300_000..<700_000])
      #expect(slice)
      #expect(await art("cat", "ds:sub/big.bin", "--offset", "2000000", in: folder).status == 0)
      let folderCat = await art("cat", "ds:sub", in: folder)
      #expect(folderCat.status == 64)
      #expect(folderCat.standardError.contains("is a folder"))
      let missing = await art("cat", "ds:v0:nope.txt", in: folder)
      #expect(missing.status == 1)
      #expect(missing.standardError.contains("has no path 'nope.txt'"))
      #expect(await art("cat", "nothing", in: folder).status != 0)
      let type = await art("cat-object", "-t", "ds:v0:sub/big.bin", in: folder)
      #expect(type.standardOutput == "chunklist\n", "\(type.standardOutput)")
    }
  }

  /// Damaged bytes are an error before they are output, never printed.
  @Test func damagedChunksAreNeverPrinted() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await makeRepository(folder)
      let packs = folder.appending(".art/objects/packs")
      let name = try #require(
        try FileManager.default.contentsOfDirectory(atPath: packs.string).first {
          $0.hasSuffix(".pack")
        })
      var bytes = try readFile(packs.appending(name))
      bytes[bytes.count / 2] ^= 0x01
      try writeFile(bytes, to: packs.appending(name))
      let cat = await art("cat", "ds:sub/big.bin", in: folder)
      #expect(cat.status == 2, "\(cat.standardError)")
      #expect(cat.standardOutputBytes.count < 3_000_000)
    }
  }

  /// From a remote, only the file's objects come over.
  @Test func readsOneFileOfARemoteVersion() async throws {
    try await withTemporaryDirectory { folder in
      let big = try await makeRepository(folder)
      let remote = folder.appending("remote").string
      #expect(await art("remote", "add", "origin", remote, in: folder).status == 0)
      #expect(await art("push", in: folder).status == 0)
      let other = folder.appending("other")
      #expect(await art("init", in: other).status == 0)
      #expect(await art("remote", "add", "origin", remote, in: other).status == 0)
      let list = await art("ls-files", "origin/ds", in: other)
      #expect(list.lines == ["link", "sub/big.bin", "t.csv"], "\(list.standardError)")
      let small = await art("cat", "origin/ds:t.csv", in: other)
      #expect(small.standardOutput == "id,v\n1,a\n", "\(small.standardError)")
      let stored = try FileManager.default.contentsOfDirectory(
        atPath: other.appending(".art/objects/packs").string)
      let storedBytes = try stored.reduce(0) {
        $0
          + (try FileManager.default.attributesOfItem(
            atPath: other.appending(".art/objects/packs/\($1)").string)[.size] as? Int ?? 0)
      }
      #expect(storedBytes < 500_000, "the big file came over: \(storedBytes) bytes")
      let whole = try bytes("cat", "origin/ds:sub/big.bin", in: other) == big
      #expect(whole)
    }
  }

  /// Issue 17, item 8: `art init` in a git work tree keeps git out of `.art`.
  @Test func initInsideGitExcludesTheStore() async throws {
    try await withTemporaryDirectory { folder in
      let git = try ArtProcess.runTool("/usr/bin/git", ["init", "-q"], in: folder)
      #expect(git.status == 0)
      let project = folder.appending("projects/vision")
      let first = await art("init", in: project)
      #expect(first.standardOutput.contains("so git leaves it alone"), "\(first.standardOutput)")
      let exclude = try String(
        contentsOfFile: folder.appending(".git/info/exclude").string, encoding: .utf8)
      #expect(exclude.contains("\n/projects/vision/.art/\n"), "\(exclude)")
      // Once: a second init adds nothing.
      #expect(!(await art("init", in: project).standardOutput.contains("git leaves")))
      try writeFile(Array("x".utf8), to: project.appending("data/x.txt"))
      #expect(await art("commit", "ds", "data", in: project).status == 0)
      let status = try ArtProcess.runTool(
        "/usr/bin/git", ["status", "--porcelain", "--untracked-files=all"], in: folder)
      #expect(!status.standardOutput.contains(".art"), "\(status.standardOutput)")
      #expect(status.standardOutput.contains("projects/vision/data/x.txt"))
    }
  }

  /// A work tree whose `.git/info` is a link: art writes nothing through it.
  @Test func initNeverWritesThroughALinkedGitFolder() async throws {
    try await withTemporaryDirectory { folder in
      let outside = folder.appending("outside")
      try FileManager.default.createDirectory(
        atPath: outside.string, withIntermediateDirectories: true)
      let tree = folder.appending("tree")
      try writeFile(Array("ref: refs/heads/main\n".utf8), to: tree.appending(".git/HEAD"))
      #expect(symlink(outside.string, tree.appending(".git/info").string) == 0)
      #expect(await art("init", in: tree).status == 0)
      #expect(!FileManager.default.fileExists(atPath: outside.appending("exclude").string))
      // A `.git` file naming a folder that is no git folder: nothing either.
      let other = folder.appending("other")
      try writeFile(Array("gitdir: ../outside\n".utf8), to: other.appending(".git"))
      #expect(await art("init", in: other).status == 0)
      #expect(!FileManager.default.fileExists(atPath: outside.appending("info").string))
    }
  }

  /// Issue 17, item 5: the metrics and params diff.
  @Test func metadataDiffComesFirst() async throws {
    try await withTemporaryDirectory { folder in
      #expect(await art("init", in: folder).status == 0)
      try writeFile(Array("w1".utf8), to: folder.appending("ckpt/w.bin"))
      try writeFile(
        Array(#"{"acc": 0.91, "aug": {"rotation": 15, "flip": true}, "old": 1}"#.utf8),
        to: folder.appending("m7.json"))
      #expect(
        await art("commit", "ckpt", "ckpt", "--metadata-file", "m7.json", in: folder).status == 0)
      try writeFile(Array("w2".utf8), to: folder.appending("ckpt/w.bin"))
      try writeFile(
        Array(#"{"acc": 0.93, "aug": {"rotation": 30, "flip": true}, "lr": 0.001}"#.utf8),
        to: folder.appending("m8.json"))
      #expect(
        await art("commit", "ckpt", "--metadata-file", "m8.json", in: folder).status == 0)
      let diff = await art("diff", "ckpt:v0", "ckpt:v1", in: folder)
      #expect(
        diff.lines.prefix(5) == [
          "metadata:", "  acc: 0.91 -> 0.93", "  aug.rotation: 15 -> 30", "  + lr: 0.001",
          "  - old: 1",
        ], "\(diff.lines)")
      #expect(diff.standardOutput.contains("M  w.bin"))
      let only = await art("diff", "ckpt:v0", "ckpt:v1", "--metadata", "--exit-code", in: folder)
      #expect(only.status == 1)
      #expect(only.lines.count == 4, "\(only.lines)")
      // A metadata-only difference is a difference.
      try writeFile(Array(#"{"acc": 0.95}"#.utf8), to: folder.appending("m9.json"))
      #expect(
        await art(
          "commit", "ckpt", "--metadata-file", "m9.json", "--allow-empty", in: folder
        ).status == 0)
      #expect(await art("diff", "ckpt:v1", "ckpt:v2", "--exit-code", in: folder).status == 1)
      #expect(await art("diff", "ckpt:v2", "ckpt:v2", "--exit-code", in: folder).status == 0)
    }
  }
}
