import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Issue 17, items 3, 4 and 6: tags, annotations and uses — journal entries that
/// change while content and ids do not, and travel with push and pull.
@Suite("tags, annotations and uses, in process")
struct JournalCommandTests {
  func art(_ arguments: String..., in folder: FilePath, clockAhead: Int64 = 0) async
    -> ProcessResult
  {
    await artInProcess(arguments, in: folder, clockAhead: clockAhead)
  }

  func object(_ result: ProcessResult) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(result.standardOutputBytes))
    return try #require(value as? [String: Any], "\(result.standardOutput)")
  }

  /// ds:v0 (acc 0.91) and ds:v1 (acc 0.92).
  func makeRepository(_ folder: FilePath) async throws {
    #expect(await art("init", in: folder).status == 0)
    try writeFile(Array("a\n".utf8), to: folder.appending("data/a.txt"))
    #expect(await art("commit", "ds", "data", "--metadata", "acc=0.91", in: folder).status == 0)
    try writeFile(Array("b\n".utf8), to: folder.appending("data/b.txt"))
    #expect(await art("commit", "ds", "--metadata", "acc=0.92", in: folder).status == 0)
  }

  /// `a` with ds:v0 and ds:v1, pushed to a folder remote, and `b` cloned
  /// from it.
  func twoClones(_ top: FilePath) async throws -> (FilePath, FilePath) {
    let a = top.appending("a")
    let b = top.appending("b")
    try await makeRepository(a)
    let remote = top.appending("remote").string
    #expect(await art("remote", "add", "origin", remote, in: a).status == 0)
    #expect(await art("push", "origin", in: a).status == 0)
    #expect(await art("clone", remote, b.string, in: top).status == 0)
    return (a, b)
  }

  @Test func tagsAreSharedAndFilter() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let id = await art("rev-parse", "ds:v0", in: folder).standardOutput
      let added = await art("tag", "add", "ds:v0", "golden", "raw", in: folder)
      #expect(added.lines == ["ds:v0 tags: golden, raw"], "\(added.lines)")
      #expect(await art("tag", "add", "ds:v1", "golden", in: folder).status == 0)
      #expect(await art("tag", "rm", "ds:v0", "raw", in: folder).status == 0)
      #expect(await art("rev-parse", "ds:v0", in: folder).standardOutput == id, "ids never change")
      let listed = await art("tag", "ls", in: folder)
      #expect(listed.lines.count == 2)
      #expect(listed.lines.allSatisfy { $0.hasSuffix(" golden") }, "\(listed.lines)")
      let log = await art("log", "ds", "--tag", "golden", in: folder)
      #expect(log.lines.count == 2, "\(log.lines)")
      #expect(log.lines[0].contains("[golden]"))
      #expect(await art("log", "ds", "--tag", "raw", in: folder).lines == ["no version matches"])
      let show = try object(await art("show", "ds:v0", "--json", in: folder))
      #expect(show["tags"] as? [String] == ["golden"])
      #expect((show["edits"] as? [Any])?.count == 2)
      #expect(
        await art("checkout", "--match", "--tag", "golden", "--to", "out", in: folder).status == 0)
      #expect(FileManager.default.fileExists(atPath: folder.appending("out/ds/b.txt").string))
      let bad = await art("tag", "add", "ds:v0", "v3", in: folder)
      #expect(bad.status == 64)
      #expect(bad.standardError.contains("not a valid tag"))
      #expect(await art("tag", "add", "ds:v9", "x", in: folder).status == 1)
      let config = try String(
        contentsOfFile: folder.appending(".art/config").string, encoding: .utf8)
      // The journal needs 3; packs of format 2 have raised it to 6.
      #expect(config.contains("format = 6"), "the journal raises the format")
    }
  }

  @Test func annotationsEditLabelsNotContent() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let id = await art("rev-parse", "ds:v1", in: folder).standardOutput
      let annotate = await art(
        "annotate", "ds:v1", "-m", "best so far", "--metadata", "acc=0.93",
        "--metadata", "aug.rotation=15", in: folder)
      #expect(annotate.status == 0, "\(annotate.standardError)")
      #expect(await art("rev-parse", "ds:v1", in: folder).standardOutput == id)
      let show = try object(await art("show", "ds:v1", "--json", in: folder))
      #expect(show["description"] as? String == "best so far")
      let metadata = try #require(show["metadata"] as? [String: Any])
      #expect(metadata["acc"] as? Double == 0.93)
      #expect((metadata["aug"] as? [String: Any])?["rotation"] as? Int == 15)
      let edits = try #require(show["edits"] as? [[String: Any]])
      #expect(edits.count == 1)
      #expect(edits[0]["user"] as? String != nil)
      // Filters and diff see the current values.
      #expect(await art("ls", "--metadata", "acc>0.925", in: folder).lines.count == 1)
      #expect(await art("log", "ds", "--metadata", "aug.rotation=15", in: folder).lines.count == 1)
      let diff = await art("diff", "ds:v0", "ds:v1", "--metadata", in: folder)
      #expect(diff.standardOutput.contains("0.91"), "\(diff.standardOutput)")
      #expect(diff.standardOutput.contains("0.93"))
      #expect(
        await art("annotate", "ds:v1", "--unset", "aug.rotation", in: folder, clockAhead: 1000)
          .status == 0)
      let after = try object(await art("show", "ds:v1", "--json", in: folder))
      #expect((after["metadata"] as? [String: Any])?["aug"] == nil, "its last key went")
      #expect((after["edits"] as? [Any])?.count == 2)
      let text = await art("show", "ds:v1", in: folder)
      #expect(text.standardOutput.contains("unset aug.rotation"), "\(text.standardOutput)")
      // Misuse changes nothing.
      #expect(await art("annotate", "ds:v1", in: folder).status == 64)
      let missing = await art("annotate", "ds:v1", "--unset", "nope", in: folder)
      #expect(missing.status == 64)
      #expect(missing.standardError.contains("has no metadata key 'nope'"))
      #expect(await art("annotate", "ds:v1", "--metadata", "=1", in: folder).status == 64)
    }
  }

  @Test func annotateTakesAMetadataFileWithItsTypes() async throws {
    try await withTemporaryDirectory { folder in
      _ = await art("init", in: folder)
      try writeFile(Array("a".utf8), to: folder.appending("data/a.txt"))
      _ = await art("commit", "ds", "data", in: folder)
      try writeFile(
        Array(#"{"label": "42", "aug": {"crop": [0.8, 1.0]}}"#.utf8), to: folder.appending("m.json")
      )
      let annotated = await art(
        "annotate", "ds", "--metadata-file", "m.json", "--metadata", "rows=3", in: folder)
      #expect(annotated.status == 0, "\(annotated.standardError)")
      let metadata =
        try object(await art("show", "ds", "--json", in: folder))["metadata"]
        as? [String: Any]
      #expect(metadata?["label"] as? String == "42")
      #expect(metadata?["rows"] as? Int == 3)
      #expect((metadata?["aug"] as? [String: Any])?["crop"] as? [Double] == [0.8, 1.0])
      try writeFile(Array("[1]".utf8), to: folder.appending("bad.json"))
      let bad = await art("annotate", "ds", "--metadata-file", "bad.json", in: folder)
      #expect(bad.status == 64)
      #expect(bad.standardError.contains("is not a JSON object"))
    }
  }

  @Test func runsRecordWhatTheyUsedAndMade() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let use = await art("use", "ds:v0", "--run", "r1", "--job", "train", in: folder)
      #expect(use.lines == ["run r1 used ds:v0 " + use.lines[0].suffix(12)], "\(use.lines)")
      let again = await art("use", "ds:v0", "--run", "r1", "--job", "train", in: folder)
      #expect(again.standardOutput.contains("already recorded"))
      try writeFile(Array("w".utf8), to: folder.appending("model/w.bin"))
      #expect(await art("commit", "model", "model", "--run", "r1", in: folder).status == 0)
      let lineage = await art("lineage", "model", in: folder)
      #expect(lineage.standardOutput.contains("ds:v0"), "\(lineage.standardOutput)")
      let used = await art("lineage", "ds:v0", in: folder)
      #expect(used.standardOutput.contains("⇢ used by run r1 (train)"), "\(used.standardOutput)")
      let dot = await art("lineage", "ds:v0", "--format", "dot", in: folder)
      #expect(dot.standardOutput.contains("\"ds:v0\" -> \"run r1\""), "\(dot.standardOutput)")
      let runs = await art("runs", "r1", in: folder)
      #expect(runs.lines.first == "run r1")
      #expect(runs.standardOutput.contains("used  ds:v0"))
      #expect(runs.standardOutput.contains("made  model:v0"))
      let show = await art("show", "ds:v0", in: folder)
      #expect(
        show.standardOutput.contains("used by:     runs r1 (train)"), "\(show.standardOutput)")
      #expect(await art("runs", "nope", in: folder).status == 1)
      #expect(await art("use", "ds:v0", "--run", "", in: folder).status == 64)
    }
  }

  @Test func labelsTravelWithPushAndPull() async throws {
    try await withTemporaryDirectory { top in
      let a = top.appending("a")
      let b = top.appending("b")
      try await makeRepository(a)
      let remote = top.appending("remote").string
      #expect(await art("remote", "add", "origin", remote, in: a).status == 0)
      #expect(await art("tag", "add", "ds:v0", "golden", "old", in: a).status == 0)
      #expect(await art("annotate", "ds:v1", "--metadata", "lr=3", in: a).status == 0)
      #expect(await art("use", "ds:v1", "--run", "r1", in: a).status == 0)
      let push = try object(await art("push", "origin", "--json", in: a))
      #expect(push["journal"] as? Int == 3)
      #expect(await art("clone", remote, b.string, in: top).status == 0)
      #expect(await art("tag", "ls", in: b).standardOutput.contains("golden, old"))
      #expect(await art("runs", "r1", in: b).status == 0)
      // Both sides edit; the union is taken and the newest edit of a key wins.
      #expect(await art("tag", "rm", "ds:v0", "old", in: b, clockAhead: 5000).status == 0)
      #expect(
        await art("annotate", "ds:v1", "--metadata", "lr=5", in: b, clockAhead: 5000).status == 0)
      #expect(
        await art("annotate", "ds:v1", "--metadata", "lr=4", "--metadata", "seed=1", in: a).status
          == 0)
      #expect(await art("push", "origin", in: a).status == 0)
      #expect(await art("pull", "origin", in: b).status == 0)
      #expect(await art("push", "origin", in: b).status == 0)
      let pull = await art("pull", "origin", in: a)
      #expect(pull.standardOutput.contains("journal: 2 new events"), "\(pull.standardOutput)")
      for repository in [a, b] {
        let show = try object(await art("show", "ds:v1", "--json", in: repository))
        let metadata = try #require(show["metadata"] as? [String: Any])
        #expect(metadata["lr"] as? Int == 5, "\(repository): \(metadata)")
        #expect(metadata["seed"] as? Int == 1)
        #expect(await art("tag", "ls", in: repository).lines.first?.hasSuffix(" golden") == true)
      }
      let journal = try readFile(a.appending(".art/journal"))
      #expect(journal == (try readFile(b.appending(".art/journal"))), "both hold the same events")
    }
  }

  @Test func damagedLabelsAreReportedNotUsed() async throws {
    try await withTemporaryDirectory { top in
      let a = top.appending("a")
      try await makeRepository(a)
      #expect(await art("tag", "add", "ds:v0", "golden", in: a).status == 0)
      let remote = top.appending("remote")
      #expect(await art("remote", "add", "origin", remote.string, in: a).status == 0)
      #expect(await art("push", "origin", in: a).status == 0)
      let before = try readFile(a.appending(".art/journal"))
      // A hostile remote's journal: a line that is no event.
      try writeFile(
        Crafter.journal([#"{"time":1,"user":"x","version":"../../etc"}"#]),
        to: remote.appending("journal"))
      let pull = await art("pull", "origin", in: a)
      #expect(pull.status == 2, "\(pull.standardError)")
      #expect(pull.standardError.contains("journal' is damaged"))
      #expect(try readFile(a.appending(".art/journal")) == before)
      // A damaged local file: an error naming it, nothing shown from it.
      var bytes = before
      bytes[bytes.count / 2] ^= 0x01
      try writeFile(bytes, to: a.appending(".art/journal"))
      let show = await art("show", "ds:v0", in: a)
      #expect(show.status == 2)
      #expect(show.standardError.contains(".art/journal' is damaged"), "\(show.standardError)")
    }
  }

  @Test func renameMovesEverythingAndTravels() async throws {
    try await withTemporaryDirectory { top in
      let (a, b) = try await twoClones(top)
      try writeFile(Array("m".utf8), to: a.appending("model/m.bin"))
      #expect(
        await art("commit", "model", "model", "--input", "ds:v0", in: a).status == 0)
      #expect(await art("tag", "add", "ds:v1", "golden", in: a).status == 0)
      #expect(await art("alias", "set", "ds:v0", "production", in: a).status == 0)
      #expect(await art("ttl", "set", "ds:v1", "30d", in: a).status == 0)
      let moved = await art("mv", "ds", "images", in: a)
      #expect(moved.lines == ["renamed ds to images: 2 versions, 2 aliases"], "\(moved.lines)")
      #expect(await art("ls", in: a).standardOutput.contains("ds ") == false)
      let show = try object(await art("show", "images:v1", "--json", in: a))
      #expect(show["artifact"] as? String == "images")
      #expect(show["tags"] as? [String] == ["golden"])
      #expect(show["expires"] as? String != nil, "the TTL follows the version")
      #expect(await art("rev-parse", "images:production", in: a).status == 0)
      let lineage = await art("lineage", "model", in: a)
      #expect(lineage.standardOutput.contains("images:v0"), "\(lineage.standardOutput)")
      let status = await art("status", "images", in: a)
      #expect(status.standardOutput.contains("images: at v1 (latest)"), "\(status.standardOutput)")
      try writeFile(Array("c\n".utf8), to: a.appending("data/c.txt"))
      let commit = await art("commit", "images", in: a)
      #expect(commit.standardOutput.hasPrefix("images:v2"), "\(commit.standardOutput)")
      #expect(await art("fsck", in: a).status == 0)
      let config = try String(contentsOfFile: a.appending(".art/config").string, encoding: .utf8)
      #expect(config.contains("format = 6"))
      // Misuse: a name in use, an unknown artifact, a bad name.
      let taken = await art("mv", "images", "model", in: a)
      #expect(taken.status == 1)
      #expect(taken.standardError.contains("is in use"))
      #expect(await art("mv", "nope", "x", in: a).status == 1)
      #expect(await art("mv", "images", "bad name", in: a).status == 64)
      // The remote learns it at the next push, the clone at its pull.
      #expect(await art("push", "origin", in: a).status == 0)
      let pull = await art("pull", "origin", in: b)
      #expect(pull.status == 0, "\(pull.standardError)")
      let listed = await art("ls", in: b)
      #expect(listed.standardOutput.contains("images"), "\(listed.standardOutput)")
      #expect(!listed.standardOutput.contains("ds "), "\(listed.standardOutput)")
      #expect(await art("log", "images", "--tag", "golden", in: b).lines.count == 1)
      #expect(await art("fsck", in: b).status == 0)
    }
  }

  @Test func renamesMadeDifferentlyOnTwoSidesAreStoppedNotMerged() async throws {
    try await withTemporaryDirectory { top in
      let (a, b) = try await twoClones(top)
      #expect(await art("mv", "ds", "y", in: a).status == 0)
      #expect(await art("push", "origin", in: a).status == 0)
      // b renamed it another way: its pull stops, saying how to settle it.
      #expect(await art("mv", "ds", "z", in: b).status == 0)
      let refused = await art("push", "origin", in: b)
      #expect(refused.status == 1, "\(refused.standardOutput)")
      let pull = await art("pull", "origin", in: b)
      #expect(pull.status == 1)
      #expect(pull.standardError.contains("art mv z y"), "\(pull.standardError)")
      #expect(await art("ls", in: b).lines.count == 1, "nothing taken")
      #expect(await art("mv", "z", "y", in: b).status == 0)
      #expect(await art("pull", "origin", in: b).status == 0)
      #expect(await art("push", "origin", in: b).status == 0)
      #expect(await art("pull", "origin", in: a).status == 0)
      for repository in [a, b] {
        let listed = await art("ls", in: repository)
        #expect(listed.lines.count == 1 && listed.lines[0].hasPrefix("y "), "\(listed.lines)")
        #expect(await art("fsck", in: repository).status == 0)
      }
      // A rename onto a name the other side uses for its own versions.
      #expect(await art("mv", "y", "x", in: a).status == 0)
      #expect(await art("push", "origin", in: a).status == 0)
      try writeFile(Array("own".utf8), to: b.appending("own/f"))
      #expect(await art("commit", "x", "own", in: b).status == 0)
      let taken = await art("pull", "origin", in: b)
      #expect(taken.status == 1)
      #expect(
        taken.standardError.contains("'x' here holds other versions"), "\(taken.standardError)")
      #expect(await art("mv", "x", "mine", in: b).status == 0)
      #expect(await art("pull", "origin", in: b).status == 0)
      let names = await art("ls", in: b).lines.map { $0.split(separator: " ").first ?? "" }
      #expect(names == ["mine", "x"], "\(names)")
    }
  }

  @Test func hostileTextIsNeitherObeyedNorAccepted() async throws {
    try await withTemporaryDirectory { top in
      let a = top.appending("a")
      try await makeRepository(a)
      let id = await art("rev-parse", "ds:v0", in: a).standardOutput
        .trimmingCharacters(in: .whitespacesAndNewlines)
      let remote = top.appending("remote")
      #expect(await art("remote", "add", "origin", remote.string, in: a).status == 0)
      #expect(await art("push", "origin", in: a).status == 0)
      try writeFile(
        Crafter.journal([
          #"{"description":"\u001b]0;PWNED\u0007\u001b[2Jred","time":5,"user":"x","version":"\#(id)"}"#
        ]), to: remote.appending("journal"))
      #expect(await art("pull", "origin", in: a).status == 0)
      let show = await art("show", "ds:v0", in: a)
      #expect(
        !show.standardOutput.unicodeScalars.contains { $0.value == 0x1B },
        "no escape reaches the terminal")
      #expect(show.standardOutput.contains("\u{FFFD}]0;PWNED"))
      try writeFile(
        Crafter.journal([#"{"time":6,"user":"e\u001b[31m","version":"\#(id)","tag":["t"]}"#]),
        to: remote.appending("journal"))
      #expect(await art("pull", "origin", in: a).status == 2, "a user with control characters")
      // Local misuse, each refused with the reason.
      #expect(await art("tag", "add", "ds:v0", "latest", in: a).status == 64)
      let absent = await art("tag", "rm", "ds:v0", "nope", in: a)
      #expect(absent.status == 1)
      #expect(absent.standardError.contains("has no tag 'nope'"))
      #expect(
        await art("annotate", "ds:v0", "--metadata", "k=1", "--unset", "acc", in: a).status == 0)
      let both = await art("annotate", "ds:v0", "--metadata", "k=2", "--unset", "k", in: a)
      #expect(both.standardError.contains("both name 'k'"), "\(both.standardError)")
      let through = await art("annotate", "ds:v0", "--metadata", "k.x=1", in: a)
      #expect(through.status == 64)
      #expect(through.standardError.contains("holds a number"), "\(through.standardError)")
      let newline = await art("use", "ds:v0", "--run", "a\nb", in: a)
      #expect(newline.standardError.contains("one line"), "\(newline.standardError)")
      // A damaged journal: listings fail too, rather than look empty.
      var bytes = try readFile(a.appending(".art/journal"))
      bytes.append(contentsOf: Array("junk\n".utf8))
      try writeFile(bytes, to: a.appending(".art/journal"))
      #expect(await art("ls", in: a).status == 2)
      #expect(await art("log", "ds", in: a).status == 2)
    }
  }

  @Test func removingEveryVersionStillPushes() async throws {
    try await withTemporaryDirectory { top in
      let (a, b) = try await twoClones(top)
      #expect(await art("rm", "ds:v1", in: a).status == 0)
      #expect(await art("rm", "ds:v0", in: a).status == 0)
      let push = await art("push", "origin", in: a)
      #expect(push.status == 0, "\(push.standardError)")
      #expect(await art("push", "origin", "ds", in: a).status == 0, "by name too")
      #expect(await art("pull", "origin", in: b).status == 0)
      #expect(await art("log", "ds", in: b).status != 0, "no version of ds is left")
      #expect(await art("fsck", in: b).status == 0)
      // Uses: an empty job is no job, and lineage JSON keeps each job.
      try await makeRepository(top.appending("c"))
      let c = top.appending("c")
      #expect(await art("use", "ds:v0", "--run", "r", "--job", "", in: c).status == 0)
      #expect(await art("use", "ds:v0", "--run", "r", "--job", "eval", in: c).status == 0)
      let lineage = try object(await art("lineage", "ds:v0", "--json", in: c))
      let nodes = try #require(lineage["nodes"] as? [[String: Any]])
      let uses = try #require(nodes.first?["usedBy"] as? [[String: Any]])
      #expect(uses.count == 2)
      #expect(uses[0]["job"] == nil)
      #expect(uses[1]["job"] as? String == "eval")
    }
  }
}
