public import ArtStore
import Synchronization
public import SystemPackage

/// What ``Materializer/write(_:into:)`` wrote.
public struct Materialization: Sendable {
  /// Files written.
  public var files = 0
  /// Folders created, including the top one.
  public var folders = 0
  /// Symbolic links created.
  public var symlinks = 0
  /// Bytes of file content written.
  public var bytes: UInt64 = 0
  /// Reference entries fetched.
  public var referencesFetched = 0
  /// Bytes of those references.
  public var referenceBytes: UInt64 = 0
  /// Reference entries left out (``ReferencePolicy/skip``).
  public var referencesSkipped = 0
}

/// What a checkout does with reference entries.
public enum ReferencePolicy: Sendable, Equatable {
  /// Fetch each one and check it against what was recorded; with
  /// `allowChanged`, take it even if it differs.
  case fetch(allowChanged: Bool)
  /// Leave them out.
  case skip
}

/// Writes a manifest's tree into a new or empty folder: the inverse of
/// ``Snapshotter``.
///
/// Each file is written to a temporary name in its folder, checked against
/// its SHA-256 as it is written, then renamed into place, so a file that
/// appears under its name is complete and correct.
public struct Materializer: Sendable {
  /// Where objects are read from.
  public let store: ObjectStore
  /// Counts files and bytes as they are written.
  public let progress: Progress?

  /// A materializer reading from `store`.
  public init(store: ObjectStore, progress: Progress? = nil) {
    self.store = store
    self.progress = progress
  }

  /// Makes `target` if missing; refuses one that holds anything.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument` and `hint`.
  static func prepareEmptyFolder(_ target: FilePath, hint: String) throws {
    if let status = try Syscalls.linkStatus(target) {
      guard status.kind == .directory, try directoryEntries(target).isEmpty else {
        throw ArtError(
          .invalidArgument, "'\(target)' exists and is not an empty folder", hint: hint)
      }
    } else {
      try Syscalls.makeDirectories(target)
    }
  }

  struct FileJob: Sendable {
    var path: FilePath
    var entry: ManifestEntry

    init(path: FilePath, entry: ManifestEntry) {
      self.path = path
      self.entry = entry
    }

    /// The job writing flattened `entry` at `path` (nil for a path without a name).
    init?(path: FilePath, _ entry: TreeEntry) {
      guard let name = path.lastComponent?.string else { return nil }
      self.path = path
      self.entry = ManifestEntry(
        name: name, kind: entry.kind, id: entry.id, size: entry.size, mode: entry.mode)
    }
  }

  /// Writes manifest `id` into `target`, which must not exist or be empty.
  ///
  /// - Throws: ``ArtError`` with `.invalidArgument` when `target` has files,
  ///   `.notFound` / `.corruptData` for missing or damaged objects (the file
  ///   being written is then removed), `.io` for write failures.
  public func write(
    _ id: ObjectID, into target: FilePath, references: ReferencePolicy = .fetch(allowChanged: false)
  ) async throws -> Materialization {
    try Self.prepareEmptyFolder(target, hint: "give a new or empty folder")
    var result = Materialization()
    var jobs: [FileJob] = []
    var folderModes: [(FilePath, UInt32)] = []
    try layOut(
      id, at: target, jobs: &jobs, folderModes: &folderModes, result: &result,
      versions: references != .skip)
    let referenceJobs = jobs.filter { $0.entry.kind == .reference }
    jobs.removeAll { $0.entry.kind == .reference }
    result.files = jobs.count
    result.bytes = jobs.reduce(0) { $0 + $1.entry.size }
    // References first: a changed one stops the copy before the files.
    if case .fetch(let allowChanged) = references {
      result.referenceBytes = try await fetch(
        referenceJobs, below: target, allowChanged: allowChanged)
      result.referencesFetched = referenceJobs.count
    } else {
      result.referencesSkipped += referenceJobs.count
    }
    try await writeFiles(jobs)
    // Deepest first, so a read-only folder is closed after its contents exist.
    for (path, mode) in folderModes.reversed() { try Syscalls.setMode(path, mode) }
    return result
  }

  /// Creates folders and links of manifest `id` below `folder` and lists
  /// the files to write; a bundle's version entries become folders holding
  /// that version when `versions`, else they are counted as skipped.
  private func layOut(
    _ id: ObjectID, at folder: FilePath, jobs: inout [FileJob],
    folderModes: inout [(FilePath, UInt32)], result: inout Materialization, versions: Bool
  ) throws {
    result.folders += 1
    let manifest = try store.manifest(id)
    for entry in manifest.entries {
      guard let component = FilePath.Component(entry.name) else {
        throw ArtError.corrupt("manifest \(id)", "entry '\(entry.name)' is not a file name")
      }
      let path = folder.appending(component)
      switch entry.kind {
      case .file, .chunked, .reference:
        jobs.append(FileJob(path: path, entry: entry))
      case .folder:
        try Syscalls.makeDirectory(path, mode: 0o755)
        folderModes.append((path, entry.mode))
        try layOut(
          entry.id, at: path, jobs: &jobs, folderModes: &folderModes, result: &result,
          versions: versions)
      case .version:
        guard versions else {
          result.referencesSkipped += 1
          continue
        }
        let record = try VersionRecord(decoding: store.read(entry.id, as: .version), id: entry.id)
        try Syscalls.makeDirectory(path, mode: 0o755)
        try layOut(
          record.manifest, at: path, jobs: &jobs, folderModes: &folderModes, result: &result,
          versions: versions)
      case .symlink:
        let target = try store.read(entry.id, as: .blob)
        try Syscalls.symlink(target: target, at: path)
        result.symlinks += 1
      }
    }
  }

