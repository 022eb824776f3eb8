import ArtStore
import Glibc
public import SystemPackage

/// A remote in a folder (a shared disk): one file per key.
///
/// Files are written to a temporary name, synced and renamed. A
/// conditional write holds an exclusive `flock` on `.art-remote.lock` in
/// the folder while it compares the current file's SHA-256 (its tag) and
/// renames, so two machines on one shared disk cannot both win.
public struct FolderStorage: RemoteStorage {
  /// The remote's folder.
  public let root: FilePath

  /// A remote in `root` (made when missing).
  public init(root: FilePath) {
    self.root = root
  }

  public var location: String { root.string }

  private func path(_ key: String) -> FilePath { root.appending(key) }

  private func tag(_ bytes: [UInt8]) -> String { "\"\(ObjectHasher.id(of: bytes).hex)\"" }

  public func read(_ key: String) async throws -> (bytes: [UInt8], tag: String)? {
    guard let bytes = try AtomicFile.read(path(key), limit: 1 << 30) else { return nil }
    return (bytes, tag(bytes))
  }

  public func read(_ key: String, range: Range<UInt64>) async throws -> [UInt8] {
    let file: FileDescriptor
    do {
      file = try openForReading(path(key))
    } catch let error as ArtError where error.code != .corruptData {
      throw ArtError(
        .notFound, "\(location)/\(key) is missing",
        hint: "another machine may have removed it (art gc --remote); fetch and try again")
    }
    defer { try? file.close() }
    return try readPart(file, path: path(key), range: range)
  }

  @discardableResult
  public func write(_ key: String, _ bytes: [UInt8], condition: WriteCondition?) async throws
    -> String
  {
    let target = path(key)
    var folder = target
    folder.removeLastComponent()
    try Syscalls.makeDirectories(folder)
    guard let condition else {
      try AtomicFile.write(bytes, to: target)
      return tag(bytes)
    }
    try Syscalls.makeDirectories(root)
    let lockPath = root.appending(".art-remote.lock")
    let lock: FileDescriptor
    do {
      lock = try FileDescriptor.open(
        lockPath, .readWrite, options: [.create, .closeOnExec],
        permissions: [.ownerReadWrite, .groupReadWrite, .otherRead])
    } catch {
      throw ArtError.io("open", lockPath.string, error)
    }
    defer { try? lock.close() }
    while flock(lock.rawValue, LOCK_EX) != 0 {
      if errno != EINTR { throw ArtError.io("lock", lockPath.string, Errno(rawValue: errno)) }
    }
    let current = try AtomicFile.read(target, limit: 1 << 30).map(tag)
    switch condition {
    case .absent where current != nil, .matches where current != condition.expected:
      throw ArtError(
        .locked, "\(key) changed on the remote since it was read", hint: "fetch and try again")
    default:
      try AtomicFile.write(bytes, to: target)
      return tag(bytes)
    }
  }

  public func upload(
    _ key: String, from source: FilePath, size: UInt64,
    progress: @escaping @Sendable (UInt64) -> Void
  ) async throws -> UInt64 {
    let target = path(key)
    var folder = target
    folder.removeLastComponent()
    try Syscalls.makeDirectories(folder)
    try copyFile(source, to: target, size: size, progress: progress)
    return 0
  }

  public func download(
    _ key: String, to target: FilePath, size: UInt64,
    progress: @escaping @Sendable (UInt64) -> Void
  ) async throws {
    try copyFile(path(key), to: target, size: size, progress: progress)
  }

  /// Copies in 4 MiB steps into a temporary file, syncs it, renames it.
  private func copyFile(
    _ source: FilePath, to target: FilePath, size: UInt64, progress: @Sendable (UInt64) -> Void
  ) throws {
    let input = try openForReading(source)
    defer { try? input.close() }
    let temporary = FilePath(target.string + ".tmp-\(Syscalls.processID)")
    let output = try createForWriting(temporary)
    do {
      var offset: UInt64 = 0
      while offset < size {
        let range = offset..<min(size, offset + (4 << 20))
        let bytes = try readPart(input, path: source, range: range)
        try bytes.withUnsafeBytes { try writeExactly(output, at: offset, $0, path: temporary) }
        offset = range.upperBound
        progress(UInt64(range.count))
      }
      try Syscalls.sync(output, path: temporary)
      try output.close()
      try Syscalls.rename(temporary, to: target)
    } catch {
      try? output.close()
      try? Syscalls.unlink(temporary)
      throw error
    }
  }

  public func list(_ prefix: String) async throws -> [RemoteEntry] {
    var result: [RemoteEntry] = []
    try walk(root, relative: "", prefix: prefix, temporary: false, into: &result)
    return result.sorted { $0.key < $1.key }
  }

  /// Adds the files below `folder` whose keys start with `prefix`: the
  /// objects, or with `temporary` the uploads still being written (or left
  /// by a killed one), links never followed.
  private func walk(
    _ folder: FilePath, relative: String, prefix: String, temporary: Bool,
    into result: inout [RemoteEntry]
  ) throws {
    guard Syscalls.isDirectory(folder) else { return }
    for (raw, status) in try directoryEntriesWithStatus(folder) {
      guard let name = String(validating: raw, as: UTF8.self), !name.hasPrefix(".") else {
        continue
      }
      let key = relative.isEmpty ? name : relative + "/" + name
      switch status.kind {
      case .directory where !isTemporary(raw):
        // Descend only where the prefix can still match.
        if key.hasPrefix(prefix) || prefix.hasPrefix(key + "/") {
          try walk(
            folder.appending(name), relative: key, prefix: prefix, temporary: temporary,
            into: &result)
        }
      case .regular where key.hasPrefix(prefix) && isTemporary(raw) == temporary:
        result.append(
          RemoteEntry(
            key: key, size: UInt64(status.size),
            modified: status.modificationNanoseconds / 1_000_000))
      default: break
      }
    }
  }

  public func delete(_ key: String) async throws {
    do {
      try Syscalls.unlink(path(key))
    } catch let error as ArtError where error.code == .notFound {}
  }

  public func enforcesConditions() async throws -> Bool { true }

  /// Deletes the temporary files (`KEY.tmp-PID`) below `prefix` that a
  /// killed upload left, once unmodified for `age` milliseconds (a running
  /// upload writes to its own all along); returns how many.
  public func dropUnfinishedUploads(_ prefix: String, olderThan age: Int64, dryRun: Bool)
    async throws -> Int
  {
    let now = WallClock.milliseconds()
    var unfinished: [RemoteEntry] = []
    try walk(root, relative: "", prefix: prefix, temporary: true, into: &unfinished)
    var dropped = 0
    for entry in unfinished where now - entry.modified >= age {
      if !dryRun {
        // Renamed into place or dropped by another gc meanwhile.
        guard (try? Syscalls.unlink(path(entry.key))) != nil else { continue }
      }
      dropped += 1
    }
    return dropped
  }
}

extension WriteCondition {
  fileprivate var expected: String? {
    if case .matches(let tag) = self { return tag }
    return nil
  }
}

/// Whether a file name has `.tmp-` in it: an upload still being written
/// (`KEY.tmp-PID`), never listed.
private func isTemporary(_ name: [UInt8]) -> Bool {
  let marker = Array(".tmp-".utf8)
  guard name.count >= marker.count else { return false }
  return (0...(name.count - marker.count)).contains { start in
    name[start..<start + marker.count].elementsEqual(marker)
  }
}
