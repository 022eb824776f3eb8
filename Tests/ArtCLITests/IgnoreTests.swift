import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Issue 17, item 1: `.artignore`, honoured by every reader of a working
/// folder and by `checkout --clean`.
@Suite("ignore files, in process")
struct IgnoreTests {
  func art(_ arguments: String..., in folder: FilePath) async -> ProcessResult {
    await artInProcess(arguments, in: folder)
  }

  /// A project as a new user has it: a git repository, editor and OS
  /// litter, a Python cache, and an `.artignore` at the top.
  func makeProject(_ folder: FilePath) async throws {
    #expect(await art("init", in: folder).status == 0)
    try writeFile(Array("a\n".utf8), to: folder.appending("data/a.csv"))
    try writeFile(Array("ref: x\n".utf8), to: folder.appending("data/.git/HEAD"))
    try writeFile(Array("pyc".utf8), to: folder.appending("data/__pycache__/m.pyc"))
    try writeFile(Array("ds".utf8), to: folder.appending("data/.DS_Store"))
    try writeFile(Array("swp".utf8), to: folder.appending("data/tmp.swp"))
    try writeFile(Array("k".utf8), to: folder.appending("data/logs/keep.log"))
    try writeFile(Array("d".utf8), to: folder.appending("data/logs/debug.log"))
    try writeFile(
      Array("__pycache__/\n.DS_Store\n*.swp\n*.log\n".utf8), to: folder.appending(".artignore"))
    try writeFile(Array("!keep.log\n".utf8), to: folder.appending("data/logs/.artignore"))
  }

