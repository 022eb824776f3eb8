import ArtStore
import Synchronization
public import SystemPackage

/// The one writer for working folders: creates, replaces and deletes files,
/// links and folders below a destination folder opened once, never through
/// a symbolic link.
///
/// Each call opens the folder holding its path relative to the
/// destination's descriptor — with `openat2(RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS)` where the kernel has it, otherwise one
/// `openat(O_NOFOLLOW)` per component — and then acts on a single name with
/// an `*at` call. A symbolic link at any folder on the way, whether an
/// earlier version, the user or a race put it there, is refused
/// (`.invalidArgument` naming it), or with `replacingLinks` replaced by a
/// real folder; the link's target is never written or deleted. A link at
/// the last component is replaced or removed as a name, never followed.
///
/// Files appear under their name only complete (see ``stage(_:mode:)``),
/// with permission bits `0o777` at most, less the umask: never setuid,
/// setgid or sticky, and ownership is never changed.
public final class ConfinedWriter: Sendable {
  /// The destination, for messages.
  public let top: FilePath
  /// Whether a symbolic link or file where a folder belongs is replaced by a
  /// real folder (`--force`) instead of refused.
  public let replacingLinks: Bool
  private let handle: FolderHandle
  private let made = Mutex<Set<ConfinedPath>>([])

  /// The folders this writer made, below ``top`` (a checkout gives them
  /// their recorded modes).
  public var foldersMade: Set<ConfinedPath> { made.withLock { $0 } }

  /// A writer below `top`, which the user chose and which may itself be
  /// reached through links; it is created when missing if `create`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` when `top` is inside a
  ///   `.art` folder or the folder `store` really is, `.notFound` when it
  ///   is missing and not `create`.
  public init(
    top: FilePath, create: Bool, replacingLinks: Bool = false, outside store: FilePath? = nil
  ) throws {
    // Checked before anything is made: not even an empty folder in `.art`.
    try Self.refuseInsideRepositoryFolder(top, store: store)
    if create { try Syscalls.makeDirectories(top) }
    self.top = top
    self.replacingLinks = replacingLinks
    handle = try FolderHandle.open(top)
  }

  /// Refuses `path` when it, or the folder its existing part really is
  /// (links resolved), lies inside a folder named `.art`, or inside the
  /// folder `store` (a repository's `.art`, which may itself be a link to
  /// a folder of another name) really is: a destination there could
  /// overwrite a repository's refs or config.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument`.
  public static func refuseInsideRepositoryFolder(_ path: FilePath, store: FilePath? = nil)
    throws
  {
    let real = realPath(path)
    let inside =
      [path, real].contains { $0.components.contains { $0.string == Repository.directoryName } }
      || store.map { real.starts(with: realPath($0)) } == true
    if inside {
      throw ArtError(
        .invalidArgument, "'\(path)' is inside a .art folder, which art manages itself",
        hint: "give a folder outside .art")
    }
  }

  /// `path` with its existing part resolved (links followed), the rest
  /// appended as written.
  static func realPath(_ path: FilePath) -> FilePath {
    var existing = path.lexicallyNormalized()
    var rest: [FilePath.Component] = []
    while !Syscalls.isDirectory(existing), let last = existing.lastComponent {
      rest.insert(last, at: 0)
      existing.removeLastComponent()
    }
    guard let folder = try? FolderHandle.open(existing) else { return path.lexicallyNormalized() }
    defer { folder.close() }
    guard let real = Syscalls.realPath(of: folder.descriptor) else {
      return path.lexicallyNormalized()
    }
    return real.appending(rest)
  }

  private init(top: FilePath, handle: FolderHandle, replacingLinks: Bool) {
    self.top = top
    self.handle = handle
    self.replacingLinks = replacingLinks
  }

  deinit { handle.close() }

  /// A writer whose destination is the folder `path` below this one,
  /// created when missing; a link on the way is refused as for any write.
  public func descending(into path: ConfinedPath) throws -> ConfinedWriter {
    if path.components.isEmpty {
      return ConfinedWriter(top: top, handle: try reopen(), replacingLinks: replacingLinks)
    }
    guard let folder = try folder(path, create: true) else {
      throw ArtError(.notFound, "no folder '\(absolute(path))'")
    }
    return ConfinedWriter(
      top: absolute(path), handle: folder, replacingLinks: replacingLinks)
  }

  /// The destination again, from its descriptor: never by path, which a
  /// race could have pointed elsewhere since.
  private func reopen() throws -> FolderHandle { try handle.duplicate() }

