public import ArtStore
public import SystemPackage

/// `art diff --rows`: each modified table file of a diff, compared row by
/// row, read from the stores (and, against the folder, from disk).
public struct RowDiffs: Sendable {
  /// Only paths matching one of these (all when empty).
  public var patterns: [PathPattern] = []
  /// Read every compared file as this format, else by its extension.
  public var format: TableFormat? = nil
  /// The columns that identify a row (a compound key); empty: by content.
  public var key: [String] = []
  /// Examples of each kind of change to keep.
  public var limit: Int
  /// Counts the files compared and their bytes.
  public var progress: Progress?

  /// A comparison keeping `limit` examples of each kind of change.
  public init(limit: Int) {
    self.limit = limit
  }

  /// One side of the comparison: a version and the store holding it.
  public struct Side: Sendable {
    /// The version.
    public var version: ResolvedVersion
    /// Its store.
    public var store: ObjectStore
    /// How errors name it (`name:vN`, `project/name:vN`).
    public var label: String

    /// A side for `version` in `store`, called `label`.
    public init(version: ResolvedVersion, store: ObjectStore, label: String) {
      self.version = version
      self.store = store
      self.label = label
    }
  }

  /// The row diff of every modified CSV, TSV or JSON Lines file in
  /// `changes`, from `old` to `new` (nil: the files on disk in `folder`, by
  /// default `old`'s root folder in `repository`), spilling to `scratch`
  /// (by default `repository`'s scratch space).
  ///
  /// - Throws: ``ArtError`` for an unreadable table, a key column a file
  ///   lacks, or a path that is not a stored file.
  public func run(
    _ changes: [Change], old: Side, new: Side?, folder: FilePath? = nil, in repository: Repository,
    scratch: FilePath? = nil
  ) async throws -> [TableDiffReport] {
    var reports: [TableDiffReport] = []
    for change in changes where change.kind == .modified && change.isBetweenFiles {
      guard let tableFormat = format ?? TableFormat(path: change.path) else { continue }
      if !patterns.isEmpty, !patterns.contains(where: { $0.matches(change.path) }) { continue }
      // The file-level diff already holds both sides' entries.
      let before = try Self.storedFile(change.old, change.path, of: old)
      let after: TableSource
      let afterSize: UInt64
      if let new {
        let entry = try Self.storedFile(change.new, change.path, of: new)
        after = .stored(entry.id, new.store)
        afterSize = entry.size
      } else {
        let root = folder ?? repository.root.pushing(FilePath(old.version.record.root))
        after = .file(root.pushing(FilePath(change.path)))
        afterSize = change.newSize ?? 0
      }
      let diff = TableDiff(
        path: change.path, format: tableFormat, key: key, limit: limit,
        scratch: scratch ?? repository.layout.scratch("rows"))
      reports.append(
        try await diff.run(
          old: .stored(before.id, old.store), new: after, sizes: (before.size, afterSize)))
      progress?.add(fileOf: Int(before.size + afterSize))
    }
    return reports
  }

  /// `entry` when it is a stored file (whole or chunked).
  private static func storedFile(_ entry: TreeEntry?, _ path: String, of side: Side) throws
    -> TreeEntry
  {
    guard let entry, entry.isFile else {
      throw ArtError(.notFound, "'\(path)' is not a stored file of \(side.label)")
    }
    return entry
  }
}
