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
  public var isFile: Bool { kind == .file || kind == .chunked }

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
    try listing(of: id, in: store, prefix: prefix, expandingBundles: expandingBundles).entries
  }

  /// ``entries(of:in:prefix:expandingBundles:)``, and every folder below
  /// the root with the permission bits its manifest entry records (a
  /// version's folders have modes, which `entries` leaves out).
  ///
  /// - Throws: as ``entries(of:in:prefix:expandingBundles:)``.
  public static func listing(
    of id: ObjectID, in store: ObjectStore, prefix: String = "", expandingBundles: Bool = false
  ) throws -> (entries: [TreePath: TreeEntry], folderModes: [TreePath: UInt32]) {
    var graph = ObjectGraph(source: LocalObjects(store), onProblem: .stop)
    graph.visitsEveryPath = true
    var lister = Lister(prefix: prefix, expandsBundles: expandingBundles)
    try graph.walkNow([.tree(id, label: "tree \(id.prefix(12))")], visitor: &lister)
    return (lister.result, lister.folderModes)
  }

  private struct Lister: GraphVisitor {
    let prefix: String
    let expandsBundles: Bool
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
        let path = TreePath(prefix + place.appending(entry.name).path)
        if entry.kind == .folder {
          folderModes[path] = entry.mode
        } else if !follows(entry, at: place) {
          result[path] = TreeEntry(entry)
        }
      }
    }
  }
}
