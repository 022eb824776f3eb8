import ArtStore
import ArtTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

@testable import ArtCore

/// The confined writer's folder removals against hostile layouts: a link
/// on the way, a link in the folder's place, a file in it.
@Suite("Confined writer, removing folders")
struct ConfinedWriterTests {
  /// `top/` with an empty `top/gone/`, and `outside/` holding an empty
  /// `outside/empty/` and a file `outside/kept/file`.
  func layout(_ folder: FilePath) throws -> (top: FilePath, outside: FilePath) {
    let top = folder.appending("top")
    let outside = folder.appending("outside")
    try Syscalls.makeDirectories(top.appending("gone"))
    try Syscalls.makeDirectories(outside.appending("empty"))
    try writeFile(Array("data\n".utf8), to: outside.appending("kept/file"))
    return (top, outside)
  }

  @Test func anEmptyFolderGoesAndNothingElse() async throws {
    try await withTemporaryDirectory { folder in
      let (top, outside) = try layout(folder)
      // A link on the way to an empty folder outside, a link in a
      // folder's place, and a folder that holds a file.
      #expect(symlink(outside.string, top.appending("via").string) == 0)
      #expect(symlink(outside.appending("empty").string, top.appending("link").string) == 0)
      try writeFile(Array("mine\n".utf8), to: top.appending("full/mine.txt"))
      let writer = try ConfinedWriter(top: top, create: false)

      #expect(writer.removeIfEmptyFolder(try ConfinedPath("gone")))
      #expect(!Syscalls.isDirectory(top.appending("gone")))
      #expect(!writer.removeIfEmptyFolder(try ConfinedPath("via/empty")))
      #expect(!writer.removeIfEmptyFolder(try ConfinedPath("link")))
      #expect(!writer.removeIfEmptyFolder(try ConfinedPath("full")))
      #expect(!writer.removeIfEmptyFolder(try ConfinedPath("missing")))
      #expect(!writer.removeIfEmptyFolder(.top))
      #expect(Syscalls.isDirectory(outside.appending("empty")))
      #expect(try Syscalls.linkStatus(top.appending("link"))?.kind == .symlink)
      #expect(try readFile(top.appending("full/mine.txt")) == Array("mine\n".utf8))

      // Upward from a path: stops at the first folder that holds anything.
      try Syscalls.makeDirectories(top.appending("full/a/b"))
      writer.removeEmptyParents(of: try ConfinedPath("full/a/b/file"))
      #expect(!Syscalls.isDirectory(top.appending("full/a")))
      #expect(Syscalls.isDirectory(top.appending("full")))
    }
  }

  @Test func removeOnlyIfEmptyKeepsWhatAFolderHolds() async throws {
    try await withTemporaryDirectory { folder in
      let (top, outside) = try layout(folder)
      #expect(symlink(outside.appending("kept").string, top.appending("link").string) == 0)
      try writeFile(Array("mine\n".utf8), to: top.appending("full/mine.txt"))
      let writer = try ConfinedWriter(top: top, create: false)

      #expect(try !writer.remove(try ConfinedPath("full"), folderOnlyIfEmpty: true))
      #expect(try readFile(top.appending("full/mine.txt")) == Array("mine\n".utf8))
      // A link where a folder was is removed as a link; its target stays.
      #expect(try writer.remove(try ConfinedPath("link"), folderOnlyIfEmpty: true))
      #expect(try Syscalls.linkStatus(top.appending("link")) == nil)
      #expect(try readFile(outside.appending("kept/file")) == Array("data\n".utf8))
      #expect(try writer.remove(try ConfinedPath("gone"), folderOnlyIfEmpty: true))
      #expect(!Syscalls.isDirectory(top.appending("gone")))
    }
  }
}
