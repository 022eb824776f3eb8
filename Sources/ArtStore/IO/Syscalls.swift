import CArtSystem
package import SystemPackage

// The only folder that calls libc directly: thin wrappers that retry on EINTR
// and turn failures into `ArtError` values naming the path.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Calls `body` until it does not fail with `EINTR`.
@discardableResult
package func retryingOnInterrupt(_ body: () -> CInt) throws(Errno) -> CInt {
  while true {
    let result = body()
    if result != -1 { return result }
    let error = Errno(rawValue: errno)
    if error != .interrupted { throw error }
  }
}

/// Small system calls the library needs and swift-system lacks.
package enum Syscalls {
  /// Flushes a file's data and metadata to stable storage (`fsync(2)`).
  package static func sync(_ fd: FileDescriptor, path: FilePath) throws {
    do {
      try retryingOnInterrupt { fsync(fd.rawValue) }
    } catch {
      throw ArtError.io("sync", path.string, error)
    }
  }

  /// Flushes a folder's entries, so renames and creations in it are durable.
  package static func syncDirectory(_ path: FilePath) throws {
    let fd: FileDescriptor
    do {
      fd = try FileDescriptor.open(path, .readOnly, options: [.directory, .closeOnExec])
    } catch {
      throw ArtError.io("open folder", path.string, error)
    }
    defer { try? fd.close() }
    try sync(fd, path: path)
  }

  /// Renames `source` to `target` atomically, replacing `target`.
  package static func rename(_ source: FilePath, to target: FilePath) throws {
    do {
      try retryingOnInterrupt {
        source.withPlatformString { s in target.withPlatformString { t in Glibc.rename(s, t) } }
      }
    } catch {
      throw ArtError.io("rename to '\(target.string)' from", source.string, error)
    }
  }

  /// Removes a file; a file that is already gone is not an error.
  package static func unlink(_ path: FilePath) throws {
    do {
      try retryingOnInterrupt { path.withPlatformString { Glibc.unlink($0) } }
    } catch {
      if error == .noSuchFileOrDirectory { return }
      throw ArtError.io("remove", path.string, error)
    }
  }

  /// Removes an empty folder.
  package static func removeDirectory(_ path: FilePath) throws {
    do {
      try retryingOnInterrupt { path.withPlatformString { rmdir($0) } }
    } catch {
      throw ArtError.io("remove folder", path.string, error)
    }
  }

  /// The current working folder.
  package static func currentDirectory() throws -> FilePath {
    guard let pointer = getcwd(nil, 0) else {
      throw ArtError.io("read", "the current folder", Errno(rawValue: errno))
    }
    defer { free(pointer) }
    return FilePath(platformString: pointer)
  }

  /// Creates a folder; returns false when something already exists there.
  @discardableResult
  package static func makeDirectory(_ path: FilePath, mode: mode_t = 0o755) throws
    -> Bool
  {
    do {
      try retryingOnInterrupt { path.withPlatformString { mkdir($0, mode) } }
      return true
    } catch {
      if error == .fileExists { return false }
      throw ArtError.io("create folder", path.string, error)
    }
  }

  /// A new folder only this user can enter (mode 0700), under `$TMPDIR`
  /// or `/tmp`, named `PREFIX-XXXXXX` by `mkdtemp(3)`: never one that
  /// existed, so no other user can have made it first or linked it away.
  package static func makeTemporaryFolder(prefix: String) throws -> FilePath {
    let parent = environment("TMPDIR") ?? "/tmp"
    var template = Array(FilePath(parent).appending("\(prefix)-XXXXXX").string.utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress.flatMap { mkdtemp($0) }
    }
    guard made != nil else {
      throw ArtError.io("create temporary folder in", parent, Errno(rawValue: errno))
    }
    return FilePath(
      String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
  }

  /// Creates `path` and every missing parent folder.
  package static func makeDirectories(_ path: FilePath) throws {
    if path.isEmpty || isDirectory(path) { return }
    var parent = path
    if parent.removeLastComponent(), !parent.isEmpty, parent != path {
      try makeDirectories(parent)
    }
    try makeDirectory(path)
  }

  /// Creates a symbolic link at `path` holding `target`.
  package static func symlink(target: [UInt8], at path: FilePath) throws {
    let cTarget = target.map { CChar(bitPattern: $0) } + [0]
    do {
      try retryingOnInterrupt { path.withPlatformString { Glibc.symlink(cTarget, $0) } }
    } catch {
      throw ArtError.io("create symbolic link", path.string, error)
    }
  }

  /// Sets permission bits (`chmod(2)`).
  package static func setMode(_ path: FilePath, _ mode: UInt32) throws {
    do {
      try retryingOnInterrupt { path.withPlatformString { chmod($0, mode_t(mode)) } }
    } catch {
      throw ArtError.io("set permissions of", path.string, error)
    }
  }

  /// The bytes a symbolic link holds.
  package static func readLink(_ path: FilePath) throws -> [UInt8] {
    var size = 256
    while true {
      var buffer = [CChar](repeating: 0, count: size)
      let count = path.withPlatformString { readlink($0, &buffer, size) }
      if count < 0 { throw ArtError.io("read symbolic link", path.string, Errno(rawValue: errno)) }
      if count < size { return buffer[0..<count].map { UInt8(bitPattern: $0) } }
      size *= 4
    }
  }

  /// The process's file creation mask, read once: from `/proc/self/status`
  /// where it is shown; otherwise by `umask(2)`, which can only be read by
  /// setting it, so it is set back at once.
  package static let fileCreationMask: UInt32 = {
    if let bytes = try? AtomicFile.read(FilePath("/proc/self/status"), limit: 1 << 16),
      let text = String(validating: bytes, as: UTF8.self),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
      let mask = UInt32(line.dropFirst(6).drop { $0 == " " || $0 == "\t" }, radix: 8)
    {
      return mask
    }
    let mask = Glibc.umask(0o022)
    Glibc.umask(mask)
    return UInt32(mask)
  }()

  /// Sets permission bits of an open file (`fchmod(2)`); `path` names it in errors.
  package static func setMode(_ fd: FileDescriptor, _ mode: UInt32, path: FilePath) throws {
    do {
      try retryingOnInterrupt { fchmod(fd.rawValue, mode_t(mode)) }
    } catch {
      throw ArtError.io("set permissions of", path.string, error)
    }
  }

  /// The status of `path` without following a final symbolic link, or nil if
  /// nothing is there.
  package static func linkStatus(_ path: FilePath) throws -> FileStatus? {
    try status(of: path, following: false)
  }

  /// The status of `path`, following symbolic links, or nil if nothing is
  /// there.
  package static func fileStatus(_ path: FilePath) throws -> FileStatus? {
    try status(of: path, following: true)
  }

  private static func status(of path: FilePath, following: Bool) throws -> FileStatus? {
    var info = stat()
    let result = path.withPlatformString { following ? stat($0, &info) : lstat($0, &info) }
    if result != 0 {
      let error = Errno(rawValue: errno)
      if error == .noSuchFileOrDirectory || error == .notDirectory { return nil }
      throw ArtError.io("read status of", path.string, error)
    }
    return FileStatus(info)
  }

  /// Whether `path` is a folder (following symbolic links).
  package static func isDirectory(_ path: FilePath) -> Bool {
    var info = stat()
    let result = path.withPlatformString { stat($0, &info) }
    return result == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// The status of an open file.
  package static func status(_ fd: FileDescriptor, path: FilePath) throws -> FileStatus {
    var info = stat()
    if fstat(fd.rawValue, &info) != 0 {
      throw ArtError.io("read status of", path.string, Errno(rawValue: errno))
    }
    return FileStatus(info)
  }

  /// `path` opened to append to when it is a regular file with one name;
  /// nil otherwise (missing, a link put in its place, a second name of a
  /// file elsewhere), so a cache is never written through a link.
  package static func openOwnFileForAppending(_ path: FilePath) -> FileDescriptor? {
    guard
      let fd = try? FileDescriptor.open(
        path, .writeOnly, options: [.append, .closeOnExec, .noFollow, .nonBlocking])
    else { return nil }
    if let status = try? Syscalls.status(fd, path: path), status.kind == .regular,
      status.linkCount == 1
    {
      return fd
    }
    try? fd.close()
    return nil
  }

  /// `path` opened to read when it is a regular file, with its size; nil
  /// otherwise (missing, or a link put in its place).
  package static func openOwnFileForReading(_ path: FilePath) -> (FileDescriptor, Int)? {
    guard let fd = try? openForReading(path, nonBlocking: true) else { return nil }
    if let status = try? Syscalls.status(fd, path: path), status.kind == .regular {
      return (fd, Int(status.size))
    }
    try? fd.close()
    return nil
  }

  /// Creates `path` (which must not exist) for writing, with O_DIRECT when
  /// the file system supports it; returns whether it did.
  package static func createForDirectWriting(_ path: FilePath) throws -> (FileDescriptor, Bool) {
    let base: FileDescriptor.OpenOptions = [.create, .exclusiveCreate, .closeOnExec]
    let permissions: FilePermissions = [.ownerRead, .groupRead, .otherRead, .ownerWrite]
    let direct = art_o_direct()
    if direct != 0 {
      do {
        let fd = try FileDescriptor.open(
          path, .writeOnly, options: base.union(.init(rawValue: direct)),
          permissions: permissions)
        return (fd, true)
      } catch {
        // tmpfs and some network file systems refuse O_DIRECT: write buffered.
        if (error as? Errno) != .invalidArgument { throw ArtError.io("create", path.string, error) }
      }
    }
    do {
      return (
        try FileDescriptor.open(path, .writeOnly, options: base, permissions: permissions), false
      )
    } catch {
      throw ArtError.io("create", path.string, error)
    }
  }

  /// `path` with every link resolved (`realpath(3)`); nil when some part
  /// of it does not exist.
  package static func realPath(_ path: FilePath) -> FilePath? {
    guard let resolved = path.withPlatformString({ realpath($0, nil) }) else { return nil }
    defer { free(resolved) }
    return FilePath(platformString: resolved)
  }

  /// Where the open file `fd` really is, links resolved (its
  /// `/proc/self/fd` entry); nil where that cannot be read.
  package static func realPath(of fd: FileDescriptor) -> FilePath? {
    guard let bytes = try? readLink(FilePath("/proc/self/fd/\(fd.rawValue)")) else { return nil }
    return FilePath(String(decoding: bytes, as: UTF8.self))
  }

  /// Sets an open file's length (`ftruncate(2)`).
  package static func truncate(_ fd: FileDescriptor, to size: UInt64, path: FilePath) throws {
    do {
      try retryingOnInterrupt { ftruncate(fd.rawValue, off_t(size)) }
    } catch {
      throw ArtError.io("truncate", path.string, error)
    }
  }

  /// Raises the soft limit on open descriptors to the hard limit.
  ///
  /// Go and Rust programs do the same at start, so commands reading from
  /// many packs at once do not fail with "Too many open files". Failure
  /// leaves the limit as it is.
  package static func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max
    else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
  }

  /// Tries to take an advisory `flock` on `fd` without blocking; returns
  /// false when another process holds a conflicting lock.
  package static func tryLock(_ fd: FileDescriptor, exclusive: Bool, path: FilePath) throws -> Bool
  {
    if flock(fd.rawValue, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 { return true }
    if errno == EWOULDBLOCK || errno == EINTR { return false }
    throw ArtError.io("lock", path.string, Errno(rawValue: errno))
  }

  /// Sets the modification time of `path` to now; false when it is gone.
  package static func touch(_ path: FilePath) -> Bool {
    path.withPlatformString { utimensat(AT_FDCWD, $0, nil, 0) } == 0
  }

  /// The environment variable `name`, if set and not empty.
  package static func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
  }

  /// Whether process `pid` exists (`kill(pid, 0)`); a process owned by
  /// another user counts as existing.
  package static func processExists(_ pid: Int32) -> Bool {
    if pid <= 0 { return false }
    return kill(pid, 0) == 0 || errno == EPERM
  }

  /// Blocks the calling thread for `milliseconds` (used only to poll a lock
  /// held by another process).
  package static func sleep(milliseconds: Int) {
    usleep(useconds_t(milliseconds * 1000))
  }

  /// Wall-clock time in milliseconds since 1970 UTC.
  package static func currentTimeMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
  }

  /// Whether standard error is a terminal (where progress is shown).
  package static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

  /// The process id, used to name temporary files.
  package static var processID: Int32 { getpid() }

  /// The number of processors available to this process.
  package static var processorCount: Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  }
}

/// The parts of `stat(2)` that art uses.
package struct FileStatus: Sendable {
  /// What kind of file this is.
  package enum Kind: Sendable { case regular, directory, symlink, special }
  package var kind: Kind
  package var size: Int64
  /// Permission bits, `0o7777` at most.
  package var permissions: UInt32
  package var inode: UInt64
  /// The number of names (hard links) the file has.
  package var linkCount: UInt64
  package var modificationNanoseconds: Int64
  package var changeNanoseconds: Int64

  init(_ info: stat) {
    switch info.st_mode & S_IFMT {
    case S_IFREG: kind = .regular
    case S_IFDIR: kind = .directory
    case S_IFLNK: kind = .symlink
    default: kind = .special
    }
    size = Int64(info.st_size)
    permissions = UInt32(info.st_mode & 0o7777)
    inode = UInt64(info.st_ino)
    linkCount = UInt64(info.st_nlink)
    modificationNanoseconds =
      Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    changeNanoseconds = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
  }
}

extension FileDescriptor.OpenOptions {
  /// `O_NOCTTY`: opening a terminal does not make it this process's.
  package static var noControllingTerminal: Self { Self(rawValue: O_NOCTTY) }
}