  /// `path` below the destination, for messages and for code that only reads.
  public func absolute(_ path: ConfinedPath) -> FilePath {
    var result = top
    for component in path.components { result.append(component) }
    return result
  }

  /// What is at a path of the working folder.
  package enum Found: Sendable {
    /// Nothing.
    case missing
    /// This, found without following any link.
    case present(FileStatus)
    /// A folder on the way is a symbolic link (or a file): the path lies beyond it.
    case beyondLink(ConfinedPath)
  }

  /// What is at `path`, looked at without following any link.
  package func inspect(_ path: ConfinedPath) throws -> Found {
    guard let name = path.name, let parentPath = path.parent else {
      return .present(try Syscalls.status(handle.descriptor, path: top))
    }
    switch try walk(parentPath, create: false) {
    case .opened(let parent):
      defer { parent.close() }
      return try parent.status(name).map { .present($0) } ?? .missing
    case .missing: return .missing
    case .blocked(let at): return .beyondLink(at)
    }
  }

  /// The folder at `path`, opened; nil when missing and not `create`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` naming a link or file on the
  ///   way (unless ``replacingLinks``).
  func folder(_ path: ConfinedPath, create: Bool) throws -> FolderHandle? {
    switch try walk(path, create: create) {
    case .opened(let folder): return folder
    case .missing: return nil
    case .blocked(let at): throw blocked(at)
    }
  }

  private func blocked(_ at: ConfinedPath) -> ArtError {
    ArtError(
      .invalidArgument,
      "'\(absolute(at))' is a symbolic link or file where the version has a folder; "
        + "art does not write through links",
      hint: replacingLinks
        // With --force it was replaced, and something put it back meanwhile.
        ? "something else changed the folder while art replaced it; stop it and run the "
          + "checkout again"
        : "use --force to replace it by a real folder (a link's target is not touched), "
          + "or move it away")
  }

  private enum Walk {
    case opened(FolderHandle)
    case missing
    case blocked(ConfinedPath)
  }

  /// Opens folder `path`: in one `openat2` call when it exists and nothing
  /// on the way is a link, else component by component.
  private func walk(_ path: ConfinedPath, create: Bool) throws -> Walk {
    if path.components.isEmpty { return .opened(try reopen()) }
    if let folder = handle.openBeneath(path.description) { return .opened(folder) }
    var current = try reopen()
    for index in path.components.indices {
      let name = path.components[index]
      let next: FolderHandle?
      do {
        next = try current.openFolder(name)
      } catch .tooManySymbolicLinkLevels, .notDirectory {
        // A link or file where a folder belongs.
        guard replacingLinks, create else {
          current.close()
          return .blocked(path.prefix(index + 1))
        }
        do {
          try current.unlink(name)
        } catch {
          current.close()
          throw error
        }
        next = nil
      } catch {
        current.close()
        throw ArtError.io("open folder", absolute(path.prefix(index + 1)).string, error)
      }
      if let next {
        current.close()
        current = next
        continue
      }
      guard create else {
        current.close()
        return .missing
      }
      do {
        try current.makeFolder(name)
        self.made.withLock { _ = $0.insert(path.prefix(index + 1)) }
        guard let made = try current.openFolder(name) else {
          throw ArtError.io(
            "open folder", absolute(path.prefix(index + 1)).string, Errno.noSuchFileOrDirectory)
        }
        current.close()
        current = made
      } catch let error as Errno {
        current.close()
        if error == .tooManySymbolicLinkLevels || error == .notDirectory {
          return .blocked(path.prefix(index + 1))  // raced in between
        }
        throw ArtError.io("open folder", absolute(path.prefix(index + 1)).string, error)
      } catch {
        current.close()
        throw error
      }
    }
    return .opened(current)
  }

  /// Runs `body` with the folder holding `path` (created when `create`) and
  /// the path's last name.
  private func inParent<T>(
    of path: ConfinedPath, create: Bool, _ body: (FolderHandle, String) throws -> T
  ) throws -> T? {
    guard let name = path.name, let parentPath = path.parent else {
      throw ArtError(.invalidArgument, "'\(top)' itself cannot be replaced")
    }
    guard let parent = try folder(parentPath, create: create) else { return nil }
    defer { parent.close() }
    return try body(parent, name)
  }

