public import ArtStore
public import SystemPackage

/// Glob patterns for `--path`: `*` and `?` within a path component, `**`
/// across components; a pattern naming a folder matches everything below it.
public struct PathPattern: Sendable {
  private let components: [String]

  /// A pattern such as `images/**/*.jpg` or `labels`.
  public init(_ text: String) throws {
    let parts = text.split(separator: "/").map(String.init).filter { $0 != "." }
    guard !parts.isEmpty, !parts.contains("..") else {
      throw ArtError(
        .invalidArgument, "'\(text)' is not a path pattern",
        hint: "use a path relative to the version's root, e.g. 'images/**/*.jpg'")
    }
    components = parts
  }

  /// Whether `path` (relative, `/`-separated) matches, or lies below a match.
  public func matches(_ path: String) -> Bool {
    let parts = path.split(separator: "/").map(String.init)
    return Self.match(components[...], parts[...])
  }

  private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
    guard let first = pattern.first else { return true }  // below a matched folder
    if first == "**" {
      var rest = path
      while true {
        if match(pattern.dropFirst(), rest) { return true }
        guard !rest.isEmpty else { return false }
        rest = rest.dropFirst()
      }
    }
    guard let head = path.first, globMatches(Array(first.utf8)[...], Array(head.utf8)[...]) else {
      return false
    }
    return match(pattern.dropFirst(), path.dropFirst())
  }
}

/// Whether `s` matches the glob `p`: `*` any run of bytes, `?` one byte.
func globMatches(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
  guard let c = p.first else { return s.isEmpty }
  if c == UInt8(ascii: "*") {
    var rest = s
    while true {
      if globMatches(p.dropFirst(), rest) { return true }
      guard !rest.isEmpty else { return false }
      rest = rest.dropFirst()
    }
  }
  guard let h = s.first, c == UInt8(ascii: "?") || c == h else { return false }
  return globMatches(p.dropFirst(), s.dropFirst())
}

/// What a checkout did.
public struct CheckoutResult: Sendable {
  /// Files, links and folders written.
  public var written = 0
  /// Paths deleted.
  public var deleted = 0
  /// Paths already right, left alone.
  public var unchanged = 0
  /// Bytes of file content written.
  public var bytesWritten: UInt64 = 0
  /// Reference entries fetched.
  public var referencesFetched = 0
  /// Bytes of those references.
  public var referenceBytes: UInt64 = 0
  /// Reference entries left out (`--skip-references`).
  public var referencesSkipped = 0
}

/// Makes a folder match a version.
///
/// In place (no `--to`), the version's root folder is brought to the
/// version for every path the artifact tracks — those of this version and of
/// the version checked out before (or the latest): missing and changed files
/// are written, files the old version had and this one lacks are deleted,
/// untracked files are never touched, and files already right are not
/// rewritten. A path is overwritten or deleted only if it is absent or
/// still matches the old version; anything else is a local change and
/// stops the checkout, listing them, unless `force`.
public struct Checkout: Sendable {
  /// The repository.
  public let repository: Repository

  /// Counts files and bytes as they are written.
  public let progress: Progress?
  /// What to do with reference entries.
  public var references = ReferencePolicy.fetch(allowChanged: false)

  /// A checkout in `repository`.
  public init(repository: Repository, progress: Progress? = nil) {
    self.repository = repository
    self.progress = progress
  }

  private var stateFolder: FilePath { repository.directory.appending("state/checkout") }

  /// The version last checked out in place for `artifact`, if recorded.
  public func checkedOut(_ artifact: ArtifactName) throws -> ObjectID? {
    guard let bytes = try AtomicFile.read(stateFolder.appending(artifact.text), limit: 200),
      let text = String(validating: bytes, as: UTF8.self)
    else { return nil }
    return ObjectID(text.trimmingWhitespace())
  }

