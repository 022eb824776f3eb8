import ArtStore
import Synchronization
public import SystemPackage

/// The refs file `.art/refs`: the single source of truth for which versions
/// exist, updated atomically under a lock file.
///
/// Format (text, UTF-8):
///
/// ```
/// # art-refs v1
/// imagenet:latest 3fa9…(64 hex)
/// imagenet:v0 3fa9…
/// imagenet:v1 deleted
/// imagenet:v2 7c35…(64 hex) from imagenet:v1
/// # sha256 <SHA-256 of every byte above this line>
/// ```
///
/// A version line may end in `from NAME:vM`: its record was made as
/// `NAME:vM` and was given this number later (a racing `pull`, a remote
/// `finish`; format 2) or this name (`art mv`; format 3). Lines are sorted by
/// their bytes. The checksum line makes truncation and
/// hand edits detectable. Every update writes the new file under
/// `refs.lock` (created with `O_EXCL`, holding the writer's pid), syncs it,
/// copies the old file to `refs.prev` and renames the lock over `refs`.
/// Writing the refs file is the commit point of every command.
///
/// Safe to share across tasks; processes coordinate through the lock file.
public struct RefStore: Sendable {
  /// `.art/refs`.
  public let path: FilePath
  /// How long ``update(_:)`` waits for another process's lock.
  public var lockTimeout: Duration = .seconds(60)
  /// Called with a message when a lock left by a dead process is cleared.
  public var report: @Sendable (String) -> Void = { _ in }
  /// Called under the lock before changed refs are written, with the refs
  /// as they were and as they will be (the repository raises its format
  /// here when renumbering lines first appear).
  public var beforeWriting: @Sendable (_ old: Refs, _ new: Refs) throws -> Void = { _, _ in }

  static let header = "# art-refs v1"

  /// The refs file at `path`.
  public init(path: FilePath) {
    self.path = path
  }

  var lockPath: FilePath { FilePath(path.string + ".lock") }
  var previousPath: FilePath { FilePath(path.string + ".prev") }

  /// Reads and checks the refs file.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming the line at fault.
  public func read() throws -> Refs {
    try Self.decode(readBytes(), file: path.string)
  }

  private func readBytes() throws -> [UInt8] {
    guard let bytes = try AtomicFile.read(path) else {
      throw ArtError(
        .corruptData, "'\(path)' is missing",
        hint: "restore it from '\(previousPath)' if that exists")
    }
    return bytes
  }

  /// The file's bytes for `refs`.
  public static func encode(_ refs: Refs) -> [UInt8] {
    var lines = refs.entries.map { name, target -> String in
      switch target {
      case .version(let id):
        if let origin = refs.origins[name] {
          "\(name) \(id.hex) from \(origin)"
        } else {
          "\(name) \(id.hex)"
        }
      case .deleted: "\(name) deleted"
      }
    }
    lines.sort(by: utf8Precedes)
    return ChecksummedLines.encode(header: header, lines)
  }

  /// The last few files decoded, by their bytes: one command reads the refs
  /// (and a remote's tracking refs) several times, and parsing thousands of
  /// lines costs more than comparing the bytes.
  private static let recentlyDecoded = Mutex<[(bytes: [UInt8], refs: Refs)]>([])

  /// Parses refs file bytes; errors name `file` and the line.
  public static func decode(_ bytes: [UInt8], file: String) throws -> Refs {
    if let known = recentlyDecoded.withLock({ $0.first { $0.bytes == bytes }?.refs }) {
      return known
    }
    let refs = try parse(bytes, file: file)
    // A remote's published refs may be large: only files of everyday size
    // are kept (a long-running `art ui` holds them).
    guard bytes.count <= 1 << 20 else { return refs }
    recentlyDecoded.withLock { recent in
      recent.insert((bytes, refs), at: 0)
      if recent.count > 4 { recent.removeLast() }
    }
    return refs
  }

  private static func parse(_ bytes: [UInt8], file: String) throws -> Refs {
    func damaged(_ detail: String) -> ArtError {
      ArtError(
        .corruptData, "'\(file)' is damaged: \(detail)",
        hint: "restore it from '\(file).prev' if that exists, or fix the line by hand")
    }
    let lines = try ChecksummedLines.decode(bytes, header: header, damaged: damaged)
    var refs = Refs()
    refs.reserveCapacity(lines.count)
    var previous: String? = nil
    // Lines come sorted, so an artifact's lines follow one another: its
    // name is checked once, not on each of its thousand version lines.
    var artifact: ArtifactName? = nil
    for (number, line) in lines.enumerated() {
      let parts = line.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        .map { Substring($0) }
      guard parts.count == 2 || (parts.count == 4 && parts[2] == "from"),
        let name = try? RefName(parsing: parts[0], knownArtifact: artifact)
      else {
        throw damaged("line \(number + 2) is not 'NAME:LABEL ID' or 'NAME:vN ID from NAME:vM'")
      }
      if let previous, refs.outOfOrderLine == nil, !utf8Precedes(previous, line) {
        refs.outOfOrderLine = number + 2
      }
      previous = line
      artifact = name.artifact
      let target: Refs.Target
      var origin: RefName? = nil
      if parts.count == 4 {
        // A renumbered line names another number of its artifact; a
        // renamed one (`art mv`, format 3) any version line.
        guard case .version = name.label, let id = ObjectID(parts[1]),
          let from = try? RefName(parsing: String(parts[3])), case .version = from.label,
          from != name
        else {
          throw damaged(
            "line \(number + 2): only a version line may say which other version line it was")
        }
        (target, origin) = (.version(id), from)
      } else if parts[1] == "deleted", case .version = name.label {
        target = .deleted
      } else if let id = ObjectID(parts[1]) {
        target = .version(id)
      } else {
        throw damaged("line \(number + 2) has no valid id")
      }
      // Two lines for one name: which is meant cannot be known.
      guard refs.add(name, target, bornAs: origin) else {
        throw damaged("line \(number + 2) repeats '\(name)'")
      }
    }
    return refs
  }