  /// Makes `path` a folder: whatever else is there (a file, a link) is
  /// removed first, never followed.
  public func makeFolder(_ path: ConfinedPath) throws {
    _ = try inParent(of: path, create: true) { parent, name in
      if let status = try parent.status(name) {
        if status.kind == .directory { return }
        try parent.unlink(name)
      }
      try parent.makeFolder(name)
      made.withLock { _ = $0.insert(path) }
    }
  }

  /// Removes `path` — a file, a link (not its target) or a whole folder —
  /// if it is there; a path beyond a link is not there.
  ///
  /// With `folderOnlyIfEmpty`, a folder that holds anything stays: what
  /// art does not track in it is not art's to delete.
  ///
  /// - Returns: false when a folder stayed.
  @discardableResult
  public func remove(_ path: ConfinedPath, folderOnlyIfEmpty: Bool = false) throws -> Bool {
    guard let name = path.name, let parentPath = path.parent else {
      throw ArtError(.invalidArgument, "'\(top)' itself cannot be removed")
    }
    guard case .opened(let parent) = try walk(parentPath, create: false) else { return true }
    defer { parent.close() }
    if folderOnlyIfEmpty, try parent.status(name)?.kind == .directory {
      return try parent.removeFolderIfEmpty(name)
    }
    try parent.removeTree(name)
    return true
  }

  /// Removes the folder at `path` when it is empty; anything else there
  /// (a folder that holds anything, a file or link in its place) stays.
  ///
  /// - Returns: whether it was removed.
  @discardableResult
  public func removeIfEmptyFolder(_ path: ConfinedPath) -> Bool {
    guard let name = path.name, let parentPath = path.parent,
      case .opened(let parent) = (try? walk(parentPath, create: false)) ?? .missing
    else { return false }
    defer { parent.close() }
    return (try? parent.removeFolderIfEmpty(name)) == true
  }

  /// Removes each folder from `path`'s parent upward while it is empty,
  /// stopping at the destination.
  public func removeEmptyParents(of path: ConfinedPath) {
    var folder = path.parent
    while let current = folder, removeIfEmptyFolder(current) { folder = current.parent }
  }

  /// Creates a symbolic link at `path` holding `target`, replacing what is
  /// there (a folder with everything below it).
  public func symlink(target: [UInt8], at path: ConfinedPath) throws {
    _ = try inParent(of: path, create: true) { parent, name in
      try parent.removeTree(name)
      try parent.symlink(target: target, at: name)
    }
  }

  /// The target of the link at `path`.
  public func readLink(_ path: ConfinedPath) throws -> [UInt8] {
    guard let target = try inParent(of: path, create: false, { try $0.readLink($1) }) else {
      throw ArtError(.notFound, "no link '\(absolute(path))'")
    }
    return target
  }

  /// Opens the file at `path` for reading; a link anywhere is refused.
  public func openFile(_ path: ConfinedPath) throws -> FileDescriptor {
    guard let fd = try inParent(of: path, create: false, { try $0.openFile($1) }) else {
      throw ArtError(.notFound, "no file '\(absolute(path))'")
    }
    return fd
  }

  /// Gives the regular file at `path` the bits a checkout gives `mode`
  /// (``permissions(_:)``), its content left as it is.
  ///
  /// Returns false, changing nothing, where the caller should write the
  /// file anew instead: no regular file can be opened there for reading (a
  /// link is never followed), the file has other names (a hard link, maybe
  /// outside the folder, whose mode is not checkout's to change), or its
  /// mode may not be set (another user's file, when not root).
  public func setFileMode(_ path: ConfinedPath, _ mode: UInt32) -> Bool {
    guard let fd = try? openFile(path) else { return false }
    defer { try? fd.close() }
    let name = absolute(path)
    guard let status = try? Syscalls.status(fd, path: name), status.kind == .regular,
      status.linkCount == 1
    else { return false }
    return (try? Syscalls.setMode(fd, Self.permissions(mode), path: name)) != nil
  }

  /// Sets folder `path`'s permission bits to `mode`'s `0o777`, less the umask.
  public func setFolderMode(_ path: ConfinedPath, _ mode: UInt32) throws {
    guard let folder = try folder(path, create: false) else { return }
    defer { folder.close() }
    try folder.setMode(Self.permissions(mode))
  }

  /// The bits a file or folder stored with `mode` gets here: read, write and
  /// execute (`0o777`) less the umask.
  public static func permissions(_ mode: UInt32) -> UInt32 {
    mode & 0o777 & ~Syscalls.fileCreationMask
  }