  /// Writes `version` into `target` (new or empty), only paths matching
  /// `patterns` when any are given.
  ///
  /// A whole copy restores folder modes too; with patterns, folders are
  /// made with the default mode.
  public func copy(_ version: ResolvedVersion, to target: FilePath, patterns: [PathPattern])
    async throws -> CheckoutResult
  {
    try Materializer.prepareEmptyFolder(
      target, hint: "give a new or empty folder to --to, or check out in place without --to")
    if patterns.isEmpty {
      // The whole tree: written as stored, folder modes included.
      let written = try await Materializer(store: repository.store, progress: progress)
        .write(version.record.manifest, into: target, references: references)
      var result = CheckoutResult()
      result.written = written.files + written.symlinks
      result.bytesWritten = written.bytes
      result.referencesFetched = written.referencesFetched
      result.referenceBytes = written.referenceBytes
      result.referencesSkipped = written.referencesSkipped
      return result
    }
    let wanted = try selected(version.record.manifest, patterns)
    return try await apply(writes: wanted.sorted { $0.key < $1.key }, deletes: [], root: target)
  }

  /// Brings the version's root folder to `version` in place.
  ///
  /// - Throws: ``ArtError`` with `.invalidArgument` listing local changes
  ///   that would be lost (nothing is changed then).
  ///
  /// A version of another project (`tracked` false) has no previous
  /// version here: files are written, nothing is deleted, and it is not
  /// recorded as checked out.
  public func inPlace(
    _ version: ResolvedVersion, patterns: [PathPattern], force: Bool, tracked: Bool = true
  ) async throws -> CheckoutResult {
    let root = repository.root.pushing(FilePath(version.record.root)).lexicallyNormalized()
    try Syscalls.makeDirectories(root)
    let refs = try repository.refs.read()
    var previousID = tracked ? try checkedOut(version.artifact) : nil
    if let id = previousID, !refs.versions(of: version.artifact).contains(where: { $0.id == id }) {
      previousID = nil  // removed since; fall back to latest
    }
    if tracked, previousID == nil,
      case .version(let id) = refs[RefName(version.artifact, .alias(.latest))]
    {
      previousID = id
    }
    var old: [String: TreeEntry] = [:]
    if let previousID {
      let previous = try repository.loadVersion(previousID, artifact: version.artifact)
      if previous.record.root == version.record.root {
        old = try selected(previous.record.manifest, patterns)
      }
    }
    let new = try selected(version.record.manifest, patterns)

    var writes: [(String, TreeEntry)] = []
    var deletes: [String] = []
    var conflicts: [String] = []
    var unchanged = 0
    let cache = StatCache(repository: repository)
    let store = repository.store
    for path in Set(old.keys).union(new.keys).sorted() {
      if references == .skip,
        new[path]?.kind.isReference == true || old[path]?.kind.isReference == true
      {
        continue  // left as it is on disk
      }
      // Each path is inspected once and hashed at most once.
      guard var disk = try OnDisk(root.pushing(FilePath(path)), cache: cache, store: store) else {
        if let target = new[path] { writes.append((path, target)) }
        continue
      }
      if let target = new[path] {
        if try disk.matches(target, checkMode: true) {
          unchanged += 1
          continue
        }
        if !force, try !(old[path].map { try disk.matches($0, checkMode: false) } ?? false) {
          conflicts.append(path)
        }
        writes.append((path, target))
      } else if let before = old[path] {
        if !force, try !disk.matches(before, checkMode: false) { conflicts.append(path) }
        deletes.append(path)
      }
    }
    if !conflicts.isEmpty {
      let shown = conflicts.prefix(20).map { "  " + $0 }.joined(separator: "\n")
      throw ArtError(
        .invalidArgument,
        "checkout would overwrite or delete \(conflicts.count) path(s) with local changes:\n"
          + shown + (conflicts.count > 20 ? "\n  …" : ""),
        hint: "commit them first, or use --force to discard them")
    }
    var result = try await apply(writes: writes, deletes: deletes, root: root)
    result.unchanged = unchanged
    if references == .skip {
      result.referencesSkipped = new.values.count { $0.kind.isReference }
    }
    if patterns.isEmpty && tracked { try recordCheckedOut(version) }
    return result
  }

