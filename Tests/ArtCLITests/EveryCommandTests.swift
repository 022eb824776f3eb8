import ArtTestSupport
import SystemPackage
import Testing

/// Every command run once through the real binary, as a user would.
///
/// The behaviour of most commands is tested in process (see
/// `artInProcess`); this suite proves the binary wires each one up, prints
/// and exits as documented. Remotes, projects, references, distributed
/// drafts, crashes and the plumbing have binary suites of their own.
@Suite("art binary, every command")
struct EveryCommandTests {
  @Test func eachCommandRunsThroughTheBinary() async throws {
    try await withTemporaryDirectory { folder in
      func art(_ arguments: String...) throws -> ProcessResult {
        try ArtProcess.run(arguments, in: folder)
      }
      func expectSuccess(_ arguments: String..., printing text: String) throws {
        let result = try ArtProcess.run(arguments, in: folder)
        #expect(result.status == 0, "\(arguments): \(result.standardError)")
        #expect(
          result.standardOutput.contains(text), "\(arguments): \(result.standardOutput)")
      }
      try expectSuccess("init", printing: "Initialized empty art repository")
      try writeFile(.text(count: 4000, seed: 1), to: folder.appending("data/a.csv"))
      try expectSuccess("commit", "ds", "data", "-m", "first", printing: "ds:v0")
      try writeFile(.text(count: 4100, seed: 2), to: folder.appending("data/a.csv"))
      try expectSuccess("status", printing: "1 change")
      try writeFile(Array("*.tmp\n".utf8), to: folder.appending("data/.artignore"))
      try expectSuccess(
        "check-ignore", "data/x.tmp", printing: "data/.artignore:1:*.tmp\tdata/x.tmp")
      #expect(try art("check-ignore", "data/a.csv").status == 1)
      try expectSuccess("diff", "ds", printing: "M  a.csv")
      try expectSuccess("commit", "ds", "--input", "ds:v0", printing: "ds:v1")
      try expectSuccess("log", "ds", printing: "v1")
      try expectSuccess("ls", printing: "ds")
      try expectSuccess("show", "ds:v0", printing: "first")
      try expectSuccess("ls-files", "ds:v0", printing: "a.csv")
      let cat = try art("cat", "ds:v0:a.csv")
      #expect(cat.status == 0, "\(cat.standardError)")
      #expect(cat.standardOutputBytes == .text(count: 4000, seed: 1))
      try expectSuccess("verify", "ds:v1", "--folder", "data", printing: "matches")
      try expectSuccess("diff", "ds:v0", "ds:v1", printing: "M  a.csv")
      try expectSuccess("alias", "set", "ds:v0", "best", printing: "best")
      try expectSuccess("alias", "ls", printing: "best")
      try expectSuccess("alias", "rm", "ds:best", printing: "best")
      try expectSuccess("tag", "add", "ds:v0", "golden", printing: "golden")
      try expectSuccess("tag", "rm", "ds:v0", "golden", printing: "(none)")
      try expectSuccess("tag", "ls", printing: "")
      try expectSuccess("annotate", "ds:v0", "--metadata", "acc=0.9", printing: "annotated ds:v0")
      try expectSuccess("use", "ds:v0", "--run", "r1", printing: "run r1 used ds:v0")
      try expectSuccess("runs", printing: "run r1")
      let id = try art("rev-parse", "ds:v1")
      #expect(id.status == 0)
      #expect(id.standardOutput.utf8.count == 65, "\(id.standardOutput)")
      try expectSuccess("lineage", "ds:v1", printing: "ds:v0")
      try expectSuccess("verify", "ds", printing: "ds:v1")
      try expectSuccess("checkout", "ds:v0", "--to", "out", printing: "")
      #expect(try readFile(folder.appending("out/a.csv")) == .text(count: 4000, seed: 1))
      try expectSuccess("ttl", "set", "ds:v0", "30d", printing: "expires")
      try expectSuccess("du", printing: "dedup")
      try expectSuccess("ui", "--export", "site", printing: "wrote")
      #expect(try readFile(folder.appending("site/index.html")).count > 1000)
      try expectSuccess("fsck", printing: "")
      try expectSuccess("rm", "ds:v0", printing: "ds:v0")
      try expectSuccess("mv", "ds", "ds2", printing: "renamed ds to ds2")
      try expectSuccess("gc", "--grace", "0s", printing: "")
      try expectSuccess("repack", printing: "")
      try expectSuccess("repack", "--compression", "zstd:19", printing: "repacked")
      try expectSuccess("fsck", "--full", printing: "")
      let usage = try art("rm")
      #expect(usage.status == 64, "\(usage.standardError)")
    }
  }
}
