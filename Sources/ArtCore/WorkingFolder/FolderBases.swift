public import ArtStore
public import SystemPackage

/// The version a working folder holds, as git's `HEAD` says which commit a
/// work tree is at: the version it was last checked out at or committed
/// from.
///
/// `status` compares a root folder with its base, `commit` records the base
/// as the new version's `previous`, and a checkout knows from it which
/// files on disk are art's (unchanged since the base) and which are the
/// user's. A base does not keep its version from gc.
public struct FolderBase: Sendable, Equatable {
  /// The version.
  public var version: ObjectID
  /// Its artifact.
  public var artifact: ArtifactName
  /// The folder, absolute, for a copy made with `checkout --to`; nil for
  /// the artifact's own root folder.
  public var folder: String?
  /// The `--path` patterns the checkout was limited to; empty for all.
  public var patterns: [String]
  /// Versions the folder may hold in part, oldest first: each one a
  /// checkout began writing here since the base was recorded.
  ///
  /// A checkout stopped half way (`kill -9`, a failure) leaves its version
  /// here, as does an in-place checkout limited by `--path`. Files of them
  /// on disk are art's too.
  public var partial: [Partial]

  /// A version a checkout began writing into the folder.
  public struct Partial: Sendable, Equatable {
    /// The version.
    public var version: ObjectID
    /// The `--path` patterns that checkout was limited to; empty for all.
    public var patterns: [String]

    /// A version written with `patterns`.
    public init(version: ObjectID, patterns: [String]) {
      self.version = version
      self.patterns = patterns
    }
  }

  /// At most this many ``partial`` versions are kept, the newest, in a file
  /// of at most ``encodedLimit`` bytes: a file of one dropped counts as a
  /// local change again, the safe side.
  public static let partialLimit = 8
  /// The most bytes a base file holds; a longer one is damaged.
  static let encodedLimit = 64 << 10

  /// A base of `artifact`'s root folder, or of `folder`.
  public init(
    version: ObjectID, artifact: ArtifactName, folder: String? = nil, patterns: [String] = [],
    partial: [Partial] = []
  ) {
    self.version = version
    self.artifact = artifact
    self.folder = folder
    self.patterns = patterns
    self.partial = partial
  }

  /// This base with `version` (and `patterns`) as its newest ``partial``
  /// version, before a checkout of it writes its first file; unchanged when
  /// its own version already covers them.
  public func writing(_ version: ObjectID, patterns: [String]) -> FolderBase {
    if version == self.version, self.patterns.isEmpty || self.patterns == patterns,
      !isSpeculative
    {
      return self
    }
    var copy = self
    let entry = Partial(version: version, patterns: patterns)
    copy.partial.removeAll { $0 == entry }
    copy.partial.append(entry)
    // The oldest go first; never the new one, nor the line that keeps a
    // speculative base's own version partial.
    let marker = Partial(version: self.version, patterns: self.patterns)
    while copy.partial.count > Self.partialLimit || copy.encoded().count > Self.encodedLimit,
      let oldest = copy.partial.dropLast().firstIndex(where: { $0 != marker || !isSpeculative })
    {
      copy.partial.remove(at: oldest)
    }
    return copy
  }

  /// A base recorded before the first write into a folder that had none:
  /// its own version is only a ``partial`` one, whose files on disk count
  /// as art's only as far as a partial version's do.
  public var isSpeculative: Bool {
    partial.contains(Partial(version: version, patterns: patterns))
  }

  /// The base of a folder that had none, recorded before a checkout of
  /// `version` into it writes its first file (see ``isSpeculative``).
  public static func speculative(
    version: ObjectID, artifact: ArtifactName, folder: String, patterns: [String]
  ) -> FolderBase {
    FolderBase(
      version: version, artifact: artifact, folder: folder, patterns: patterns,
      partial: [Partial(version: version, patterns: patterns)])
  }

