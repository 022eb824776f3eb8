import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Cross-project use (`art project`, `PROJECT/NAME:ALIAS` specs) and the
/// shared cache, through the real binary.
@Suite("art binary, projects and the shared cache")
struct ProjectTests {
  /// Runs art with `ART_CACHE_DIR` set to `cache`.
  func art(_ arguments: String..., in folder: FilePath, cache: FilePath) throws -> ProcessResult {
    try ArtProcess.runTool(
      "/usr/bin/env", ["ART_CACHE_DIR=\(cache.string)", ArtProcess.binary] + arguments, in: folder)
  }

  @Test func versionsOfAnotherProjectAreUsedAndKept() async throws {
    try await withTemporaryDirectory { folder in
      let cache = folder.appending("cache")
      let vision = folder.appending("vision")
      let model = folder.appending("model")
      let other = folder.appending("other")
      try writeFile(.random(count: 3_000_000, seed: 1), to: vision.appending("data/images.bin"))
      try writeFile(Array("id,label\n1,cat\n".utf8), to: vision.appending("data/labels.csv"))
      try writeFile(Array("w\n".utf8), to: model.appending("out/weights.bin"))
      for repo in [vision, model, other] {
        try FileManager.default.createDirectory(
          atPath: repo.string, withIntermediateDirectories: true)
        #expect(try art("init", in: repo, cache: cache).status == 0)
      }
      #expect(
        try art("commit", "imagenet", "data", "--alias", "production", in: vision, cache: cache)
          .status == 0)
      let original = try readFile(vision.appending("data/images.bin"))

      // Adding: bad names, non-repositories and duplicates are refused.
      #expect(
        try art("project", "add", "bad/name", "../vision", in: model, cache: cache).status == 64)
      #expect(try art("project", "add", "x", "../nowhere", in: model, cache: cache).status == 1)
      #expect(try art("project", "add", "vision", "../vision", in: model, cache: cache).status == 0)
      #expect(try art("project", "add", "vision", "../other", in: model, cache: cache).status == 64)
      let list = try art("project", "ls", in: model, cache: cache)
      #expect(list.standardOutput.contains("vision\t\(vision.string)"), "\(list.standardOutput)")

      // show, log and --input read the other project.
      let show = try art("show", "vision/imagenet:production", in: model, cache: cache)
      #expect(show.status == 0, "\(show.standardError)")
      #expect(show.standardOutput.hasPrefix("vision/imagenet:v0 "))
      // Reading another project writes nothing there, not even a cache.
      for cache in ["lineage", "records"] {
        #expect(
          !FileManager.default.fileExists(atPath: vision.appending(".art/state/\(cache)").string))
      }
      #expect(try art("log", "vision/imagenet", in: model, cache: cache).lines.count == 1)
      let files = try art("ls-files", "vision/imagenet:production", in: model, cache: cache)
      #expect(files.status == 0, "\(files.standardError)")
      #expect(files.lines == ["images.bin", "labels.csv"], "\(files.standardOutput)")
      #expect(
        !FileManager.default.fileExists(atPath: vision.appending(".art/state/records").string))
      let commit = try art(
        "commit", "resnet", "out", "--input", "vision/imagenet:production", "--job", "train",
        in: model, cache: cache)
      #expect(commit.status == 0, "\(commit.standardError)")
      #expect(
        try art("show", "resnet", in: model, cache: cache).standardOutput.contains(
          "inputs:      vision/imagenet:v0"))
      // JSON names the input by label too (the Python package reads it).
      let shown = try art("show", "resnet", "--json", in: model, cache: cache).standardOutput
      #expect(shown.contains(#""version" : "vision/imagenet:v0""#), "\(shown)")
      #expect(
        try art("lineage", "resnet", in: model, cache: cache).standardOutput.contains(
          "← vision/imagenet:v0"))

      // checkout copies the objects in, through the cache.
      let copy = try art(
        "checkout", "vision/imagenet:production", "--to", "imgs", in: model, cache: cache)
      #expect(copy.status == 0, "\(copy.standardError)")
      #expect(copy.standardError.contains("copied vision/imagenet:v0 into this repository"))
      #expect(try readFile(model.appending("imgs/images.bin")) == original)
      let info = try art("cache", "info", "--json", in: model, cache: cache)
      let summary =
        try JSONSerialization.jsonObject(with: Data(info.standardOutputBytes))
        as? [String: Any]
      #expect((summary?["objects"] as? Int ?? 0) > 10, "\(info.standardOutput)")

      // A second repository takes the same objects from the cache.
      #expect(try art("project", "add", "vision", "../vision", in: other, cache: cache).status == 0)
      let second = try art(
        "checkout", "vision/imagenet:v0", "--to", "imgs", in: other, cache: cache)
      #expect(second.status == 0, "\(second.standardError)")
      #expect(second.standardError.contains("from the cache"), "\(second.standardError)")
      #expect(!second.standardError.contains(" 0 from the cache"), "\(second.standardError)")

      // The other project drops the version and collects it: the copy here
      // still checks out, and this repository's gc and fsck keep it.
      try writeFile(.random(count: 300_000, seed: 2), to: vision.appending("data/images.bin"))
      #expect(try art("commit", "imagenet", "data", in: vision, cache: cache).status == 0)
      #expect(
        try art("alias", "set", "imagenet:v1", "production", in: vision, cache: cache).status == 0)
      #expect(try art("rm", "imagenet:v0", in: vision, cache: cache).status == 0)
      #expect(try art("gc", "--grace", "0s", in: vision, cache: cache).status == 0)
      #expect(try art("gc", "--grace", "0s", in: model, cache: cache).status == 0)
      let fsck = try art("fsck", "--full", in: model, cache: cache)
      #expect(fsck.status == 0, "\(fsck.standardOutput)\(fsck.standardError)")
      let again = try art(
        "checkout", "vision/imagenet:v0", "--to", "imgs2", in: model, cache: cache)
      #expect(again.status == 0, "\(again.standardError)")
      #expect(again.standardError.contains("using the copy"), "\(again.standardError)")
      #expect(try readFile(model.appending("imgs2/images.bin")) == original)

      // Across projects, diff copies in what it compares.
      let diff = try art(
        "diff", "vision/imagenet:v1", "vision/imagenet:v0", in: model, cache: cache)
      #expect(diff.status == 0, "\(diff.standardError)")
      #expect(diff.standardOutput.contains("M  images.bin"), "\(diff.standardOutput)")

      // rm forgets the name; specs with it are then errors.
      #expect(try art("project", "rm", "vision", in: model, cache: cache).status == 0)
      // (Copies made here still answer to their old name.)
      #expect(try art("show", "vision/imagenet:v1", in: model, cache: cache).status == 0)
      let gone = try art("show", "vision/imagenet:production", in: model, cache: cache)
      #expect(gone.status == 1)
      #expect(gone.standardError.contains("no project 'vision'"), "\(gone.standardError)")
      #expect(try art("project", "rm", "vision", in: model, cache: cache).status == 1)
      #expect(try art("cache", "cleanup", "0", in: model, cache: cache).status == 0)
      #expect(
        try art("cache", "info", in: model, cache: cache).standardOutput.contains(": 0 objects"))
      #expect(try art("cache", "cleanup", "ten", in: model, cache: cache).status == 64)
    }
  }
}
