public import ArtStore
import Synchronization
public import SystemPackage

/// An art repository: the folder holding `.art/`, its settings and its store.
///
/// Layout of `.art/`: see ``RepositoryLayout``.
/// Safe to share across tasks.
public final class Repository: Sendable {
  /// The folder that holds `.art/`.
  public let root: FilePath
  /// The `.art` folder.
  public let directory: FilePath
  /// Where each file of `.art` lives.
  public var layout: RepositoryLayout { RepositoryLayout(directory) }
  /// Settings read from `.art/config`.
  public let configuration: Configuration
  /// Every published pack.
  public let store: ObjectStore
  /// The repository lock, held until this object goes away (nil when
  /// opened without one, as tests and plumbing of one process may).
  public let lock: RepositoryLock?

  /// How to take the repository lock when opening.
  public struct LockRequest: Sendable {
    /// Shared for commands that read or add, exclusive for gc and repack.
    public var mode: RepositoryLock.Mode
    /// The command's name, shown to commands waiting on an exclusive lock.
    public var command: String
    /// How long to wait for the lock.
    public var timeout: Duration
    /// Told once when the lock is busy and the command waits.
    public var report: @Sendable (String) -> Void

    /// A request for `mode`, on behalf of `command`.
    public init(
      _ mode: RepositoryLock.Mode, command: String, timeout: Duration,
      report: @escaping @Sendable (String) -> Void
    ) {
      self.mode = mode
      self.command = command
      self.timeout = timeout
      self.report = report
    }
  }

  /// The name of the repository folder.
  public static let directoryName = ".art"

  /// Version records read before (`state/records`), read on first use.
  private let records: RecordCache

  /// Reads and parses the version record `id`, from the record cache when
  /// it holds it (see ``RecordCache``), else from the store.
  ///
  /// A record read from the store is added to `.art/state/records` when
  /// the repository was opened `cachingRecords`; one from the cache costs
  /// a SHA-256 of its bytes instead of a read from its pack.
  ///
  /// - Throws: ``ArtError`` with code `.notFound` or `.corruptData`.
  public func versionRecord(_ id: ObjectID) throws -> VersionRecord {
    try records.record(id, in: store)
  }

  /// The journal as last read or written by this process.
  private let journalCache = Mutex<Journal?>(nil)

  /// Tags, annotations, uses and renames (`.art/journal`), read once per
  /// process and kept current by ``Journal/update(_:refStore:_:)``.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged file.
  public func journal() throws -> Journal {
    if let cached = journalCache.withLock({ $0 }) { return cached }
    let log = try Journal.read(self)
    journalCache.withLock { $0 = log }
    return log
  }

  /// Remembers `log` as what the journal file now holds.
  func journalWritten(_ log: Journal) {
    journalCache.withLock { $0 = log }
  }

  /// Opens the repository whose `.art` folder is directly in `root`,
  /// taking its lock first when asked (before the packs are listed).
  ///
  /// - Throws: ``ArtError`` with code `.notARepository`, `.locked`, or the
  ///   errors of reading its config and packs.
  ///
  /// With `cachingRecords`, for the repository a command works in, version
  /// records are served from and added to `state/records` (see
  /// ``versionRecord(_:)``); without it (another project's repository,
  /// whose `.art` art does not write) they are read from the store.
  public init(root: FilePath, lock request: LockRequest? = nil, cachingRecords: Bool = false)
    throws
  {
    self.root = root
    directory = root.appending(Self.directoryName)
    let configPath = RepositoryLayout(directory).config
    guard let bytes = try AtomicFile.read(configPath) else {
      throw ArtError(
        .notARepository, "'\(root)' has no \(Self.directoryName)/config",
        hint: "run 'art init' to make a repository")
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw ArtError(.invalidArgument, "'\(configPath)' is not UTF-8 text")
    }
    configuration = try Configuration(parsing: text, file: configPath.string)
    let directory = self.directory
    lock = try request.map {
      try RepositoryLock(
        directory: directory, mode: $0.mode, command: $0.command, timeout: $0.timeout,
        report: $0.report)
    }
    store = try ObjectStore(directory: RepositoryLayout(directory).packs)
    records = RecordCache(path: cachingRecords ? RepositoryLayout(directory).records : nil)
  }

  /// Finds the repository containing `folder` by walking up to `/`.
  ///
  /// - Throws: ``ArtError`` with code `.notARepository` when none is found.
  public static func discover(from folder: FilePath, lock request: LockRequest? = nil) throws
    -> Repository
  {
    var candidate = folder.lexicallyNormalized()
    while true {
      if Syscalls.isDirectory(candidate.appending(directoryName)) {
        return try Repository(root: candidate, lock: request, cachingRecords: true)
      }
      if candidate.isEmpty || !candidate.removeLastComponent() { break }
    }
    guard Syscalls.isDirectory(folder) else {
      throw ArtError(
        .notFound, "no folder '\(folder)'", hint: "check the path (given with -C or as the folder)")
    }
    throw ArtError(
      .notARepository, "not inside an art repository (run 'art init')")
  }