  /// Fetches reference entries into place, a few at a time.
  ///
  /// Returns the bytes written; errors name paths relative to `root`.
  func fetch(_ jobs: [FileJob], below root: FilePath, allowChanged: Bool) async throws -> UInt64 {
    let store = self.store
    let totals = try await forEachConcurrently(
      count: jobs.count, makeState: { UInt64(0) },
      { bytes, index in
        let job = jobs[index]
        let label = job.path.components.dropFirst(root.components.count).map(\.string)
          .joined(separator: "/")
        bytes += try await ReferenceIO().fetch(
          store.reference(job.entry.id), label: label, to: job.path, mode: job.entry.mode,
          allowChanged: allowChanged)
      }, finish: { $0 })
    return totals.reduce(0, +)
  }

  func writeFiles(_ jobs: [FileJob]) async throws {
    let store = self.store
    let progress = self.progress
    progress?.setTotal(files: jobs.count, bytes: jobs.reduce(0) { $0 + Int($1.entry.size) })
    let umask = Syscalls.fileCreationMask
    _ = try await forEachConcurrently(
      count: jobs.count, makeState: { () },
      { _, index in
        try Self.writeFile(jobs[index], store: store, umask: umask)
        progress?.add(fileOf: Int(jobs[index].entry.size))
      }, finish: { _ in () })
  }

  /// Numbers temporary names: `.art-tmp-<pid>-<n>` is unique without a
  /// `getrandom` call per file.
  private static let temporaryCounter = Atomic<UInt64>(0)

  /// Writes one file so that it appears under its name only complete and
  /// verified: as an unnamed file (`O_TMPFILE`) linked to its name at the
  /// end, or — where the name is taken, or the file system has no unnamed
  /// files — under a temporary name renamed over it.
  private static func writeFile(_ job: FileJob, store: ObjectStore, umask: UInt32) throws {
    let folder = job.path.removingLastComponent()
    let mode = job.entry.mode & 0o7777
    // Created with its mode; fchmod only where the umask would change it.
    if let fd = try Syscalls.createUnnamed(in: folder, mode: mode & 0o777) {
      defer { try? fd.close() }
      try fill(fd, job, store: store, name: job.path)
      if mode & (0o7000 | umask) != 0 { try Syscalls.setMode(fd, mode, path: job.path) }
      do {
        try Syscalls.link(fd, to: job.path)
        return
      } catch .fileExists {
        let temporary = temporaryName(in: folder)
        do {
          try Syscalls.link(fd, to: temporary)
        } catch {
          throw ArtError.io("create", temporary.string, error)
        }
        do {
          try Syscalls.rename(temporary, to: job.path)
        } catch {
          try? Syscalls.unlink(temporary)
          throw error
        }
        return
      } catch {
        throw ArtError.io("create", job.path.string, error)
      }
    }
    let (temporary, fd) = try createTemporary(in: folder, mode: mode)
    do {
      try fill(fd, job, store: store, name: temporary)
      if mode & (0o7000 | umask) != 0 { try Syscalls.setMode(fd, mode, path: temporary) }
      try? fd.close()
      try Syscalls.rename(temporary, to: job.path)
    } catch {
      try? fd.close()
      try? Syscalls.unlink(temporary)
      throw error
    }
  }

  /// Whether `name` is a temporary file a checkout left when it was killed
  /// (`.art-tmp-<pid>-<n>` of a process that is gone): not data, so commit
  /// and status pass over it.
  static func isLeftover(_ name: [UInt8]) -> Bool {
    let prefix = Array(".art-tmp-".utf8)
    guard name.count > prefix.count, name.starts(with: prefix) else { return false }
    let parts = name[prefix.count...].split(separator: UInt8(ascii: "-"))
    guard parts.count == 2,
      parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= 48 && $0 <= 57 } }),
      let pid = Int32(String(decoding: parts[0], as: UTF8.self))
    else { return false }
    return !Syscalls.processExists(pid)
  }

  /// Creates `.art-tmp-<pid>-<n>` in `folder` for writing, with `mode`'s
  /// permission bits (less the umask).
  static func createTemporary(in folder: FilePath, mode: UInt32) throws
    -> (FilePath, FileDescriptor)
  {
    let temporary = temporaryName(in: folder)
    do {
      let fd = try FileDescriptor.open(
        temporary, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
        permissions: FilePermissions(rawValue: CInterop.Mode(mode & 0o777)))
      return (temporary, fd)
    } catch {
      throw ArtError.io("create", temporary.string, error)
    }
  }

  /// `.art-tmp-<pid>-<n>` in `folder`.
  private static func temporaryName(in folder: FilePath) -> FilePath {
    let number = temporaryCounter.add(1, ordering: .relaxed).newValue
    return folder.appending(".art-tmp-\(Syscalls.processID)-\(number)")
  }

  /// Writes the verified content of `job` into `fd`.
  private static func fill(_ fd: FileDescriptor, _ job: FileJob, store: ObjectStore, name: FilePath)
    throws
  {
    var written: UInt64 = 0
    // Chunks are checked by the whole-file hash alone: the file gets its
    // name only after that passes.
    try ContentReader.read(job.entry.id, from: store, wholeFileCheckOnly: true) { bytes in
      try writeAll(fd, bytes, path: name)
      written += UInt64(bytes.count)
    }
    guard written == job.entry.size else {
      throw ArtError.corrupt(
        job.path.string, "its content is \(written) bytes, its manifest says \(job.entry.size)")
    }
  }
}
