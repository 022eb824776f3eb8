public import ArtStore

/// A file, symlink or empty folder of a tree, flattened to its path.
public struct TreeEntry: Sendable, Equatable {
  /// What the entry is (`.folder` for empty folders in a listing, and
  /// for a folder whose mode changed in a ``Change``).
  public var kind: ManifestEntry.Kind
  /// Its content id.
  public var id: ObjectID
  /// Its size.
  public var size: UInt64
  /// Its permission bits.
  public var mode: UInt32

  /// Whether the entry is a stored file (whole or chunked).
  public var isFile: Bool { kind.isFile }

  /// Whether both are the same entry.
  ///
  /// A file stored whole and one stored in chunks are the same file when
  /// their id (its SHA-256), size and mode agree: repositories with other
  /// chunk sizes record the same file either way.
  public static func == (a: TreeEntry, b: TreeEntry) -> Bool {
    (a.kind == b.kind || (a.isFile && b.isFile)) && a.id == b.id && a.size == b.size
      && a.mode == b.mode
  }
}

/// A tree flattened to its paths, with the mode of each folder below its
/// root (which the entries leave out, but which a version records).
public struct FlatTree: Sendable {
  /// The files, links, references and empty folders, by path.
  public var entries: [TreePath: TreeEntry]
  /// Every folder below the root, by path, with its permission bits.
  public var folderModes: [TreePath: UInt32]

  /// Gives this tree, read from disk, `version`'s mode for each file and
  /// folder whose mode here is what a checkout of `version` leaves (see
  /// ``ConfinedWriter/modeToCount(disk:recorded:)``).
  public mutating func countModes(against version: FlatTree) {
    for (path, entry) in entries {
      guard let recorded = version.entries[path], recorded.mode != entry.mode else { continue }
      entries[path]?.mode = ConfinedWriter.modeToCount(
        disk: (entry.kind, entry.mode), recorded: (recorded.kind, recorded.mode))
    }
    for (path, mode) in folderModes {
      guard let recorded = version.folderModes[path], recorded != mode else { continue }
      folderModes[path] = ConfinedWriter.modeToCount(
        disk: (.folder, mode), recorded: (.folder, recorded))
    }
  }
}

extension TreeEntry {
  /// The flattened form of a manifest entry.
  init(_ entry: ManifestEntry) {
    self.init(kind: entry.kind, id: entry.id, size: entry.size, mode: entry.mode)
  }
}

/// Every path of a tree with its entry, from one walk of the graph.
public enum TreeListing {
  /// The entry at `path` (components) below manifest `id`, or nil.
  ///
  /// Only the manifests on the way are read. A folder's entry is its
  /// manifest (`.folder`, whether empty or not).
  ///
  /// - Throws: ``ArtError`` for a missing or damaged manifest.
  public static func entry(at path: [String], of id: ObjectID, in store: ObjectStore) throws
    -> TreeEntry?
  {
    var folder = id
    for (index, name) in path.enumerated() {
      guard let entry = try store.manifest(folder).entries.first(where: { $0.name == name })
      else { return nil }
      if index == path.count - 1 { return TreeEntry(entry) }
      guard entry.kind == .folder else { return nil }
      folder = entry.id
    }
    return nil
  }

  /// Every path below manifest `id` with its entry.
  ///
  /// That is the files, links, external references and bundle entries by
  /// path (`images/a.jpg`), and the empty folders as `.folder` entries.
  /// With `expandingBundles`, a bundle entry is replaced
  /// by the files of the version it names, below its path, nested ones too.
  /// Paths start with `prefix` (`sub/`, or empty).
  ///
  /// - Throws: ``ArtError`` for a missing or damaged manifest or record, or
  ///   folders nested too deep.
  public static func entries(
    of id: ObjectID, in store: ObjectStore, prefix: String = "", expandingBundles: Bool = false
  ) throws -> [TreePath: TreeEntry] {
    try walk(id, in: store, prefix: prefix, expandingBundles: expandingBundles, modes: false)
      .entries
  }

  /// ``entries(of:in:prefix:expandingBundles:)``, and every folder below
  /// the root with the permission bits its manifest entry records (a
  /// version's folders have modes, which `entries` leaves out).
  ///
  /// - Throws: as ``entries(of:in:prefix:expandingBundles:)``.
  public static func listing(
    of id: ObjectID, in store: ObjectStore, prefix: String = "", expandingBundles: Bool = false
  ) throws -> FlatTree {
    try walk(id, in: store, prefix: prefix, expandingBundles: expandingBundles, modes: true)
  }

  /// The one walk behind both: folder modes only when `modes`.
  private static func walk(
    _ id: ObjectID, in store: ObjectStore, prefix: String, expandingBundles: Bool, modes: Bool
  ) throws -> FlatTree {
    var graph = ObjectGraph(source: LocalObjects(store), onProblem: .stop)
    graph.visitsEveryPath = true
    var lister = Lister(prefix: prefix, expandsBundles: expandingBundles, keepsModes: modes)
    try graph.walkNow([.tree(id, label: "tree \(id.prefix(12))")], visitor: &lister)
    return FlatTree(entries: lister.result, folderModes: lister.folderModes)
  }

  private struct Lister: GraphVisitor {
    let prefix: String
    let expandsBundles: Bool
    let keepsModes: Bool
    var result: [TreePath: TreeEntry] = [:]
    var folderModes: [TreePath: UInt32] = [:]

    func follows(_ entry: ManifestEntry, at place: GraphPlace) -> Bool {
      entry.kind == .folder || (expandsBundles && entry.kind == .bundle)
    }

    mutating func visit(_ id: ObjectID, _ node: GraphNode, raw: [UInt8]?, at place: GraphPlace) {
      guard case .manifest(let manifest) = node else { return }
      if manifest.entries.isEmpty {
        let path = place.path.isEmpty ? String(prefix.dropLast()) : prefix + place.path
        if !path.isEmpty {
          result[TreePath(path)] = TreeEntry(kind: .folder, id: id, size: 0, mode: 0o755)
        }
      }
      for entry in manifest.entries {
        if entry.kind == .folder {
          if keepsModes {
            folderModes[TreePath(prefix + place.appending(entry.name).path)] = entry.mode
          }
        } else if !follows(entry, at: place) {
          result[TreePath(prefix + place.appending(entry.name).path)] = TreeEntry(entry)
        }
      }
    }
  }
}