  /// Records that the artifact's root folder now holds `version`.
  public func recordCheckedOut(_ version: ResolvedVersion) throws {
    try Syscalls.makeDirectories(stateFolder)
    try AtomicFile.write(
      Array((version.id.hex + "\n").utf8), to: stateFolder.appending(version.artifact.text))
  }

  private func selected(_ manifest: ObjectID, _ patterns: [PathPattern]) throws
    -> [String: TreeEntry]
  {
    var all = try ManifestDiff.flatten(manifest, store: repository.store)
    if case .fetch = references { all = try expandingVersions(all) }
    if patterns.isEmpty { return all }
    return all.filter { path, _ in patterns.contains { $0.matches(path) } }
  }

  /// `entries` with each bundle entry (`.version`) replaced by the files
  /// of the version it names, below its path, nested ones too.
  private func expandingVersions(_ entries: [String: TreeEntry]) throws -> [String: TreeEntry] {
    var result = entries
    var pending = entries.filter { $0.value.kind == .version }
    let store = repository.store
    while let (path, entry) = pending.popFirst() {
      result[path] = nil
      let record = try VersionRecord(decoding: store.read(entry.id, as: .version), id: entry.id)
      for (inner, innerEntry) in try ManifestDiff.flatten(
        record.manifest, store: store, prefix: path + "/")
      {
        if innerEntry.kind == .version {
          pending[inner] = innerEntry
        } else {
          result[inner] = innerEntry
        }
      }
      if record.files == 0, record.referenceCount == 0 {
        result[path] = TreeEntry(kind: .folder, id: Manifest.emptyID, size: 0, mode: 0o755)
      }
    }
    return result
  }

  private func apply(writes: [(String, TreeEntry)], deletes: [String], root: FilePath)
    async throws -> CheckoutResult
  {
    var result = CheckoutResult()
    var writes = writes
    let materializer = Materializer(store: repository.store, progress: progress)
    // References first: one that changed or cannot be fetched stops the
    // checkout before any other file is touched.
    if case .fetch(let allowChanged) = references {
      var early: [Materializer.FileJob] = []
      for (path, entry) in writes where entry.kind == .reference {
        let onDisk = root.pushing(FilePath(path))
        guard try Syscalls.linkStatus(onDisk)?.kind != .directory,
          let job = Materializer.FileJob(path: onDisk, entry)
        else { continue }
        try Syscalls.makeDirectories(onDisk.removingLastComponent())
        early.append(job)
      }
      if !early.isEmpty {
        result.referenceBytes = try await materializer.fetch(
          early, below: root, allowChanged: allowChanged)
        result.referencesFetched = early.count
        let done = Set(early.map(\.path))
        writes.removeAll { done.contains(root.pushing(FilePath($0.0))) }
      }
    }
    var referenceJobs: [Materializer.FileJob] = []
    for path in deletes.sorted(by: >) {
      let onDisk = root.pushing(FilePath(path))
      if try Syscalls.linkStatus(onDisk)?.kind == .directory {
        try removeTree(onDisk)
      } else {
        try Syscalls.unlink(onDisk)
      }
      result.deleted += 1
      removeEmptyParents(of: onDisk, below: root)
    }
    var jobs: [Materializer.FileJob] = []
    for (path, entry) in writes {
      let onDisk = root.pushing(FilePath(path))
      var parent = onDisk
      parent.removeLastComponent()
      try Syscalls.makeDirectories(parent)
      let existing = try Syscalls.linkStatus(onDisk)
      switch entry.kind {
      case .folder:
        if existing?.kind != .directory {
          if existing != nil { try Syscalls.unlink(onDisk) }
          try Syscalls.makeDirectory(onDisk)
        }
      case .symlink:
        if existing?.kind == .directory {
          try removeTree(onDisk)
        } else if existing != nil {
          try Syscalls.unlink(onDisk)
        }
        try Syscalls.symlink(target: repository.store.read(entry.id, as: .blob), at: onDisk)
      case .version:
        continue  // expanded into its files, or left out with --skip-references
      case .reference:
        if existing?.kind == .directory { try removeTree(onDisk) }
        guard case .fetch = references else {
          result.referencesSkipped += 1
          continue
        }
        if let job = Materializer.FileJob(path: onDisk, entry) { referenceJobs.append(job) }
        continue  // counted as fetched, not written
      case .file, .chunked:
        if existing?.kind == .directory { try removeTree(onDisk) }
        guard let job = Materializer.FileJob(path: onDisk, entry) else { continue }
        jobs.append(job)
        result.bytesWritten += entry.size
      }
      result.written += 1
    }
    try await materializer.writeFiles(jobs)
    if case .fetch(let allowChanged) = references, !referenceJobs.isEmpty {
      // Those that replace a folder, fetched once it is gone.
      result.referenceBytes += try await materializer.fetch(
        referenceJobs, below: root, allowChanged: allowChanged)
      result.referencesFetched += referenceJobs.count
    }
    return result
  }

