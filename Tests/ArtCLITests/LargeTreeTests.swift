import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// The foundation's acceptance check, through the real binary: a tree with a
/// 1 GiB file and 20,000 small files goes through write-manifest and
/// read-manifest and comes back bit for bit.
@Suite("art binary, large trees")
struct LargeTreeTests {
  @Test(.tags(.large))
  func oneGiBFileAndTwentyThousandFilesRoundTrip() async throws {
    try await withTemporaryDirectory { folder in
      #expect(try ArtProcess.run(["init"], in: folder).status == 0)
      let data = folder.appending("data")
      // 1 GiB: random and text halves, written in 8 MiB pieces.
      try makeFolder(data)
      let big = FileHandle(
        forWritingAtPath: try createFile(data.appending("big.bin")).string)
      for piece in 0..<128 {
        let bytes: [UInt8] =
          piece % 2 == 0
          ? .random(count: 8 << 20, seed: UInt64(piece))
          : .text(count: 8 << 20, seed: UInt64(piece))
        try big?.write(contentsOf: Data(bytes))
      }
      try big?.close()
      for i in 0..<20_000 {
        let size = 1024 + (i * 7919) % 15_360
        try writeFile(
          .random(count: size, seed: UInt64(1_000 + i)),
          to: data.appending("small/d\(i % 50)/f\(i).bin"))
      }

      let written = try ArtProcess.run(["write-manifest", "data"], in: folder)
      #expect(written.status == 0, "\(written.standardError)")
      let id = try #require(written.lines.first)
      let read = try ArtProcess.run(["read-manifest", id, "restored"], in: folder)
      #expect(read.status == 0, "\(read.standardError)")
      let diff = try ArtProcess.runTool("/usr/bin/diff", ["-r", "data", "restored"], in: folder)
      #expect(diff.status == 0, "\(diff.standardOutput.prefix(2000))")
      let verify = try ArtProcess.run(["verify-pack"], in: folder)
      #expect(verify.status == 0, "\(verify.standardError)")
    }
  }
}

extension LargeTreeTests {
  static let realTree = "/usr/share/doc"

  /// A real tree from the system: thousands of files of every size, symlinks
  /// (some pointing outside it), unusual names.
  @Test(.tags(.large), .enabled(if: FileManager.default.fileExists(atPath: realTree)))
  func realTreeHashesLikeSha256sumAndRoundTrips() async throws {
    try await withTemporaryDirectory { folder in
      #expect(try ArtProcess.run(["init"], in: folder).status == 0)
      let find = try ArtProcess.runTool(
        "/usr/bin/find", [Self.realTree, "-type", "f", "-readable"], in: folder)
      let files = find.lines.sorted()
      #expect(files.count > 100)
      for batch in stride(from: 0, to: files.count, by: 2000) {
        let slice = Array(files[batch..<min(batch + 2000, files.count)])
        let art = try ArtProcess.run(["hash-object"] + slice, in: folder)
        #expect(art.status == 0, "\(art.standardError)")
        let sums = try ArtProcess.runTool("/usr/bin/sha256sum", slice, in: folder)
        #expect(art.lines == sums.lines.map { String($0.prefix(64)) })
      }

      let written = try ArtProcess.run(["write-manifest", Self.realTree], in: folder)
      #expect(written.status == 0, "\(written.standardError)")
      let id = try #require(written.lines.first)
      let read = try ArtProcess.run(["read-manifest", id, "restored"], in: folder)
      #expect(read.status == 0, "\(read.standardError)")
      let diff = try ArtProcess.runTool(
        "/usr/bin/diff", ["-r", "--no-dereference", Self.realTree, "restored"], in: folder)
      #expect(diff.status == 0, "\(diff.standardOutput.prefix(2000))")
    }
  }
}

private func makeFolder(_ path: FilePath) throws {
  try FileManager.default.createDirectory(atPath: path.string, withIntermediateDirectories: true)
}

private func createFile(_ path: FilePath) throws -> FilePath {
  guard FileManager.default.createFile(atPath: path.string, contents: nil) else {
    throw CocoaError(.fileWriteUnknown)
  }
  return path
}

extension Tag {
  /// Tests that move a gigabyte or more.
  @Tag static var large: Self
}
