import ArtStore
import Foundation
public import SystemPackage

/// Keeps git out of `.art`: a repository made inside a git work tree is
/// listed in that work tree's `.git/info/exclude` (git's own, never
/// committed ignore file), so `git add .` never commits the packs.
public enum GitExclude {
  /// Adds `/PATH/.art/` for the repository at `root` to the exclude file
  /// of the git work tree holding it; returns that file, or nil when
  /// `root` is in no git work tree, or git ignores its `.art` already (a
  /// `.gitignore` rule, as for a build folder; asked of `git check-ignore`
  /// when git is installed), or the line is there.
  ///
  /// - Throws: ``ArtError`` `.io` when the file cannot be written.
  public static func add(forRepositoryAt root: FilePath) throws -> FilePath? {
    let root = root.lexicallyNormalized()
    var top = root
    var gitDirectory: FilePath?
    while true {
      let dotGit = top.appending(".git")
      if let status = try Syscalls.linkStatus(dotGit) {
        gitDirectory = status.kind == .directory ? dotGit : try linkedDirectory(dotGit, in: top)
        break
      }
      guard !top.components.isEmpty else { break }
      top.removeLastComponent()
    }
    guard let gitDirectory, !ignoredByGit(root.appending(Repository.directoryName), in: top)
    else { return nil }
    // A linked work tree keeps its ignore files in the main repository.
    var common = gitDirectory
    if let bytes = try AtomicFile.read(gitDirectory.appending("commondir"), limit: 4096),
      let text = String(validating: bytes, as: UTF8.self)
    {
      common = gitDirectory.pushing(FilePath(text.trimmingWhitespace())).lexicallyNormalized()
    }
    let relative = root.components.dropFirst(top.components.count).map(\.string)
    let line = "/" + (relative + [Repository.directoryName]).joined(separator: "/") + "/"
    let file = common.appending("info/exclude")
    // The work tree is not art's: only a real git folder, reached without
    // a link below it, is written (a `.git` that is a link, or an `info`
    // that points elsewhere, is left alone).
    guard try Syscalls.linkStatus(common)?.kind == .directory,
      try Syscalls.linkStatus(common.appending("HEAD"))?.kind == .regular,
      try Syscalls.linkStatus(common.appending("info")).map({ $0.kind == .directory }) ?? true,
      try Syscalls.linkStatus(file).map({ $0.kind == .regular }) ?? true
    else { return nil }
    // And every read and write goes through the confined writer, so a link
    // put on the way meanwhile is refused, not followed.
    let writer = try ConfinedWriter(top: common, create: false)
    let path = try ConfinedPath("info/exclude")
    var existing: [UInt8] = []
    if try Syscalls.linkStatus(file) != nil {
      let fd = try writer.openFile(path)
      defer { try? fd.close() }
      existing = try AtomicFile.readAll(fd, name: file.string, limit: 16 << 20)
    }
    let text = String(decoding: existing, as: UTF8.self)
    if text.split(separator: "\n").contains(where: { $0.trimmingWhitespace() == line }) {
      return nil
    }
    var updated = existing
    if let last = updated.last, last != UInt8(ascii: "\n") { updated.append(UInt8(ascii: "\n")) }
    updated += Array("# added by art init: the art repository's store\n\(line)\n".utf8)
    let staged = try writer.stage(path, mode: 0o644)
    do {
      _ = try updated.withUnsafeBytes { try staged.descriptor.writeAll($0) }
      try Syscalls.sync(staged.descriptor, path: file)
    } catch {
      staged.discard()
      throw ArtError.io("write", file.string, error)
    }
    try staged.place()
    return file
  }

  /// Whether git ignores `path` already; false when git cannot say.
  private static func ignoredByGit(_ path: FilePath, in top: FilePath) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "-C", top.string, "check-ignore", "-q", path.string]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      return false
    }
    process.waitUntilExit()
    return process.terminationStatus == 0
  }

  /// The folder a `.git` file points at (`gitdir: PATH`, a submodule or a
  /// linked work tree), or nil when it says nothing readable.
  private static func linkedDirectory(_ file: FilePath, in folder: FilePath) throws -> FilePath? {
    guard let bytes = try AtomicFile.read(file, limit: 4096),
      let text = String(validating: bytes, as: UTF8.self), text.hasPrefix("gitdir:")
    else { return nil }
    let path = FilePath(String(text.dropFirst(7)).trimmingWhitespace())
    return folder.pushing(path).lexicallyNormalized()
  }
}
