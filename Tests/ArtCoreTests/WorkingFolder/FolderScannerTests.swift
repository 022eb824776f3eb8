import ArtStore
import ArtTestSupport
import Glibc
import SystemPackage
import Testing

@testable import ArtCore

/// The one reader of a working folder: what commit and status both see.
@Suite("Folder scanner")
struct FolderScannerTests {
  @Test func commitAndStatusRefuseTheSameNames() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      try writeFile(Array("x".utf8), to: folder.appending("data/ok.txt"))
      try writeFile(Array("x".utf8), to: folder.appending("data/bad\nname.txt"))
      let repository = try Repository(root: folder)
      await #expect(throws: ArtError.self) {
        _ = try await Snapshotter(repository: repository, writer: repository.makeWriter())
          .writeManifest(of: folder.appending("data"))
      }
      await #expect(throws: ArtError.self) {
        _ = try await WorkingTree.flatten(
          folder.appending("data"), chunking: repository.configuration.chunking)
      }
    }
  }

  @Test func specialFilesAndRepositoryNamesAreLeftOut() async throws {
    try await withTemporaryDirectory { folder in
      let data = folder.appending("data")
      try writeFile(Array("x".utf8), to: data.appending("a.txt"))
      try writeFile(Array("x".utf8), to: data.appending("sub/.art"))
      try Syscalls.makeDirectories(data.appending("nested/.art/objects"))
      try writeFile(Array("x".utf8), to: data.appending("nested/.art/objects/p"))
      #expect(mkfifo(data.appending("pipe").string, 0o644) == 0)
      try writeFile(Array("x".utf8), to: data.appending("refs/kept.bin"))
      var scanner = FolderScanner()
      scanner.skipping = [data.appending("refs/kept.bin")]
      let top = try await scanner.scan(data)
      let names = top.entries.map(\.name).sorted()
      #expect(names == ["a.txt", "nested", "refs", "sub"])
      #expect(
        top.skipped.contains { $0.hasSuffix("pipe: not a regular file, folder or symbolic link") })
      guard case .folder(let sub) = top.entries.first(where: { $0.name == "sub" })?.node,
        case .folder(let nested) = top.entries.first(where: { $0.name == "nested" })?.node,
        case .folder(let refs) = top.entries.first(where: { $0.name == "refs" })?.node
      else {
        Issue.record("sub, nested and refs are folders")
        return
      }
      #expect(sub.entries.isEmpty)
      #expect(sub.skipped.count == 1)
      #expect(nested.entries.isEmpty)
      #expect(refs.entries.isEmpty)
      #expect(refs.skippedOnPurpose == 1)
      // Status sees what commit sees: empty folders, not skipped paths.
      let flat = try await WorkingTree.flatten(
        data, chunking: ChunkerParameters.default, skipping: ["refs/kept.bin"])
      #expect(flat.keys.sorted() == ["a.txt", "nested", "sub"])
    }
  }
}
