import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtCore

@Suite("Snapshotter and Materializer")
struct SnapshotTests {
  @Test func roundTripsATreeWithEdgeCases() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let data = folder.appending("data")
      try writeFile(Array("hello\n".utf8), to: data.appending("a.txt"))
      try writeFile([], to: data.appending("empty.bin"))
      try writeFile(.random(count: 2_500_000, seed: 1), to: data.appending("sub/big.bin"))
      try writeFile(Array("ü".utf8), to: data.appending("with space/naïve ü.txt"))
      try Syscalls.makeDirectories(data.appending("empty folder"))
      try Syscalls.symlink(target: Array("a.txt".utf8), at: data.appending("link"))
      try Syscalls.symlink(target: Array("/etc/passwd".utf8), at: data.appending("outside"))
      try Syscalls.setMode(data.appending("a.txt"), 0o755)

      let repository = try Repository(root: folder)
      let snapshot = try await Snapshotter(repository: repository, writer: repository.makeWriter())
        .writeManifest(of: data)
      #expect(snapshot.files == 4)
      #expect(snapshot.symlinks == 2)

      let reopened = try Repository(root: folder)
      let target = folder.appending("out")
      let result = try await Materializer(store: reopened.store).write(
        snapshot.manifestID, into: target)
      #expect(result.files == 4)
      let diff = try ArtProcess.runTool(
        "/usr/bin/diff", ["-r", "--no-dereference", "data", "out"], in: folder)
      #expect(diff.status == 0, "\(diff.standardOutput)")
      let mode =
        try FileManager.default.attributesOfItem(atPath: target.appending("a.txt").string)[
          .posixPermissions] as? Int
      #expect(mode == 0o755)
      #expect(
        try FileManager.default.destinationOfSymbolicLink(
          atPath: target.appending("outside").string)
          == "/etc/passwd")
    }
  }

  @Test func sameTreeGivesSameIdAndStoresNothingNew() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      for i in 0..<50 {
        try writeFile(.text(count: 1000 + i, seed: UInt64(i)), to: folder.appending("d/f\(i).csv"))
      }
      let repository = try Repository(root: folder)
      let first = try await Snapshotter(repository: repository, writer: repository.makeWriter())
        .writeManifest(of: folder.appending("d"))
      let second = try await Snapshotter(repository: repository, writer: repository.makeWriter())
        .writeManifest(of: folder.appending("d"))
      #expect(first.manifestID == second.manifestID)
      #expect(second.statistics.objectsWritten == 0)
      #expect(second.statistics.packs.isEmpty)
    }
  }

  @Test func neverStoresTheRepositoryFolder() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      try writeFile([1], to: folder.appending("x"))
      try writeFile([2], to: folder.appending("nested/.art/config"))
      try writeFile([3], to: folder.appending("sub/.art"))  // a file: never stored either
      let repository = try Repository(root: folder)
      let snapshot = try await Snapshotter(repository: repository, writer: repository.makeWriter())
        .writeManifest(of: folder)
      let store = try Repository(root: folder).store
      let manifest = try store.manifest(snapshot.manifestID)
      #expect(manifest.entries.map(\.name) == ["nested", "sub", "x"])
      #expect(try store.manifest(manifest.entries[0].id).entries.isEmpty)
      #expect(try store.manifest(manifest.entries[1].id).entries.isEmpty)
      #expect(snapshot.skipped.contains { $0.contains("sub/.art") })
    }
  }

  @Test func refusesNonEmptyTarget() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      try writeFile([1], to: folder.appending("d/x"))
      let repository = try Repository(root: folder)
      let snapshot = try await Snapshotter(repository: repository, writer: repository.makeWriter())
        .writeManifest(of: folder.appending("d"))
      await #expect(throws: ArtError.self) {
        try await Materializer(store: Repository(root: folder).store).write(
          snapshot.manifestID, into: folder.appending("d"))
      }
    }
  }
}