  /// Refuses a base too long to be read back.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument`: the `--path` patterns
  ///   take too much room.
  public func checkSize() throws {
    _ = try checkedEncoding()
  }

  /// ``encoded()``, once ``checkSize()`` passes.
  func checkedEncoding() throws -> [UInt8] {
    let bytes = encoded()
    let count = bytes.count
    guard count <= Self.encodedLimit else {
      throw ArtError(
        .invalidArgument,
        "the --path patterns would make the folder's base file \(count) bytes long, "
          + "more than the \(Self.encodedLimit) it can hold",
        hint: "give fewer or shorter patterns: a folder's name stands for everything in it")
    }
    return bytes
  }

  /// The text of a base file (`Docs/FORMAT.md`), `key value` lines.
  ///
  /// A value is one line: a folder whose path holds a newline is left out
  /// (it is only for people), and patterns never hold one.
  func encoded() -> [UInt8] {
    var text = "art-base 1\nversion \(version.hex)\nartifact \(artifact.text)\n"
    if let folder, !folder.contains("\n") { text += "folder \(folder)\n" }
    for pattern in patterns where !pattern.contains("\n") { text += "path \(pattern)\n" }
    for entry in partial {
      text += "partial \(entry.version.hex)\n"
      for pattern in entry.patterns where !pattern.contains("\n") {
        text += "partial-path \(pattern)\n"
      }
    }
    return Array(text.utf8)
  }

  /// Parses a base file; unknown keys are skipped, for later additions.
  ///
  /// - Throws: ``ArtError`` `.corruptData` naming `file`.
  static func parse(_ bytes: [UInt8], file: FilePath) throws -> FolderBase {
    let damaged = Self.damaged(file)
    guard let text = String(validating: bytes, as: UTF8.self) else { throw damaged }
    var version: ObjectID?
    var artifact: ArtifactName?
    var folder: String?
    var patterns: [String] = []
    var partial: [Partial] = []
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
      guard parts.count == 2 else {
        // A pattern or partial line without its value would widen what
        // is art's.
        if ["path", "partial", "partial-path"].contains(parts.first) { throw damaged }
        continue
      }
      switch parts[0] {
      case "version": version = ObjectID(parts[1])
      case "artifact": artifact = try? ArtifactName(parts[1])
      case "folder": folder = parts[1]
      case "path":
        guard (try? PathPattern(parts[1])) != nil else { throw damaged }
        patterns.append(parts[1])
      case "partial":
        guard let id = ObjectID(parts[1]) else { throw damaged }
        partial.append(Partial(version: id, patterns: []))
      case "partial-path":
        // Belongs to the `partial` line above it.
        guard !partial.isEmpty, (try? PathPattern(parts[1])) != nil else { throw damaged }
        partial[partial.count - 1].patterns.append(parts[1])
      default: continue
      }
    }
    guard text.hasPrefix("art-base 1\n"), let version, let artifact else { throw damaged }
    return FolderBase(
      version: version, artifact: artifact, folder: folder, patterns: patterns,
      partial: Array(partial.suffix(Self.partialLimit)))
  }

  /// The error for a damaged base file.
  static func damaged(_ file: FilePath) -> ArtError {
    ArtError(
      .corruptData, "the base file '\(file)' is damaged",
      hint: "delete it; the folder's next checkout or commit records its base again")
  }
}

/// Where bases are kept.
///
/// `.art/bases/artifact/NAME` holds the base of an artifact's root folder,
/// `.art/bases/folder/HEX` (SHA-256 of the folder's real path, links
/// resolved) that of a `checkout --to` copy. Each file is replaced
/// atomically; `state/locks/HEX` serialises checkouts into one folder.
public struct FolderBases: Sendable {
  let layout: RepositoryLayout

  /// The bases of `repository`.
  public init(_ repository: Repository) {
    layout = repository.layout
  }

