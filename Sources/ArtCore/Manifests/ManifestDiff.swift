public import ArtStore

/// One difference between two trees: a file, link or reference entry, an
/// empty folder added or removed, or a folder whose mode changed.
public struct Change: Sendable, Equatable {
  /// What happened to the path.
  public enum Kind: String, Sendable, Codable {
    case added, removed, modified, renamed
  }

  /// What happened.
  public var kind: Kind
  /// The path (the new path, for a rename), relative to the version's root.
  public var path: String
  /// The old path of a rename.
  public var oldPath: String?
  /// The entry before (nil when added).
  public var old: TreeEntry?
  /// The entry after (nil when removed).
  public var new: TreeEntry?

  /// A change from `old` to `new`.
  public init(
    kind: Kind, path: String, oldPath: String? = nil, old: TreeEntry?, new: TreeEntry?
  ) {
    self.kind = kind
    self.path = path
    self.oldPath = oldPath
    self.old = old
    self.new = new
  }

  /// Size before (nil when added).
  public var oldSize: UInt64? { old?.size }
  /// Size after (nil when removed).
  public var newSize: UInt64? { new?.size }
  /// Whether both sides are stored files: the change a row diff can read.
  public var isBetweenFiles: Bool { old?.isFile == true && new?.isFile == true }
  /// Whether the path is an external reference or a bundle entry (on either
  /// side): its bytes are outside the tree.
  public var pointsOutsideTree: Bool {
    old?.kind.pointsOutsideTree == true || new?.kind.pointsOutsideTree == true
  }
  /// The version a bundle entry points at (the new side's, else the old).
  public var version: ObjectID? {
    [new, old].compactMap { $0 }.first { $0.kind == .bundle }?.id
  }
}

/// Compares trees of manifests.
public enum ManifestDiff {
  /// The changes from manifest `old` to manifest `new`, sorted by path.
  ///
  /// Walks both trees in step and never descends into a folder whose
  /// manifest id is equal on both sides, so the cost grows with what
  /// changed. A removed and an added file with equal content are reported
  /// as one rename.
  public static func between(_ old: ObjectID, _ new: ObjectID, store: ObjectStore) throws
    -> [Change]
  {
    var added: [TreePath: TreeEntry] = [:]
    var removed: [TreePath: TreeEntry] = [:]
    var changes: [Change] = []
    try walk(
      old, new, prefix: "", store: store, added: &added, removed: &removed, changes: &changes)
    return pairRenames(added: added, removed: removed, changes: changes)
  }

  /// The changes from the flattened tree `old` to `new`.
  public static func between(_ old: [TreePath: TreeEntry], _ new: [TreePath: TreeEntry]) -> [Change]
  {
    between(old, new, besides: [])
  }

  /// The changes between flattened trees with the folders each holds and
  /// their modes (see ``TreeListing/listing(of:in:prefix:expandingBundles:)``):
  /// those of their entries, and a `.modified` change for each folder on
  /// both sides whose mode differs, as the diff of two versions has.
  public static func between(_ old: FlatTree, _ new: FlatTree) -> [Change] {
    var folders: [Change] = []
    for (path, mode) in new.folderModes {
      // A folder empty on one side only is added or removed already.
      guard let before = old.folderModes[path], folderModesDiffer(before, mode),
        (old.entries[path] == nil) == (new.entries[path] == nil)
      else { continue }
      folders.append(folderModeChange(path.text, from: before, to: mode))
    }
    return between(old.entries, new.entries, besides: folders)
  }

  /// The changes from `old` to `new`, with `changes` found otherwise.
  private static func between(
    _ old: [TreePath: TreeEntry], _ new: [TreePath: TreeEntry], besides changes: [Change]
  ) -> [Change] {
    var added: [TreePath: TreeEntry] = [:]
    var removed: [TreePath: TreeEntry] = [:]
    var changes = changes
    for (path, entry) in new {
      guard let before = old[path] else {
        added[path] = entry
        continue
      }
      if before != entry {
        changes.append(Change(kind: .modified, path: path.text, old: before, new: entry))
      }
    }
    for (path, entry) in old where new[path] == nil { removed[path] = entry }
    return pairRenames(added: added, removed: removed, changes: changes)
  }

  /// Whether two folder modes differ in their permissions.
  ///
  /// Set-group-id and sticky bits on a folder come from where it is (a
  /// shared folder's new subfolders inherit set-group-id) and a checkout
  /// never sets them, so they are left out.
  static func folderModesDiffer(_ a: UInt32, _ b: UInt32) -> Bool {
    a & 0o777 != b & 0o777
  }