  @Test func commitStatusAndDiffLeaveOutWhatTheRulesSay() async throws {
    try await withTemporaryDirectory { folder in
      try await makeProject(folder)
      #expect(await art("commit", "ds", "data", in: folder).status == 0)
      let files = await art("ls-files", "ds", in: folder)
      #expect(files.lines == ["a.csv", "logs/.artignore", "logs/keep.log"], "\(files.lines)")
      // New litter changes nothing; a new data file does.
      try writeFile(Array("x".utf8), to: folder.appending("data/other.swp"))
      try writeFile(Array("x".utf8), to: folder.appending("data/sub/.git/config"))
      let clean = await art("status", in: folder)
      #expect(clean.standardOutput.contains("clean"), "\(clean.standardOutput)")
      #expect(await art("diff", "ds", "--exit-code", in: folder).status == 0)
      #expect(await art("verify", "ds", "--folder", "data", in: folder).status == 0)
      try writeFile(Array("b\n".utf8), to: folder.appending("data/b.csv"))
      let diff = await art("diff", "ds", "--name-status", in: folder)
      #expect(diff.lines == ["A\tb.csv"], "\(diff.lines)")
      // write-manifest and upsert read the folder the same way.
      let manifest = await art("write-manifest", "data", in: folder)
      let id = manifest.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
      let listed = await art("ls-manifest", "-r", id, in: folder)
      #expect(!listed.standardOutput.contains(".swp"), "\(listed.standardOutput)")
      #expect(!listed.standardOutput.contains("__pycache__"))
      #expect(
        await art("upsert", "shards", "--distributed-id", "r1", "data", in: folder).status == 0)
      #expect(await art("finish", "shards", "--distributed-id", "r1", in: folder).status == 0)
      let shard = await art("ls-files", "shards", in: folder)
      #expect(!shard.standardOutput.contains(".git"), "\(shard.standardOutput)")
      #expect(!shard.standardOutput.contains(".DS_Store"))
    }
  }

  @Test func gitComesBackWhenAskedFor() async throws {
    try await withTemporaryDirectory { folder in
      try await makeProject(folder)
      try writeFile(Array("!.git\n".utf8), to: folder.appending("data/.artignore"))
      #expect(await art("commit", "ds", "data", in: folder).status == 0)
      let files = await art("ls-files", "ds", in: folder)
      #expect(files.lines.contains(".git/HEAD"), "\(files.lines)")
    }
  }

  @Test func cleanCheckoutKeepsIgnoredFiles() async throws {
    try await withTemporaryDirectory { folder in
      try await makeProject(folder)
      #expect(await art("commit", "ds", "data", in: folder).status == 0)
      #expect(await art("checkout", "ds", "--to", "copy", in: folder).status == 0)
      try writeFile(Array("w".utf8), to: folder.appending("copy/scratch.swp"))
      try writeFile(Array("w".utf8), to: folder.appending("copy/stray.txt"))
      try writeFile(Array("w".utf8), to: folder.appending("copy/logs/debug.log"))
      try writeFile(Array("w".utf8), to: folder.appending("copy/logs/other.txt"))
      let checkout = await art("checkout", "ds", "--to", "copy", "--clean", in: folder)
      #expect(checkout.status == 0, "\(checkout.standardError)")
      let exists = { (path: String) in
        FileManager.default.fileExists(atPath: folder.appending(path).string)
      }
      #expect(exists("copy/scratch.swp"), "the top .artignore applies to copy/ too")
      #expect(exists("copy/logs/debug.log"))
      #expect(!exists("copy/stray.txt"))
      #expect(!exists("copy/logs/other.txt"))
      #expect(exists("copy/logs/keep.log"))
      // A folder the version lacks is emptied of what is not ignored, and
      // kept while it holds something ignored or a repository.
      try writeFile(Array("r".utf8), to: folder.appending("copy/repo/.git/HEAD"))
      try writeFile(Array("w".utf8), to: folder.appending("copy/repo/notes.txt"))
      try writeFile(Array("w".utf8), to: folder.appending("copy/cache/x.swp"))
      try writeFile(Array("w".utf8), to: folder.appending("copy/cache/y.txt"))
      try writeFile(Array("w".utf8), to: folder.appending("copy/gone/deep/z.txt"))
      let again = await art("checkout", "ds", "--to", "copy", "--clean", in: folder)
      #expect(again.status == 0, "\(again.standardError)")
      #expect(exists("copy/repo/.git/HEAD"))
      #expect(!exists("copy/repo/notes.txt"))
      #expect(exists("copy/cache/x.swp"))
      #expect(!exists("copy/cache/y.txt"))
      #expect(!exists("copy/gone"))
      // An .artignore the version lacks stays, so running again keeps
      // what it keeps.
      try writeFile(Array("local.bin\n".utf8), to: folder.appending("copy/extra/.artignore"))
      try writeFile(Array("w".utf8), to: folder.appending("copy/extra/local.bin"))
      for _ in 0..<2 {
        #expect(await art("checkout", "ds", "--to", "copy", "--clean", in: folder).status == 0)
        #expect(exists("copy/extra/local.bin"))
        #expect(exists("copy/extra/.artignore"))
      }
    }
  }

  @Test func checkIgnoreNamesTheRule() async throws {
    try await withTemporaryDirectory { folder in
      try await makeProject(folder)
      let checked = await art(
        "check-ignore", "data/tmp.swp", "data/__pycache__/m.pyc", "data/logs/keep.log",
        "data/a.csv", "data/.git", in: folder)
      #expect(checked.status == 0)
      #expect(
        checked.lines == [
          ".artignore:3:*.swp\tdata/tmp.swp", ".artignore:1:__pycache__/\tdata/__pycache__/m.pyc",
          "(built-in):0:.git\tdata/.git",
        ], "\(checked.lines)")
      let none = await art("check-ignore", "-n", "data/a.csv", "data/logs/keep.log", in: folder)
      #expect(none.status == 1)
      #expect(
        none.lines == ["::\tdata/a.csv", "data/logs/.artignore:1:!keep.log\tdata/logs/keep.log"],
        "\(none.lines)")
      // Below an ignored folder, the folder's rule decides.
      let below = await art("check-ignore", "data/__pycache__/new/deep.txt", in: folder)
      #expect(below.lines == [".artignore:1:__pycache__/\tdata/__pycache__/new/deep.txt"])
      let outside = await art("check-ignore", "../elsewhere", in: folder)
      #expect(outside.status == 64)
      try writeFile([0xFF, 0x0A], to: folder.appending("data/.artignore"))
      let bad = await art("commit", "ds", "data", in: folder)
      #expect(bad.status == 64)
      #expect(bad.standardError.contains("data/.artignore' is not UTF-8"), "\(bad.standardError)")
      #expect(await art("ls", in: folder).standardOutput.contains("ds") == false)
    }
  }
}
