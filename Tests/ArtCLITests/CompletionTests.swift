import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Issue 17, item 9: shell completion of artifact names and specs, run
/// as the shells run it (the binary called back with `---completion`).
@Suite("shell completion, through the binary")
struct CompletionTests {
  /// What the binary offers for `words`, completing word `index` up to
  /// `cursor` characters, as `shell` asks.
  func complete(
    _ path: [String], _ words: [String], index: Int, cursor: Int, shell: String = "zsh",
    in folder: FilePath
  ) throws -> [String] {
    let result = try ArtProcess.runTool(
      "/usr/bin/env",
      ["SAP_SHELL=\(shell)", ArtProcess.binary, "---completion"] + path
        + ["--", "positional@0", "\(index)", "\(cursor)"] + words, in: folder)
    #expect(result.status == 0, "\(result.standardError)")
    // zsh's protocol ends the list with a line of one space.
    return result.lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
  }

  @Test func namesAndSpecsComeFromTheRepository() async throws {
    try await withTemporaryDirectory { folder in
      #expect(try ArtProcess.run(["init"], in: folder).status == 0)
      try writeFile(Array("a".utf8), to: folder.appending("data/a.txt"))
      #expect(try ArtProcess.run(["commit", "dataset", "data"], in: folder).status == 0)
      #expect(try ArtProcess.run(["commit", "docs", "data"], in: folder).status == 0)
      #expect(try ArtProcess.run(["alias", "set", "docs:v0", "best"], in: folder).status == 0)
      let names = try complete(["show"], ["art", "show", "d"], index: 2, cursor: 1, in: folder)
      #expect(names == ["dataset", "docs"], "\(names)")
      let labels = try complete(
        ["show"], ["art", "show", "docs:"], index: 2, cursor: 5, in: folder)
      #expect(labels == ["docs:v0", "docs:best", "docs:latest"], "\(labels)")
      // bash, with `:` out of COMP_WORDBREAKS, passes the word whole.
      let bash = try complete(
        ["tag", "add"], ["art", "tag", "add", "docs:b"], index: 3, cursor: 6, shell: "bash",
        in: folder)
      #expect(bash == ["docs:best"], "\(bash)")
      let artifacts = try complete(["log"], ["art", "log", ""], index: 2, cursor: 0, in: folder)
      #expect(artifacts == ["dataset", "docs"])
      // Outside a repository: nothing, and no error.
      let outside = try complete(
        ["show"], ["art", "show", ""], index: 2, cursor: 0, in: FilePath("/"))
      #expect(outside.isEmpty)
      for shell in ["bash", "zsh", "fish"] {
        let script = try ArtProcess.run(["--generate-completion-script", shell], in: folder)
        #expect(script.status == 0)
        #expect(script.standardOutput.contains("---completion"), "\(shell)")
      }
    }
  }
}
