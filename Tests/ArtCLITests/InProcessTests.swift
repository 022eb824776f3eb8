import ArgumentParser
import ArtCore
import ArtStore
import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtCLI

/// Runs commands in this process with a capturing ``Output``, the way the
/// binary would, and returns (status, standard output, standard error).
func runInProcess(_ arguments: [String]) async -> (Int32, String, String) {
  let capture = Output(capturing: true)
  let status = await Output.$current.withValue(capture) {
    await ArtCommand.execute(arguments: arguments)
  }
  let (out, err) = capture.captured
  return (status, out, err)
}

/// Runs `arguments` in process in `folder` with the clock moved `ahead`
/// milliseconds: what a test does instead of sleeping for time to pass.
func artInProcess(_ arguments: String..., in folder: FilePath, clockAhead ahead: Int64 = 0) async
  -> ProcessResult
{
  await artInProcess(arguments, in: folder, clockAhead: ahead)
}

/// ``artInProcess(_:in:clockAhead:)`` with the arguments as an array.
func artInProcess(_ arguments: [String], in folder: FilePath, clockAhead ahead: Int64 = 0) async
  -> ProcessResult
{
  let (status, out, err) = await WallClock.$offset.withValue(ahead) {
    await runInProcess(["-C", folder.string] + arguments)
  }
  return ProcessResult(status: status, standardOutputBytes: Array(out.utf8), standardError: err)
}

@Suite("ArtCommand in process")
struct InProcessTests {
  @Test func helpListsThePlumbing() async {
    let (status, out, _) = await runInProcess(["--help"])
    #expect(status == 0)
    for name in [
      "init", "hash-object", "write-manifest", "read-manifest", "cat-object", "ls-manifest",
      "verify-pack", "count-objects",
    ] {
      #expect(out.contains(name), "help does not mention \(name)")
    }
  }

  /// Issue 16, item 9: help that reads as written.
  @Test(arguments: [
    "verify", "project", "remote", "push", "fetch", "pull", "clone", "cache", "gc", "lineage",
    "commit", "checkout", "log", "diff",
  ])
  func helpHasNoStrayBackslashesOrHugeDefaults(command: String) async {
    let (status, out, _) = await runInProcess([command, "--help"])
    #expect(status == 0)
    for line in out.split(separator: "\n") {
      #expect(!line.hasSuffix("\\"), "\(command): \(line)")
    }
    #expect(!out.contains("9223372036854775807"), "\(command)")
    // `[<options>]` is the convention; `<options>` alone reads as required.
    #expect(!out.contains(" <options>"), "\(command)")
  }

  @Test func usageErrorsExitWith64() async {
    let (status, _, err) = await runInProcess(["hash-object"])
    #expect(status == 64)
    #expect(err.contains("give at least one FILE, or --stdin"))
    let (compressionStatus, _, _) = await runInProcess(["hash-object", "--compression", "lz4", "x"])
    #expect(compressionStatus == 64)
  }

  /// A remote URL missing its `//` is refused as a mistyped URL (64),
  /// not taken for a folder inside the project; `./` makes it a folder.
  @Test func aMistypedRemoteURLIsNoFolder() async throws {
    try await withTemporaryDirectory { folder in
      #expect(await runInProcess(["init", "-C", folder.string]).0 == 0)
      for url in ["s3:/bucket/p", "s3:bucket", "https:/host/x"] {
        let (status, _, err) = await runInProcess(["remote", "add", "r", url, "-C", folder.string])
        #expect(status == 64, "\(url): \(err)")
        #expect(err.contains("it starts like one, without '//'"), "\(err)")
        #expect(err.contains("./\(url)"), "\(err)")
      }
      let (status, _, err) = await runInProcess(
        ["remote", "add", "r", "./s3:/bucket", "-C", folder.string])
      #expect(status == 0, "\(err)")
      #expect(RemoteSpec.startsWithScheme("s3:x") && !RemoteSpec.startsWithScheme("/a:b"))
      #expect(!RemoteSpec.startsWithScheme("../x:y") && !RemoteSpec.startsWithScheme("9p:x"))
    }
  }

  @Test func commandsHonorDirectoryOption() async throws {
    try await withTemporaryDirectory { folder in
      let (initStatus, out, _) = await runInProcess(["init", "-C", folder.string])
      #expect(initStatus == 0)
      #expect(out.contains(folder.appending(".art").string))
      try writeFile(Array("hello\n".utf8), to: folder.appending("a.txt"))
      let (status, hashes, _) = await runInProcess(["-C", folder.string, "hash-object", "a.txt"])
      #expect(status == 0)
      #expect(hashes == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n")
      let (countStatus, counts, _) = await runInProcess(["count-objects", "-C", folder.string])
      #expect(countStatus == 0)
      #expect(counts.contains("packs: 0"))
    }
  }

  @Test func progressLineShowsABarOnceTheTotalIsKnown() {
    let unknown = progressLine("commit", (3, 1024, nil, nil), seconds: 1)
    #expect(unknown == "commit 3 files, 1.0 KiB, 1.0 KiB/s")
    let half = progressLine("commit", (5, 512 << 20, 10, 1 << 30), seconds: 2)
    #expect(half == "commit [##########··········]  50% 5/10 files, 512.0 MiB/1.0 GiB, 256.0 MiB/s")
    let done = progressLine("checkout", (10, 100, 10, 100), seconds: 0)
    #expect(done.hasPrefix("checkout [####################] 100% 10/10 files"))
    // Issue 16, item 11: push counts packs, not "files".
    let push = progressLine("push", (1, 100, 2, 200), unit: "packs", seconds: 1)
    #expect(push.contains("1/2 packs"), "\(push)")
  }
}
