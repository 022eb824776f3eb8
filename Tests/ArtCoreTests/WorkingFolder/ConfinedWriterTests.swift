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

  /// A mode set in place reaches only a regular file with one name inside
  /// the folder: never the target of a link in the file's place or on the
  /// way, nor a second name outside, and a FIFO there does not hang it.
  @Test func aModeIsSetOnlyOnAFileOfItsOwn() async throws {
    try await withTemporaryDirectory { folder in
      let (top, outside) = try layout(folder)
      let kept = outside.appending("kept/file")
      try Syscalls.setMode(kept, 0o644)
      #expect(symlink(kept.string, top.appending("link").string) == 0)
      #expect(symlink(outside.appending("kept").string, top.appending("via").string) == 0)
      #expect(link(kept.string, top.appending("second").string) == 0)
      #expect(mkfifo(top.appending("fifo").string, 0o644) == 0)
      try writeFile(Array("mine\n".utf8), to: top.appending("mine"))
      try Syscalls.setMode(top.appending("mine"), 0o644)
      let writer = try ConfinedWriter(top: top, create: false)

      for path in ["link", "via/file", "second", "fifo", "missing", "gone"] {
        #expect(!writer.setFileMode(try ConfinedPath(path), 0o755), "\(path)")
      }
      #expect(try Syscalls.linkStatus(kept)?.permissions == 0o644)
      #expect(try Syscalls.linkStatus(top.appending("fifo"))?.permissions == 0o644)
      #expect(writer.setFileMode(try ConfinedPath("mine"), 0o4755))
      #expect(
        try Syscalls.linkStatus(top.appending("mine"))?.permissions
          == ConfinedWriter.permissions(0o755))
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

/// Which modes on disk count as the recorded one: what a checkout leaves
/// under this process's umask, between two files or two folders only.
@Suite("Modes a checkout leaves")
struct ModeToCountTests {
  @Test func aModeLessTheUmaskCountsAsTheRecordedOne() {
    let mask = Syscalls.fileCreationMask
    for recorded: UInt32 in [0o664, 0o775, 0o644, 0o600, 0o4755] {
      let leftByCheckout = recorded & 0o777 & ~mask
      for kinds in [(ManifestEntry.Kind.file, ManifestEntry.Kind.chunked), (.folder, .folder)] {
        #expect(
          ConfinedWriter.modeToCount(
            disk: (kinds.0, leftByCheckout), recorded: (kinds.1, recorded)) == recorded)
      }
      // A bit the umask does not clear is a change; so is any between kinds.
      let other = leftByCheckout ^ 0o100
      #expect(
        ConfinedWriter.modeToCount(disk: (.file, other), recorded: (.file, recorded)) == other)
      #expect(
        ConfinedWriter.modeToCount(disk: (.folder, leftByCheckout), recorded: (.file, recorded))
          == leftByCheckout)
      #expect(
        ConfinedWriter.modeToCount(disk: (.symlink, leftByCheckout), recorded: (.symlink, recorded))
          == leftByCheckout)
    }
    // A folder's set-group-id, inherited from where it is, is left out;
    // a file's is a mode of its own.
    let folder = 0o2000 | (0o755 & ~mask)
    #expect(
      ConfinedWriter.modeToCount(disk: (.folder, folder), recorded: (.folder, 0o755)) == 0o755)
    // Nor is a recorded set-group-id bit the folder lacks: status shows none.
    #expect(
      ConfinedWriter.modeToCount(disk: (.folder, 0o775), recorded: (.folder, 0o2775)) == 0o2775)
    let file = 0o2000 | (0o755 & ~mask)
    #expect(ConfinedWriter.modeToCount(disk: (.file, file), recorded: (.file, 0o755)) == file)
  }
}