  /// The base of `artifact`'s root folder, if one was recorded (also where
  /// an older art kept it, `state/checkout/NAME`).
  public func base(of artifact: ArtifactName) throws -> FolderBase? {
    if let base = try read(layout.artifactBase(artifact.text)) { return base }
    guard let bytes = try AtomicFile.read(layout.checkedOut.appending(artifact.text), limit: 200),
      let text = String(validating: bytes, as: UTF8.self),
      let id = ObjectID(text.trimmingWhitespace())
    else { return nil }
    return FolderBase(version: id, artifact: artifact)
  }

  /// The base of the folder `folder` (absolute), if a `checkout --to`
  /// wrote it.
  public func base(ofFolder folder: FilePath) throws -> FolderBase? {
    try read(layout.folderBase(Self.key(folder)))
  }

  /// Records `base`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` when its `--path` patterns
  ///   make a file longer than a base file may be (nothing is written).
  public func record(_ base: FolderBase) throws {
    let file =
      base.folder.map { layout.folderBase(Self.key(FilePath($0))) }
      ?? layout.artifactBase(base.artifact.text)
    let bytes = try base.checkedEncoding()
    try Syscalls.makeDirectories(file.removingLastComponent())
    try AtomicFile.write(bytes, to: file)
  }

  /// Deletes the base of the folder `folder` (absolute), if any.
  public func remove(folder: FilePath) throws {
    let file = layout.folderBase(Self.key(folder))
    if try Syscalls.linkStatus(file) != nil { try Syscalls.unlink(file) }
  }

  /// Moves the base of `old`'s root folder to `new` (`art mv`).
  public func rename(_ old: ArtifactName, to new: ArtifactName) throws {
    guard var base = try base(of: old) else { return }
    base.artifact = new
    try record(base)
    for file in [layout.artifactBase(old.text), layout.checkedOut.appending(old.text)]
    where try Syscalls.linkStatus(file) != nil {
      try Syscalls.unlink(file)
    }
  }

  /// Holds the lock of the folder `folder` until the returned descriptor
  /// is closed, waiting up to `timeout`: two checkouts into one folder
  /// (workers that fetch their data on every start) take turns.
  ///
  /// - Throws: ``ArtError`` `.locked` on timeout, `.io`.
  public func lock(folder: FilePath, timeout: Duration) throws -> FileDescriptor {
    let path = layout.folderLock(Self.key(folder))
    try Syscalls.makeDirectories(path.removingLastComponent())
    let descriptor: FileDescriptor
    do {
      descriptor = try FileDescriptor.open(
        path, .readWrite, options: [.create, .closeOnExec], permissions: [.ownerReadWrite])
    } catch {
      throw ArtError.io("open", path.string, error)
    }
    let deadline = ContinuousClock.now + timeout
    do {
      while try !Syscalls.tryLock(descriptor, exclusive: true, path: path) {
        guard ContinuousClock.now < deadline else {
          throw ArtError(
            .locked, "another art is checking out into '\(folder)'",
            hint: "wait for it to finish, or give --lock-timeout more seconds")
        }
        Syscalls.sleep(milliseconds: 50)
      }
    } catch {
      try? descriptor.close()
      throw error
    }
    return descriptor
  }

  private func read(_ file: FilePath) throws -> FolderBase? {
    let bytes: [UInt8]?
    do {
      bytes = try AtomicFile.read(file, limit: FolderBase.encodedLimit)
    } catch let error as ArtError where error.code == .corruptData {
      throw FolderBase.damaged(file)  // longer than art writes
    }
    guard let bytes else { return nil }
    return try FolderBase.parse(bytes, file: file)
  }

  /// A folder's file name: the SHA-256 of its real path (links in its
  /// existing part resolved), so one folder reached two ways is one key.
  private static func key(_ folder: FilePath) -> String {
    ObjectHasher.id(of: Array(ConfinedWriter.realPath(folder).string.utf8)).hex
  }
}