  /// Locks the refs file, calls `body` with the current refs, and writes
  /// what it leaves there, atomically.
  ///
  /// Waits up to ``lockTimeout`` for another process's lock; a lock whose
  /// process is gone is removed (and reported). Nothing is written when
  /// `body` throws or leaves the refs unchanged.
  ///
  /// - Throws: ``ArtError`` with code `.locked` on timeout, or what `body` throws.
  public func update<R>(_ body: (inout Refs) throws -> R) throws -> R {
    try acquireLock()
    // Once renamed over refs, the lock file is gone and another process
    // may already hold a new one under that name: remove it only while it
    // is still ours.
    var released = false
    defer { if !released { try? Syscalls.unlink(lockPath) } }
    // Read once: the same bytes become refs.prev if the refs change.
    let current = try readBytes()
    var refs = try Self.decode(current, file: path.string)
    let before = refs
    let result = try body(&refs)
    if refs != before {
      // A number the file could not be read back with is never written.
      for name in refs.entries.keys {
        if case .version(let number) = name.label, number.value > VersionNumber.maximum {
          throw ArtError(
            .invalidArgument,
            "'\(name.artifact)' has used up its version numbers (at most v\(VersionNumber.maximum))",
            hint: "make the next version under a new artifact name")
        }
      }
      try beforeWriting(before, refs)
      let bytes = Self.encode(refs)
      try AtomicFile.write(current, to: previousPath)
      // The lock file becomes the new refs: write it whole, sync, rename.
      do {
        let fd = try FileDescriptor.open(
          lockPath, .writeOnly, options: [.truncate, .closeOnExec])
        try fd.closeAfter {
          try bytes.withUnsafeBytes { _ = try fd.writeAll($0) }
          try Syscalls.sync(fd, path: lockPath)
        }
      } catch {
        throw ArtError.io("write", lockPath.string, error)
      }
      try Syscalls.rename(lockPath, to: path)
      released = true
      var folder = path
      folder.removeLastComponent()
      try Syscalls.syncDirectory(folder)
    }
    return result
  }

  private func acquireLock() throws {
    let deadline = ContinuousClock.now + lockTimeout
    var reportedWait = false
    let start = ContinuousClock.now
    while true {
      do {
        let fd = try FileDescriptor.open(
          lockPath, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
          permissions: [.ownerReadWrite, .groupRead, .otherRead])
        let made = try? Syscalls.status(fd, path: lockPath).inode
        do {
          try fd.closeAfter {
            _ = try Array("pid \(Syscalls.processID)\n".utf8).withUnsafeBytes {
              try fd.writeAll($0)
            }
          }
        } catch {
          // Made but not named (a full disk): ours to remove, or the next
          // command waits for a lock nobody holds; unless another process
          // took it as stale meanwhile and made its own.
          if let made, (try? Syscalls.linkStatus(lockPath))??.inode == made {
            try? Syscalls.unlink(lockPath)
          }
          throw error
        }
        return
      } catch let error as Errno where error == .fileExists {
        let holder = lockHolder()
        if let holder, !Syscalls.processExists(holder) {
          report("art: removed a stale lock '\(lockPath)' left by process \(holder), which is gone")
          try Syscalls.unlink(lockPath)
          continue
        }
        // A holder writes its pid right after creating the file; one with
        // none for this long was left by a process killed in between.
        if holder == nil, let status = try Syscalls.linkStatus(lockPath),
          WallClock.milliseconds() - status.modificationNanoseconds / 1_000_000
            > Self.unnamedLockAge
        {
          report(
            "art: removed a stale lock '\(lockPath)' with no process id, left by a killed process")
          try Syscalls.unlink(lockPath)
          continue
        }
        if ContinuousClock.now >= deadline {
          throw ArtError(
            .locked,
            "the repository is locked by process \(holder.map(String.init) ?? "?") ('\(lockPath)')",
            hint: "wait for it to finish; if no art process is running, delete that file")
        }
        // Short waits are normal with concurrent writers: say so after 1 s.
        if !reportedWait, ContinuousClock.now - start > .seconds(1) {
          report(
            "art: waiting for process \(holder.map(String.init) ?? "?") to release '\(lockPath)'")
          reportedWait = true
        }
        Syscalls.sleep(milliseconds: 50)
      } catch {
        throw ArtError.io("create", lockPath.string, error)
      }
    }
  }

  /// Milliseconds after which a lock file without a pid counts as stale.
  static let unnamedLockAge: Int64 = 10_000

  private func lockHolder() -> Int32? {
    guard let bytes = try? AtomicFile.read(lockPath, limit: 100),
      let text = String(validating: bytes, as: UTF8.self), text.hasPrefix("pid ")
    else { return nil }
    return Int32(text.dropFirst(4).trimmingWhitespace().split(separator: "\n").first ?? "")
  }
}

/// Whether `a`'s UTF-8 bytes sort before `b`'s: the order of refs lines.
func utf8Precedes(_ a: String, _ b: String) -> Bool {
  var (a, b) = (a, b)
  return a.withUTF8 { x in b.withUTF8 { y in x.lexicographicallyPrecedes(y) } }
}
