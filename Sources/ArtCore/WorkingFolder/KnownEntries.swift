import ArtStore

/// What art wrote at each path of a folder, as far as it knows: the tree
/// of the folder's base, and the entries of versions a checkout wrote there
/// in part (``FolderBase/partial``) where they differ from it.
struct KnownEntries {
  var base: [ConfinedPath: TreeEntry] = [:]
  private var partial: [ConfinedPath: [TreeEntry]] = [:]

  /// Every path with an entry.
  var paths: Set<ConfinedPath> { Set(base.keys).union(partial.keys) }

  /// Adds `entry` of a partial version at `path`.
  mutating func add(_ entry: TreeEntry, at path: ConfinedPath) {
    guard base[path] != entry, partial[path]?.contains(entry) != true else { return }
    partial[path, default: []].append(entry)
  }

  /// Whether some entry is at `path`.
  func has(_ path: ConfinedPath) -> Bool { base[path] != nil || partial[path] != nil }

  /// Whether some entry at `path` passes `test`.
  func any(at path: ConfinedPath, _ test: (TreeEntry) throws -> Bool) rethrows -> Bool {
    if let entry = base[path], try test(entry) { return true }
    return try partial[path]?.contains(where: test) ?? false
  }
}