  /// The mode to count for a name a version records as `recorded` and the
  /// disk has as `disk`: the recorded mode when both are files, or both
  /// folders, and the disk has what a checkout of it leaves here
  /// (``permissions(_:)``: less the umask); else the disk's.
  ///
  /// So a checkout under a stricter umask than the committer's (`077`
  /// against `022`) leaves a folder that status calls clean and a commit
  /// records unchanged. A folder's set-group-id and sticky bits, which come
  /// from where it is, are left out: a folder that differs only in those
  /// keeps its recorded mode, as status shows no change.
  public static func modeToCount(
    disk: (kind: ManifestEntry.Kind, mode: UInt32),
    recorded: (kind: ManifestEntry.Kind, mode: UInt32)
  ) -> UInt32 {
    let files = disk.kind.isFile && recorded.kind.isFile
    let folders = disk.kind == .folder && recorded.kind == .folder
    guard files || folders, disk.mode != recorded.mode else { return disk.mode }
    if folders {
      let bits = disk.mode & 0o777
      return bits == recorded.mode & 0o777 || bits == permissions(recorded.mode)
        ? recorded.mode : disk.mode
    }
    return disk.mode == permissions(recorded.mode) ? recorded.mode : disk.mode
  }

  /// A new file for `path`, to be filled through ``StagedFile/descriptor``
  /// and then given its name by ``StagedFile/place()``; its folders are
  /// created now.
  public func stage(_ path: ConfinedPath, mode: UInt32) throws -> StagedFile {
    guard let name = path.name, let parentPath = path.parent else {
      throw ArtError(.invalidArgument, "'\(top)' itself cannot be replaced by a file")
    }
    guard let parent = try folder(parentPath, create: true) else {
      throw ArtError(.notFound, "no folder '\(absolute(parentPath))'")
    }
    do {
      // Created with its bits: the umask applies, setuid and the like cannot.
      let bits = mode & 0o777
      if let fd = try parent.createUnnamed(mode: bits) {
        return StagedFile(parent: parent, name: name, temporary: nil, descriptor: fd, top: top)
      }
      let temporary = Self.temporaryName()
      let fd = try parent.createFile(temporary, mode: bits)
      return StagedFile(parent: parent, name: name, temporary: temporary, descriptor: fd, top: top)
    } catch {
      parent.close()
      throw error
    }
  }

  /// Numbers temporary names: `.art-tmp-<pid>-<n>` is unique without a
  /// `getrandom` call per file.
  private static let temporaryCounter = Atomic<UInt64>(0)

  /// `.art-tmp-<pid>-<n>`.
  static func temporaryName() -> String {
    let number = temporaryCounter.add(1, ordering: .relaxed).newValue
    return ".art-tmp-\(Syscalls.processID)-\(number)"
  }
}

/// A file being written by ``ConfinedWriter/stage(_:mode:)``: unnamed
/// (`O_TMPFILE`) or under a temporary name in its folder until ``place()``.
public final class StagedFile: @unchecked Sendable {
  // Unchecked: used by one task at a time, from stage() to place() or discard().
  private let parent: FolderHandle
  private let name: String
  private var temporary: String?
  private var closed = false
  /// Where the bytes go.
  public let descriptor: FileDescriptor
  private let top: FilePath

  init(
    parent: FolderHandle, name: String, temporary: String?, descriptor: FileDescriptor,
    top: FilePath
  ) {
    self.parent = parent
    self.name = name
    self.temporary = temporary
    self.descriptor = descriptor
    self.top = top
  }

  /// The file's final path, for messages.
  public var path: FilePath { parent.path.appending(name) }

  /// Gives the file its name, replacing what is there (a link is replaced,
  /// not followed), and closes it.
  public func place() throws {
    defer { finish() }
    if let temporary {
      try parent.rename(temporary, to: name)
      self.temporary = nil
      return
    }
    do {
      try parent.link(descriptor, as: name)
      return
    } catch .fileExists {
      // Taken: link under a temporary name, then rename over it.
    } catch {
      throw ArtError.io("create", path.string, error)
    }
    let temporary = ConfinedWriter.temporaryName()
    do {
      try parent.link(descriptor, as: temporary)
    } catch {
      throw ArtError.io("create", parent.path.appending(temporary).string, error)
    }
    self.temporary = temporary
    try parent.rename(temporary, to: name)
    self.temporary = nil
  }

  /// Drops the file; nothing appears under its name.
  public func discard() { finish() }

  private func finish() {
    guard !closed else { return }
    closed = true
    if let temporary { try? parent.unlink(temporary) }
    try? descriptor.close()
    parent.close()
  }

  deinit { finish() }
}
