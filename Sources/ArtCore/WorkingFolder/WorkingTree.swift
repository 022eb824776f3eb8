public import ArtStore
public import SystemPackage

/// A working folder read into the flat form of ``ManifestDiff``: every
/// file and symlink with its SHA-256, and every empty folder.
///
/// Files are hashed on one task per core. Folders named `.art`, special
/// files and names art cannot store are left out, as a commit would.
public enum WorkingTree {
  /// The entries under `root`; with `topLevel`, only those below these
  /// top-level names (how a version committed from several paths is
  /// compared with the folder).
  ///
  /// Files whose status matches `statCache` are not read; paths in
  /// `skipping` (reference entries) are left out.
  public static func flatten(
    _ root: FilePath, topLevel: Set<String>? = nil, chunking: ChunkerParameters,
    statCache: StatCache? = nil, skipping: Set<String> = []
  ) async throws -> [String: TreeEntry] {
    let scanned = try await scan(
      root, prefix: "", topLevel: topLevel, statCache: statCache, skipping: skipping)
    var result = [String: TreeEntry](minimumCapacity: scanned.known.count + scanned.toHash.count)
    for (path, entry) in scanned.known { result[path] = entry }
    let toHash = scanned.toHash
    let hashed = try await forEachConcurrently(
      count: toHash.count, makeState: { [(String, TreeEntry)]() },
      { state, index in
        let (path, file, mode) = toHash[index]
        let fd = try openForReading(file)
        defer { try? fd.close() }
        var source = FileSource(descriptor: fd, name: file.string)
        let (id, size) = try ContentStorer.hash(&source)
        let kind: ManifestEntry.Kind = size > UInt64(chunking.maximum) ? .chunked : .file
        state.append((path, TreeEntry(kind: kind, id: id, size: size, mode: mode)))
      }, finish: { $0 })
    for batch in hashed {
      for (path, entry) in batch { result[path] = entry }
    }
    return result
  }

  /// What a scan found: entries known without reading (stat cache,
  /// symlinks, empty folders) and files to hash.
  private struct Scanned: Sendable {
    var known: [(String, TreeEntry)] = []
    var toHash: [(String, FilePath, UInt32)] = []
  }

  /// Lists `folder` and, concurrently, its subfolders.
  private static func scan(
    _ folder: FilePath, prefix: String, topLevel: Set<String>?, statCache: StatCache?,
    skipping: Set<String>
  ) async throws -> Scanned {
    if prefix.utf8.count(where: { $0 == UInt8(ascii: "/") }) > Manifest.maximumDepth {
      throw ArtError(
        .invalidArgument,
        "'\(folder)' is nested deeper than \(Manifest.maximumDepth) levels, more than a version holds",
        hint: "move it up, or out of the folder")
    }
    var scanned = Scanned()
    var kept = 0
    var subfolders: [(FilePath, String)] = []
    let known = statCache?.folder(folder)
    for (name, status) in try directoryEntriesWithStatus(folder) {
      guard ManifestEntry.problem(withName: name) == nil, let component = pathComponent(name)
      else { continue }
      let text = String(decoding: name, as: UTF8.self)
      if prefix.isEmpty, let topLevel, !topLevel.contains(text) { continue }
      if !skipping.isEmpty, skipping.contains(prefix + text) {
        kept += 1
        continue
      }
      let path = folder.appending(component)
      switch status.kind {
      case .regular:
        if Materializer.isLeftover(name) { continue }
        if let content = known?[text]?.content(ifUnchanged: status) {
          scanned.known.append(
            (
              prefix + text,
              TreeEntry(
                kind: content.isChunked ? .chunked : .file, id: content.id, size: content.size,
                mode: status.permissions)
            ))
        } else {
          scanned.toHash.append((prefix + text, path, status.permissions))
        }
        kept += 1
      case .symlink:
        let target = try Syscalls.readLink(path)
        scanned.known.append(
          (
            prefix + text,
            TreeEntry(
              kind: .symlink, id: ObjectHasher.id(of: target), size: UInt64(target.count),
              mode: status.permissions)
          ))
        kept += 1
      case .directory:
        if text == Repository.directoryName { continue }
        subfolders.append((path, prefix + text + "/"))
        kept += 1
      case .special:
        continue
      }
    }
    if kept == 0, !prefix.isEmpty {
      scanned.known.append(
        (
          String(prefix.dropLast()),
          TreeEntry(kind: .folder, id: Manifest.emptyID, size: 0, mode: 0o755)
        ))
    }
    let parts = try await withThrowingTaskGroup(of: Scanned.self) { group in
      for (path, subPrefix) in subfolders {
        group.addTask {
          try await scan(
            path, prefix: subPrefix, topLevel: nil, statCache: statCache, skipping: skipping)
        }
      }
      var parts: [Scanned] = []
      for try await part in group { parts.append(part) }
      return parts
    }
    for part in parts {
      scanned.known += part.known
      scanned.toHash += part.toHash
    }
    return scanned
  }
}
