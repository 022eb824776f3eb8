import ArtStore
public import SystemPackage

/// The repository-wide lock, `.art/lock`: commands that read or add data
/// hold it shared for their whole run; `gc` and `repack`, which delete
/// packs, hold it exclusive, so no command ever sees a pack vanish under it.
///
/// It is a `flock`, which the kernel releases when the process exits, so a
/// killed process never leaves it behind. The exclusive holder writes
/// `<command> pid <N>` into the file so waiting commands can say who they
/// wait for.
public final class RepositoryLock: Sendable {
  /// How a command holds the lock.
  public enum Mode: Sendable {
    /// Reading, or adding objects and refs: many at once.
    case shared
    /// Deleting or rewriting packs: alone.
    case exclusive
  }

  private let descriptor: FileDescriptor

  /// Takes the lock of the repository folder `directory`, waiting up to
  /// `timeout` and calling `report` once if it has to wait.
  ///
  /// - Throws: ``ArtError`` with code `.locked` on timeout, `.io` when the
  ///   lock file cannot be opened.
  public init(
    directory: FilePath, mode: Mode, command: String, timeout: Duration,
    report: @Sendable (String) -> Void
  ) throws {
    let path = RepositoryLayout(directory).lock
    do {
      descriptor = try FileDescriptor.open(
        path, .readWrite, options: [.create, .closeOnExec],
        permissions: [.ownerReadWrite, .groupRead, .otherRead])
    } catch let error as Errno
      where mode == .shared && (error == .permissionDenied || error == .readOnlyFileSystem)
    {
      // A .art this user cannot write is still readable: a shared flock
      // needs no write access (on the lock file, or the folder if there
      // is none yet).
      guard
        let readOnly = (try? FileDescriptor.open(path, .readOnly, options: [.closeOnExec]))
          ?? (try? FileDescriptor.open(directory, .readOnly, options: [.directory, .closeOnExec]))
      else { throw ArtError.io("open", path.string, error) }
      descriptor = readOnly
    } catch {
      throw ArtError.io("open", path.string, error)
    }
    let deadline = ContinuousClock.now + timeout
    var reported = false
    let start = ContinuousClock.now
    do {
      while try !Syscalls.tryLock(descriptor, exclusive: mode == .exclusive, path: path) {
        let holder = Self.holder(path)
        if ContinuousClock.now >= deadline {
          throw ArtError(
            .locked,
            "the repository is busy: "
              + (holder.map { "'\($0)' holds its lock" } ?? "other art commands are running"),
            hint: "wait for it to finish, or give --lock-timeout more seconds")
        }
        if !reported, ContinuousClock.now - start > .seconds(1) {
          report(
            "art: waiting for "
              + (holder.map { "'\($0)'" } ?? "other art commands")
              + " to release the repository lock")
          reported = true
        }
        Syscalls.sleep(milliseconds: 50)
      }
      if mode == .exclusive {
        let text = Array("\(command) pid \(Syscalls.processID)\n".utf8)
        try Syscalls.truncate(descriptor, to: 0, path: path)
        _ = try text.withUnsafeBytes { try descriptor.writeAll(toAbsoluteOffset: 0, $0) }
      }
    } catch {
      try? descriptor.close()
      throw (error as? ArtError) ?? ArtError.io("write", path.string, error)
    }
  }

  deinit {
    try? descriptor.close()
  }

  /// Tries, without waiting, to turn a shared hold into an exclusive one.
  ///
  /// For upkeep at the end of a command. On failure the shared hold may
  /// be gone too (`flock` conversion is not atomic), so call this only when
  /// the command's own work is done.
  public func tryUpgrade(command: String) -> Bool {
    guard (try? Syscalls.tryLock(descriptor, exclusive: true, path: FilePath("lock"))) == true
    else { return false }
    let text = Array("\(command) pid \(Syscalls.processID)\n".utf8)
    try? Syscalls.truncate(descriptor, to: 0, path: FilePath("lock"))
    _ = try? text.withUnsafeBytes { try descriptor.writeAll(toAbsoluteOffset: 0, $0) }
    return true
  }

  /// Who holds the lock exclusively, as written in the file, if that
  /// process is still running.
  private static func holder(_ path: FilePath) -> String? {
    guard let bytes = try? AtomicFile.read(path, limit: 200),
      let text = String(validating: bytes, as: UTF8.self),
      let line = text.split(separator: "\n").first, let last = line.split(separator: " ").last,
      let pid = Int32(last), Syscalls.processExists(pid)
    else { return nil }
    return String(line)
  }
}