  /// Makes a repository in `root` (created if missing).
  ///
  /// Returns false, changing nothing, when `root` already holds one.
  @discardableResult
  public static func initialize(at root: FilePath, configuration: Configuration = Configuration())
    throws -> Bool
  {
    let directory = root.appending(directoryName)
    if Syscalls.isDirectory(directory) {
      _ = try Repository(root: root)
      return false
    }
    try ConfinedWriter.refuseInsideRepositoryFolder(root)
    try Syscalls.makeDirectories(root)
    // Everything is made inside a temporary folder that is renamed into place
    // last, so a crash never leaves half a repository.
    let staging = root.appending(".art-init-\(Syscalls.processID)")
    try Syscalls.makeDirectory(staging)
    do {
      let layout = RepositoryLayout(staging)
      try Syscalls.makeDirectories(layout.packs)
      try Syscalls.makeDirectory(layout.state)
      // Made once here, so recording or removing one folder's base never
      // makes or removes a folder another checkout is writing into.
      try Syscalls.makeDirectories(layout.bases.appending("artifact"))
      try Syscalls.makeDirectory(layout.bases.appending("folder"))
      try AtomicFile.write(Array(configuration.text.utf8), to: layout.config)
      try AtomicFile.write(RefStore.encode(Refs()), to: layout.refs)
      try Syscalls.rename(staging, to: directory)
      try Syscalls.syncDirectory(root)
    } catch {
      try? removeTree(staging)
      throw error
    }
    return true
  }

  /// A writer for new objects, with `compression` or the configured one,
  /// in packs of `maximumPackSize` or the configured size; it raises the
  /// repository's format before its first pack.
  ///
  /// Unless `skipsStored`, it writes objects even when the store already
  /// has them: how gc and repack copy objects out of packs they delete.
  public func makeWriter(
    compression: Compression? = nil, maximumPackSize: UInt64? = nil, skipsStored: Bool = true
  ) -> ObjectWriter {
    ObjectWriter(
      store: store, compression: compression ?? configuration.compression,
      maximumPackSize: maximumPackSize ?? configuration.maximumPackSize, skipsStored: skipsStored,
      beforeFirstPack: { [self] in try raiseFormatForNewPacks() })
  }

  /// Raises the repository to format 6 before a pack of format 2 lands in it.
  ///
  /// Every pack this build writes is of format 2; an older art then refuses
  /// the repository instead of meeting packs it cannot read. A repository of
  /// format 1 is left to its next refs update, whose upgrade needs the
  /// refs lock.
  public func raiseFormatForNewPacks() throws {
    guard (2..<6).contains(configuration.format) else { return }
    try raiseFormat(to: 6, knowing: refs.read())
  }

  /// The refs file; its first update raises an older repository's format
  /// (see ``upgradeFormat(knowing:)``), before anything new is named.
  public var refs: RefStore {
    var store = RefStore(path: layout.refs)
    store.beforeWriting = { [self] old, new in
      if configuration.format < 2 { try upgradeFormat(knowing: old) }
      // A line moved from another artifact (a rename) needs format 3.
      if configuration.format < 3,
        new.entries.keys.contains(where: { new.origin(of: $0).artifact != $0.artifact })
      {
        try raiseFormat(to: 3, knowing: old)
      }
      // Versions about to be named may sit in packs of format 2 (index
      // format 4), in zstd packs (index format 2), or in packs with a
      // dictionary (index format 3).
      if configuration.format < 6, self.store.allPacks.contains(where: { $0.index.version == 4 }) {
        try raiseFormat(to: 6, knowing: old)
      } else if configuration.format < 5,
        self.store.allPacks.contains(where: { $0.index.version == 3 })
      {
        try raiseFormat(to: 5, knowing: old)
      } else if configuration.format < 4,
        configuration.compression.codec == .zstd
          || self.store.allPacks.contains(where: { $0.index.version == 2 })
      {
        try raiseFormat(to: 4, knowing: old)
      }
    }
    return store
  }

  /// The chunker for this repository's configured sizes.
  public var chunker: Chunker { Chunker(parameters: configuration.chunking) }

  /// Checks that `path` (absolute) is inside the repository's folder, not
  /// inside `.art` (nor any folder named `.art`), its components names a
  /// version may hold, and no folder on the way from the top a symbolic
  /// link — nor `path` itself when it is to be a version's root (`asRoot`).
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public func requireInside(_ path: FilePath, asRoot: Bool = false) throws {
    guard path.starts(with: root) else {
      throw ArtError(
        .invalidArgument, "'\(path)' is outside the repository '\(root)'",
        hint: "commit paths inside the folder that holds .art")
    }
    let relative = relativePath(path)
    if relative.split(separator: "/").contains(Substring(Self.directoryName)) {
      throw ArtError(.invalidArgument, "'\(path)' is inside .art, which art manages itself")
    }
    if let problem = ConfinedPath.problem(relative) {
      throw ArtError(
        .invalidArgument, "'\(path)' cannot be stored: it has \(problem)",
        hint: "rename it, or commit a folder that does not contain it")
    }
    var current = root
    let components = Array(path.components.dropFirst(root.components.count))
    for (index, component) in components.enumerated() {
      current.append(component)
      if index == components.count - 1 && !asRoot { break }
      if try Syscalls.linkStatus(current)?.kind == .symlink {
        throw ArtError(
          .invalidArgument,
          "'\(current)' is a symbolic link; art does not store paths through links",
          hint: "commit the folder the link points to, or replace the link by a real folder")
      }
    }
  }

  /// `path` (inside the repository) relative to its top, `/`-separated;
  /// `""` for the top itself.
  public func relativePath(_ path: FilePath) -> String {
    path.components.dropFirst(root.components.count).map(\.string).joined(separator: "/")
  }
}

/// Deletes `path` and everything under it, without following symbolic
/// links: the one recursive delete, walking by descriptor below the parent
/// folder (see ``FolderHandle/removeTree(_:)``).
func removeTree(_ path: FilePath) throws {
  guard let name = path.lastComponent?.string, try Syscalls.linkStatus(path) != nil else { return }
  let parent = try FolderHandle.open(path.removingLastComponent())
  defer { parent.close() }
  try parent.removeTree(name)
}