  private func removeEmptyParents(of path: FilePath, below root: FilePath) {
    var folder = path
    while folder.removeLastComponent(), folder != root, folder.starts(with: root) {
      guard (try? directoryEntries(folder).isEmpty) == true else { return }
      try? Syscalls.removeDirectory(folder)
    }
  }
}

/// What is at one path of a working folder, with its content id worked out
/// on first use: from the stat cache when the file is unchanged since art
/// last read it, otherwise by hashing it once.
private struct OnDisk {
  let path: FilePath
  let status: FileStatus
  let cache: StatCache
  let store: ObjectStore
  private var id: ObjectID?

  /// Nil when nothing is at `path`.
  init?(_ path: FilePath, cache: StatCache, store: ObjectStore) throws {
    guard let status = try Syscalls.linkStatus(path) else { return nil }
    self.path = path
    self.status = status
    self.cache = cache
    self.store = store
  }

  private mutating func contentID() throws -> ObjectID {
    if let id { return id }
    let computed: ObjectID
    if status.kind == .symlink {
      computed = ObjectHasher.id(of: try Syscalls.readLink(path))
    } else if let cached = cache.lookup(path, status) {
      computed = cached.id
    } else {
      let fd = try openForReading(path)
      defer { try? fd.close() }
      var source = FileSource(descriptor: fd, name: path.string)
      computed = try ContentStorer.hash(&source).0
    }
    id = computed
    return computed
  }

  /// Whether this is `entry`: kind and content, and mode if asked.
  ///
  /// A reference recorded without a SHA-256 cannot be compared: it counts
  /// as a match only as the old side (nothing to lose by replacing it),
  /// never as the target (it is fetched again).
  mutating func matches(_ entry: TreeEntry, checkMode: Bool) throws -> Bool {
    switch entry.kind {
    case .version:
      return status.kind == .directory
    case .reference:
      guard status.kind == .regular, UInt64(status.size) == entry.size else { return false }
      if checkMode, status.permissions != entry.mode { return false }
      guard let sha = try store.reference(entry.id).sha256 else { return !checkMode }
      return try contentID() == sha
    case .folder:
      return status.kind == .directory
    case .symlink:
      guard status.kind == .symlink else { return false }
      return try contentID() == entry.id
    case .file, .chunked:
      guard status.kind == .regular, UInt64(status.size) == entry.size else { return false }
      if checkMode, status.permissions != entry.mode { return false }
      return try contentID() == entry.id
    }
  }
}
