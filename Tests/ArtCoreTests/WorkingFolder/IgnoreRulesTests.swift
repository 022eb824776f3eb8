import ArtStore
import ArtTestSupport
import Glibc
import SystemPackage
import Testing

@testable import ArtCore

/// `.artignore`: gitignore's syntax and precedence.
@Suite("Ignore rules")
struct IgnoreRulesTests {
  /// Whether the one-line file `pattern` matches `path`.
  func matches(_ pattern: String, _ path: String, folder: Bool = false) -> Bool {
    guard let rule = IgnoreRule(Substring(pattern), line: 1) else { return false }
    let parts = path.split(separator: "/").map(String.init)
    return rule.matches(parts[...], isFolder: folder)
  }

  @Test func globsFollowGitignore() {
    #expect(matches("*.swp", "a/b/tmp.swp"))
    #expect(!matches("*.swp", "a/b/tmp.swpx"))
    #expect(matches("tmp?.log", "tmp1.log"))
    #expect(matches("[a-c]x", "bx"))
    #expect(!matches("[!a-c]x", "bx"))
    #expect(matches("[^a-c]x", "dx"))
    #expect(matches("\\#name", "#name"))
    #expect(matches("\\!keep", "!keep"))
    #expect(IgnoreRule("# comment", line: 1) == nil)
    #expect(IgnoreRule("   ", line: 1) == nil)
    #expect(matches("trail\\ ", "trail "))
    #expect(matches("a[b", "a[b"), "an unterminated set is literal")
  }

  @Test func anchoringAndFolders() {
    #expect(matches("/top.txt", "top.txt"))
    #expect(!matches("/top.txt", "sub/top.txt"))
    #expect(matches("doc/frotz", "doc/frotz"))
    #expect(!matches("doc/frotz", "a/doc/frotz"), "an inner slash anchors")
    #expect(matches("build/", "x/build", folder: true))
    #expect(!matches("build/", "x/build", folder: false))
    #expect(matches("**/logs", "a/b/logs"))
    #expect(matches("**/logs", "logs"))
    #expect(matches("a/**/b", "a/b"))
    #expect(matches("a/**/b", "a/x/y/b"))
    #expect(matches("out/**", "out/x/y"))
    #expect(!matches("out/**", "out", folder: true), "a trailing /** matches inside only")
  }

  @Test func starsDoNotBacktrackForever() {
    let pattern = String(repeating: "*a", count: 40) + "b"
    let name = String(repeating: "a", count: 250)
    #expect(!matches(pattern, name))
    let deep = String(repeating: "**/", count: 40) + "z"
    #expect(!matches(deep, Array(repeating: "q", count: 60).joined(separator: "/")))
  }

  @Test func deeperFilesAndLaterLinesWin() async throws {
    try await withTemporaryDirectory { folder in
      try writeFile(Array("*.log\n!keep.log\n".utf8), to: folder.appending(".artignore"))
      try writeFile(Array("keep.log\n".utf8), to: folder.appending("sub/.artignore"))
      let rules = try IgnoreRules(root: folder, top: folder)
      #expect(rules.ignores("x.log", in: [], isFolder: false))
      #expect(!rules.ignores("keep.log", in: [], isFolder: false))
      #expect(rules.match(".git", in: [], isFolder: true)?.file == nil)
      #expect(rules.ignores(".git", in: [], isFolder: true))
      let sub = try rules.entering(folder.appending("sub"), relative: ["sub"])
      #expect(sub.ignores("keep.log", in: ["sub"], isFolder: false))
      let decided = try #require(
        try rules.explain(["sub", "keep.log"], root: folder, isFolder: false))
      #expect(decided.rule.line == 1)
      #expect(decided.file?.hasSuffix("sub/.artignore") == true)
      // Rules of the folders above a scanned root apply, relative to theirs.
      let below = try IgnoreRules(root: folder.appending("sub"), top: folder)
      #expect(below.ignores("other.log", in: [], isFolder: false))
      #expect(below.ignores("keep.log", in: [], isFolder: false))
    }
  }

  @Test func windowsLineEndingsAndLongPatterns() async throws {
    try await withTemporaryDirectory { folder in
      try writeFile(Array("*.txt\r\n\r\n*.log\r\n".utf8), to: folder.appending(".artignore"))
      let rules = try IgnoreRules(root: folder, top: nil)
      #expect(rules.ignores("a.txt", in: [], isFolder: false))
      #expect(rules.ignores("b.log", in: [], isFolder: false))
      try writeFile(
        Array((String(repeating: "*a", count: 600) + "b\n").utf8),
        to: folder.appending("long/.artignore"))
      #expect(throws: ArtError.self) { try IgnoreRules(root: folder.appending("long"), top: nil) }
    }
  }

  @Test func gitComesBackWithANegation() async throws {
    try await withTemporaryDirectory { folder in
      try writeFile(Array("!.git\n".utf8), to: folder.appending(".artignore"))
      let rules = try IgnoreRules(root: folder, top: folder)
      #expect(!rules.ignores(".git", in: [], isFolder: true))
    }
  }

  @Test func hostileIgnoreFilesAreNotFollowedOrSwallowed() async throws {
    try await withTemporaryDirectory { folder in
      try writeFile(Array("*\n".utf8), to: folder.appending("elsewhere"))
      try Syscalls.makeDirectories(folder.appending("a"))
      #expect(
        symlink(folder.appending("elsewhere").string, folder.appending("a/.artignore").string) == 0)
      let linked = try IgnoreRules(root: folder.appending("a"), top: nil)
      #expect(!linked.ignores("x", in: [], isFolder: false), "a linked .artignore is not read")
      try Syscalls.makeDirectories(folder.appending("b"))
      #expect(mkfifo(folder.appending("b/.artignore").string, 0o644) == 0)
      _ = try IgnoreRules(root: folder.appending("b"), top: nil)  // does not hang
      try writeFile([0xFF, 0xFE, 0x0A], to: folder.appending("c/.artignore"))
      #expect(throws: ArtError.self) { try IgnoreRules(root: folder.appending("c"), top: nil) }
      try writeFile(
        [UInt8](repeating: 0x61, count: IgnoreFile.maximumSize + 1),
        to: folder.appending("d/.artignore"))
      #expect(throws: ArtError.self) { try IgnoreRules(root: folder.appending("d"), top: nil) }
    }
  }
}