  /// A folder whose mode changed (its content's changes are their own):
  /// `.folder` entries of size 0, with the manifest ids when known (a
  /// folder on disk has none; `Manifest.emptyID` stands in).
  private static func folderModeChange(
    _ path: String, from old: UInt32, to new: UInt32,
    ids: (ObjectID, ObjectID) = (Manifest.emptyID, Manifest.emptyID)
  ) -> Change {
    Change(
      kind: .modified, path: path,
      old: TreeEntry(kind: .folder, id: ids.0, size: 0, mode: old),
      new: TreeEntry(kind: .folder, id: ids.1, size: 0, mode: new))
  }

  private static func walk(
    _ old: ObjectID?, _ new: ObjectID?, prefix: String, store: ObjectStore,
    added: inout [TreePath: TreeEntry], removed: inout [TreePath: TreeEntry],
    changes: inout [Change]
  ) throws {
    if old == new { return }
    if prefix.utf8.count(where: { $0 == UInt8(ascii: "/") }) > Manifest.maximumDepth {
      throw Manifest.tooDeep(prefix)
    }
    let oldByName = try old.map { try store.manifest($0).entriesByName } ?? [:]
    let newByName = try new.map { try store.manifest($0).entriesByName } ?? [:]
    for name in Set(oldByName.keys).union(newByName.keys) {
      let path = prefix + name.text
      let key = TreePath(path)
      let a = oldByName[name]
      let b = newByName[name]
      switch (a?.kind == .folder, b?.kind == .folder) {
      case (true, true):
        if let a, let b, Self.folderModesDiffer(a.mode, b.mode) {
          changes.append(folderModeChange(path, from: a.mode, to: b.mode, ids: (a.id, b.id)))
        }
        try walk(
          a?.id, b?.id, prefix: path + "/", store: store, added: &added, removed: &removed,
          changes: &changes)
      case (true, false):
        try walk(
          a?.id, nil, prefix: path + "/", store: store, added: &added, removed: &removed,
          changes: &changes)
        if let b { added[key] = TreeEntry(b) }
      case (false, true):
        if let a { removed[key] = TreeEntry(a) }
        try walk(
          nil, b?.id, prefix: path + "/", store: store, added: &added, removed: &removed,
          changes: &changes)
      case (false, false):
        switch (a, b) {
        case (let a?, let b?):
          if TreeEntry(a) != TreeEntry(b) {
            changes.append(
              Change(kind: .modified, path: path, old: TreeEntry(a), new: TreeEntry(b)))
          }
        case (let a?, nil):
          removed[key] = TreeEntry(a)
        case (nil, let b?):
          added[key] = TreeEntry(b)
        case (nil, nil):
          break
        }
      }
    }
    // A folder that exists on one side only and is empty still counts.
    if old == nil, let new, newByName.isEmpty, !prefix.isEmpty {
      added[TreePath(String(prefix.dropLast()))] = TreeEntry(
        kind: .folder, id: new, size: 0, mode: 0o755)
    }
    if new == nil, let old, oldByName.isEmpty, !prefix.isEmpty {
      removed[TreePath(String(prefix.dropLast()))] = TreeEntry(
        kind: .folder, id: old, size: 0, mode: 0o755)
    }
  }

  private static func pairRenames(
    added: [TreePath: TreeEntry], removed: [TreePath: TreeEntry], changes: [Change]
  ) -> [Change] {
    var changes = changes
    var removedByContent: [ObjectID: [TreePath]] = [:]
    for (path, entry) in removed where entry.kind != .folder {
      removedByContent[entry.id, default: []].append(path)
    }
    for key in removedByContent.keys { removedByContent[key]?.sort() }
    var renamedFrom = Set<TreePath>()
    for (path, entry) in added.sorted(by: { $0.key < $1.key }) {
      if entry.kind != .folder, var sources = removedByContent[entry.id], !sources.isEmpty {
        let source = sources.removeFirst()
        removedByContent[entry.id] = sources
        renamedFrom.insert(source)
        changes.append(
          Change(
            kind: .renamed, path: path.text, oldPath: source.text, old: removed[source], new: entry)
        )
      } else {
        changes.append(Change(kind: .added, path: path.text, old: nil, new: entry))
      }
    }
    for (path, entry) in removed where !renamedFrom.contains(path) {
      changes.append(Change(kind: .removed, path: path.text, old: entry, new: nil))
    }
    return changes.sorted { ManifestEntry.precedes($0.path, $1.path) }
  }
}
