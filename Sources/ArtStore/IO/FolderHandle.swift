import CArtSystem
package import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open folder, and the `*at` system calls relative to it.
///
/// Every call takes a single name (no `/`): nothing here walks a path, and
/// nothing follows a symbolic link at the name itself, so whatever is put in
/// the folder later cannot redirect a call made through this handle. The
/// caller closes it. `path` only names the folder in errors.
package struct FolderHandle: Sendable {
  /// The descriptor (`O_DIRECTORY`).
  package let descriptor: FileDescriptor
  /// The folder's path, for messages.
  package let path: FilePath

  /// Opens the folder at `path`, following symbolic links: for folders the
  /// user named (a `--to` target, the repository's top).
  package static func open(_ path: FilePath) throws -> FolderHandle {
    do {
      let fd = try FileDescriptor.open(path, .readOnly, options: [.directory, .closeOnExec])
      return FolderHandle(descriptor: fd, path: path)
    } catch {
      if (error as? Errno) == .noSuchFileOrDirectory {
        throw ArtError(.notFound, "no folder '\(path)'")
      }
      throw ArtError.io("open folder", path.string, error)
    }
  }

  package init(descriptor: FileDescriptor, path: FilePath) {
    self.descriptor = descriptor
    self.path = path
  }

  package func close() { try? descriptor.close() }

  /// A second handle on the same folder (`dup`), closed on its own.
  package func duplicate() throws -> FolderHandle {
    let copy = dup(descriptor.rawValue)
    guard copy >= 0 else { throw ArtError.io("open folder", path.string, Errno(rawValue: errno)) }
    return FolderHandle(descriptor: FileDescriptor(rawValue: copy), path: path)
  }

  private func child(_ name: String) -> FilePath { path.appending(name) }

  /// Opens `relative` (components joined by `/`) below this folder as a
  /// folder, refusing any symbolic link and any path leaving it, in one
  /// `openat2` call; nil where the kernel has no `openat2` or the path is
  /// missing, a link or not a folder (the caller then walks component by
  /// component to learn which).
  package func openBeneath(_ relative: String) -> FolderHandle? {
    let fd = relative.withCString {
      art_openat_beneath(descriptor.rawValue, $0, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
    }
    guard fd >= 0 else { return nil }
    return FolderHandle(descriptor: FileDescriptor(rawValue: fd), path: path.appending(relative))
  }

  /// What is at `name` without following a link; nil when nothing is.
  package func status(_ name: String) throws -> FileStatus? {
    var info = stat()
    if fstatat(descriptor.rawValue, name, &info, AT_SYMLINK_NOFOLLOW) != 0 {
      let error = Errno(rawValue: errno)
      if error == .noSuchFileOrDirectory || error == .notDirectory { return nil }
      throw ArtError.io("read status of", child(name).string, error)
    }
    return FileStatus(info)
  }

  /// Opens the folder `name`; nil when it is missing.
  ///
  /// A symbolic link or a file there throws `.tooManySymbolicLinkLevels`
  /// or `.notDirectory`.
  package func openFolder(_ name: String) throws(Errno) -> FolderHandle? {
    let fd = openat(descriptor.rawValue, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    if fd >= 0 { return FolderHandle(descriptor: FileDescriptor(rawValue: fd), path: child(name)) }
    let error = Errno(rawValue: errno)
    if error == .noSuchFileOrDirectory { return nil }
    throw error
  }

  /// Creates the folder `name`; false when something is already there.
  @discardableResult
  package func makeFolder(_ name: String, mode: UInt32 = 0o755) throws -> Bool {
    do {
      try retryingOnInterrupt { mkdirat(descriptor.rawValue, name, mode_t(mode)) }
      return true
    } catch {
      if error == .fileExists { return false }
      throw ArtError.io("create folder", child(name).string, error)
    }
  }

  /// Removes the file or link `name` (never what a link points to); a name
  /// already gone is not an error.
  package func unlink(_ name: String) throws {
    do {
      try retryingOnInterrupt { unlinkat(descriptor.rawValue, name, 0) }
    } catch {
      if error == .noSuchFileOrDirectory { return }
      throw ArtError.io("remove", child(name).string, error)
    }
  }

  /// Removes the folder `name` if it is empty; false when it holds
  /// anything, or is gone.
  package func removeFolderIfEmpty(_ name: String) throws -> Bool {
    do {
      try retryingOnInterrupt { unlinkat(descriptor.rawValue, name, AT_REMOVEDIR) }
      return true
    } catch {
      if error == .directoryNotEmpty || error == .fileExists || error == .noSuchFileOrDirectory {
        return false
      }
      throw ArtError.io("remove folder", child(name).string, error)
    }
  }

  /// Removes the empty folder `name`.
  package func removeFolder(_ name: String) throws {
    do {
      try retryingOnInterrupt { unlinkat(descriptor.rawValue, name, AT_REMOVEDIR) }
    } catch {
      throw ArtError.io("remove folder", child(name).string, error)
    }
  }

  /// Removes `name` and, for a folder, everything below it, without
  /// following any symbolic link.
  package func removeTree(_ name: String) throws {
    guard let status = try status(name) else { return }
    guard status.kind == .directory else { return try unlink(name) }
    let folder: FolderHandle
    do {
      guard let opened = try openFolder(name) else { return }
      folder = opened
    } catch {
      throw ArtError.io("open folder", child(name).string, error)
    }
    defer { folder.close() }
    for entry in try folder.names() { try folder.removeTree(entry) }
    try removeFolder(name)
  }

  /// The names in this folder, without `.` and `..`; names that are not
  /// UTF-8 are returned as decoded with replacement (they are never art's).
  package func names() throws -> [String] {
    let copy = dup(descriptor.rawValue)
    guard copy >= 0, let dir = fdopendir(copy) else {
      throw ArtError.io("list folder", path.string, Errno(rawValue: errno))
    }
    defer { closedir(dir) }
    rewinddir(dir)  // the copy shares its position with every other copy
    return try ArtStore.names(of: dir, path: path).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Renames `source` to `target`, both in this folder, replacing `target`
  /// (a link at `target` is replaced, not followed).
  package func rename(_ source: String, to target: String) throws {
    do {
      try retryingOnInterrupt {
        renameat(descriptor.rawValue, source, descriptor.rawValue, target)
      }
    } catch {
      throw ArtError.io("rename to '\(child(target))' from", child(source).string, error)
    }
  }

  /// Creates a symbolic link `name` holding `target`.
  package func symlink(target: [UInt8], at name: String) throws {
    let cTarget = target.map { CChar(bitPattern: $0) } + [0]
    do {
      try retryingOnInterrupt { symlinkat(cTarget, descriptor.rawValue, name) }
    } catch {
      throw ArtError.io("create symbolic link", child(name).string, error)
    }
  }

  /// The bytes the symbolic link `name` holds.
  package func readLink(_ name: String) throws -> [UInt8] {
    var size = 256
    while true {
      var buffer = [CChar](repeating: 0, count: size)
      let count = readlinkat(descriptor.rawValue, name, &buffer, size)
      if count < 0 {
        throw ArtError.io("read symbolic link", child(name).string, Errno(rawValue: errno))
      }
      if count < size { return buffer[0..<count].map { UInt8(bitPattern: $0) } }
      size *= 4
    }
  }

  /// Opens the file `name` for reading; a symbolic link there is refused.
  package func openFile(_ name: String) throws -> FileDescriptor {
    // O_NONBLOCK: a FIFO put in the file's place does not hang the open
    // (it changes nothing for a regular file).
    let fd = openat(descriptor.rawValue, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
    if fd >= 0 { return FileDescriptor(rawValue: fd) }
    throw ArtError.io("open", child(name).string, Errno(rawValue: errno))
  }

  /// Creates the new file `name` for writing with `mode` (less the umask);
  /// fails if anything, a link included, is already there.
  package func createFile(_ name: String, mode: UInt32) throws -> FileDescriptor {
    let fd = openat(
      descriptor.rawValue, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
      mode_t(mode))
    if fd >= 0 { return FileDescriptor(rawValue: fd) }
    throw ArtError.io("create", child(name).string, Errno(rawValue: errno))
  }

  /// An unnamed file in this folder (`O_TMPFILE`) with `mode` (less the
  /// umask), to be named by ``link(_:as:)`` once complete; nil where the
  /// file system cannot make one.
  package func createUnnamed(mode: UInt32) throws -> FileDescriptor? {
    let flag = art_o_tmpfile()
    if flag == 0 || !Self.procSelfFD { return nil }
    let fd = openat(descriptor.rawValue, ".", flag | O_WRONLY | O_CLOEXEC, mode_t(mode))
    if fd >= 0 { return FileDescriptor(rawValue: fd) }
    let error = Errno(rawValue: errno)
    if error == .notSupported || error == .isDirectory || error == .invalidArgument { return nil }
    throw ArtError.io("create a file in", path.string, error)
  }

  // Naming an unnamed file goes through /proc/self/fd; without /proc, none.
  private static let procSelfFD = Syscalls.isDirectory(FilePath("/proc/self/fd"))

  /// Gives the unnamed file `fd` the name `name` in this folder; fails with
  /// `.fileExists` when the name is taken.
  package func link(_ fd: FileDescriptor, as name: String) throws(Errno) {
    let source = "/proc/self/fd/\(fd.rawValue)"
    _ = try retryingOnInterrupt {
      linkat(AT_FDCWD, source, descriptor.rawValue, name, AT_SYMLINK_FOLLOW)
    }
  }

  /// Sets the permission bits of this folder.
  package func setMode(_ mode: UInt32) throws {
    try Syscalls.setMode(descriptor, mode, path: path)
  }
}
