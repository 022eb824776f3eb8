public import ArtStore
import Synchronization
public import SystemPackage

/// A content-addressed cache of objects, shared by every repository of the
/// user: what one project copies from another (or from a remote) is read
/// from here the next time.
///
/// Layout under the cache folder (`ART_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/art`, else `~/.cache/art`):
///
/// - `objects/ab/<64 hex>`: one object: `ARTK`, u8 version 1, u8 kind,
///   2 zero bytes, the 32-byte SHA-256 of the raw bytes, then the raw bytes.
///   Its modification time is its last use.
/// - `users/<pid>-<n>`: one file per running command using the cache,
///   `flock`ed while it runs; its modification time is when it started.
///
/// Everything here can be rebuilt, so failures to write are ignored; a
/// damaged object is deleted and read from its source again.
public final class ObjectCache: Sendable {
  /// The cache folder.
  public let directory: FilePath
  private let user: FileDescriptor
  private let userPath: FilePath
  private static let counter = Atomic<Int>(0)
  private static let magic: [UInt8] = Array("ARTK".utf8)

  /// Where the cache is: `ART_CACHE_DIR`, `$XDG_CACHE_HOME/art` or
  /// `~/.cache/art`.
  public static var defaultDirectory: FilePath {
    if let path = Syscalls.environment("ART_CACHE_DIR") { return FilePath(path) }
    if let path = Syscalls.environment("XDG_CACHE_HOME") { return FilePath(path).appending("art") }
    return FilePath(Syscalls.environment("HOME") ?? "/tmp").appending(".cache/art")
  }

  /// Opens (making it if needed) the cache in `directory` and registers
  /// this command as a user until the object goes away.
  ///
  /// - Throws: ``ArtError`` `.io` when the folder cannot be made.
  public init(directory: FilePath = ObjectCache.defaultDirectory) throws {
    self.directory = directory
    try Syscalls.makeDirectories(directory.appending("objects"))
    try Syscalls.makeDirectories(directory.appending("users"))
    let number = Self.counter.add(1, ordering: .relaxed).newValue
    userPath = directory.appending("users/\(Syscalls.processID)-\(number)")
    do {
      user = try FileDescriptor.open(
        userPath, .writeOnly, options: [.create, .truncate, .closeOnExec],
        permissions: [.ownerRead, .ownerWrite])
    } catch {
      throw ArtError.io("create", userPath.string, error)
    }
    _ = Syscalls.touch(userPath)
    _ = try Syscalls.tryLock(user, exclusive: true, path: userPath)
  }

  deinit {
    try? Syscalls.unlink(userPath)
    try? user.close()
  }

  private func path(of id: ObjectID) -> FilePath {
    let hex = id.hex
    return directory.appending("objects/\(hex.prefix(2))/\(hex)")
  }

  /// Whether `id` is cached as `kind` (its header says so; the bytes are
  /// checked when read).
  public func contains(_ id: ObjectID, kind: ObjectKind) -> Bool {
    guard let fd = try? FileDescriptor.open(path(of: id), .readOnly, options: [.closeOnExec])
    else { return false }
    defer { try? fd.close() }
    var header = [UInt8](repeating: 0, count: 6)
    let count = (try? header.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
    return count == 6 && Array(header[0..<4]) == Self.magic && header[4] == 1
      && header[5] == kind.rawValue
  }

  /// The raw bytes of `id` if cached and intact; marks it used.
  public func read(_ id: ObjectID, kind: ObjectKind) -> [UInt8]? {
    let file = path(of: id)
    guard Syscalls.touch(file), let bytes = try? AtomicFile.read(file, limit: 1 << 30),
      bytes.count >= 40, Array(bytes[0..<4]) == Self.magic, bytes[4] == 1,
      bytes[5] == kind.rawValue
    else { return nil }
    let raw = Array(bytes[40...])
    let hash = ObjectHasher.id(of: raw)
    // The header's hash covers the bytes; a chunk list is named by its
    // file's hash instead, which its own header repeats and readers check.
    guard Array(bytes[8..<40]) == hash.bytes, kind == .chunkList || hash == id else {
      try? Syscalls.unlink(file)
      return nil
    }
    return raw
  }

  /// Drops `id` (best effort).
  public func remove(_ id: ObjectID) {
    try? Syscalls.unlink(path(of: id))
  }

  /// Adds `raw` as object `id` (best effort: a full disk only means a
  /// later miss).
  public func write(_ id: ObjectID, kind: ObjectKind, raw: [UInt8]) {
    let file = path(of: id)
    let folder = file.removingLastComponent()
    var bytes = Self.magic + [1, kind.rawValue, 0, 0]
    bytes += ObjectHasher.id(of: raw).bytes
    bytes += raw
    try? Syscalls.makeDirectories(folder)
    try? AtomicFile.write(bytes, to: file, durable: false)
  }

  /// What the cache holds.
  public struct Summary: Sendable, Encodable {
    /// The cache folder.
    public var directory: String
    /// Objects in it.
    public var objects = 0
    /// Bytes of those files.
    public var bytes: UInt64 = 0
    /// Commands using it now.
    public var users = 0
  }

  /// Counts the objects and the running commands of the cache in `directory`.
  public static func summary(of directory: FilePath) throws -> Summary {
    var summary = Summary(directory: directory.string)
    for (_, status) in try objects(in: directory) {
      summary.objects += 1
      summary.bytes += UInt64(status.size)
    }
    summary.users = try liveUsers(in: directory, removingStale: false).count
    return summary
  }

  /// What ``cleanup(_:to:)`` did.
  public struct Cleanup: Sendable, Encodable {
    /// Objects deleted.
    public var removed = 0
    /// Their bytes.
    public var bytesRemoved: UInt64 = 0
    /// Objects kept because a running command used them.
    public var keptInUse = 0
    /// Bytes left in the cache.
    public var bytesLeft: UInt64 = 0
  }

  /// Deletes objects, least recently used first, until at most `limit`
  /// bytes are left — never one that a running command has used since
  /// it started.
  public static func cleanup(_ directory: FilePath, to limit: UInt64) throws -> Cleanup {
    let started = try liveUsers(in: directory, removingStale: true).min()
    var all = try objects(in: directory).sorted {
      $0.1.modificationNanoseconds < $1.1.modificationNanoseconds
    }
    var total = all.reduce(UInt64(0)) { $0 + UInt64($1.1.size) }
    var result = Cleanup()
    while total > limit, !all.isEmpty {
      let (path, status) = all.removeFirst()
      if let started, status.modificationNanoseconds >= started {
        result.keptInUse += 1
        continue
      }
      guard (try? Syscalls.unlink(path)) != nil else { continue }
      result.removed += 1
      result.bytesRemoved += UInt64(status.size)
      total -= UInt64(status.size)
    }
    result.bytesLeft = total
    return result
  }

  private static func objects(in directory: FilePath) throws -> [(FilePath, FileStatus)] {
    let top = directory.appending("objects")
    guard Syscalls.isDirectory(top) else { return [] }
    var result: [(FilePath, FileStatus)] = []
    for (name, status) in try directoryEntriesWithStatus(top) where status.kind == .directory {
      guard let component = pathComponent(name) else { continue }
      let folder = top.appending(component)
      for (file, fileStatus) in try directoryEntriesWithStatus(folder)
      where fileStatus.kind == .regular {
        guard let fileComponent = pathComponent(file) else { continue }
        result.append((folder.appending(fileComponent), fileStatus))
      }
    }
    return result
  }

  /// Start times (ns) of the commands holding their user file's lock;
  /// files of commands that died are removed when asked.
  private static func liveUsers(in directory: FilePath, removingStale: Bool) throws -> [Int64] {
    let top = directory.appending("users")
    guard Syscalls.isDirectory(top) else { return [] }
    var started: [Int64] = []
    for (name, status) in try directoryEntriesWithStatus(top) where status.kind == .regular {
      guard let component = pathComponent(name) else { continue }
      let path = top.appending(component)
      guard let fd = try? FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) else {
        continue
      }
      defer { try? fd.close() }
      if (try? Syscalls.tryLock(fd, exclusive: true, path: path)) == true {
        if removingStale { try? Syscalls.unlink(path) }  // its command is gone
      } else {
        started.append(status.modificationNanoseconds)
      }
    }
    return started
  }
}
