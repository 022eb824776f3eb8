public import ArtStore

/// Something a walk of the object graph could not follow.
public struct ObjectProblem: Sendable, Equatable {
  /// The object.
  public var id: ObjectID
  /// What is wrong: missing, damaged, or of the wrong kind.
  public var detail: String
  /// Where it is referenced: `name:vN` and a path inside the version.
  public var referencedBy: String
}

/// Every object reachable from some versions: their records, manifests,
/// blobs, chunk lists and chunks.
///
/// Presence and kind are checked through the pack indexes only; records,
/// manifests and chunk lists are read (and so verified), file content is
/// not. A version's `previous` link is history, not content, so it is not
/// followed.
public struct Reachability: Sendable {
  /// The store walked.
  public let store: ObjectStore
  /// Objects reached so far.
  public private(set) var live = Set<ObjectID>()
  /// What could not be followed.
  public private(set) var problems: [ObjectProblem] = []
  /// Chunk lists reached (file ids of chunked files).
  public private(set) var chunkLists = Set<ObjectID>()

  /// An empty walk over `store`.
  public init(store: ObjectStore) {
    self.store = store
  }

  /// Marks version `id` (labelled `label` in problems) and everything it holds.
  ///
  /// Returns the record, or nil when it is missing or damaged (a problem
  /// is recorded).
  @discardableResult
  public mutating func mark(version id: ObjectID, label: String) -> VersionRecord? {
    guard present(id, kind: .version, referencedBy: label) else { return nil }
    let record: VersionRecord
    do {
      record = try VersionRecord(decoding: store.read(id, as: .version), id: id)
    } catch {
      problems.append(ObjectProblem(id: id, detail: message(error), referencedBy: label))
      return nil
    }
    live.insert(id)
    markManifest(record.manifest, path: label + " /", depth: 0)
    return record
  }

  /// Marks the versions copied from other projects: whole for checked-out
  /// ones, the record alone for those only named as inputs.
  public mutating func mark(imports: Imports) {
    for entry in imports.entries {
      if entry.full {
        mark(version: entry.id, label: entry.label)
      } else if !live.contains(entry.id),
        present(entry.id, kind: .version, referencedBy: entry.label)
      {
        live.insert(entry.id)
      }
    }
  }

  /// Counts `ids` as reached (objects another walk found), without
  /// following them.
  public mutating func include(_ ids: Set<ObjectID>) {
    live.formUnion(ids)
  }

  /// Marks the tree of manifest `id` (a draft part's), labelled `label`.
  public mutating func mark(tree id: ObjectID, label: String) {
    markManifest(id, path: label + " /", depth: 0)
  }

  private mutating func markManifest(_ id: ObjectID, path: String, depth: Int) {
    guard !live.contains(id), present(id, kind: .manifest, referencedBy: path) else { return }
    guard depth <= Manifest.maximumDepth else {
      problems.append(
        ObjectProblem(id: id, detail: Manifest.tooDeep(path).message, referencedBy: path))
      return
    }
    let manifest: Manifest
    do {
      manifest = try store.manifest(id)
    } catch {
      problems.append(ObjectProblem(id: id, detail: message(error), referencedBy: path))
      return
    }
    live.insert(id)
    let prefix = path.hasSuffix("/") ? path : path + "/"
    for entry in manifest.entries {
      let where_ = prefix + entry.name
      switch entry.kind {
      case .file, .symlink:
        if !live.contains(entry.id), present(entry.id, kind: .blob, referencedBy: where_) {
          live.insert(entry.id)
        }
      case .reference:
        if !live.contains(entry.id), present(entry.id, kind: .reference, referencedBy: where_) {
          do {
            _ = try store.reference(entry.id)
            live.insert(entry.id)
          } catch {
            problems.append(
              ObjectProblem(id: entry.id, detail: message(error), referencedBy: where_))
          }
        }
      case .version:
        // A bundle's version: kept whole while the bundle is.
        if !live.contains(entry.id) { mark(version: entry.id, label: where_) }
      case .chunked:
        markChunks(entry.id, path: where_)
      case .folder:
        markManifest(entry.id, path: where_, depth: depth + 1)
      }
    }
  }

  private mutating func markChunks(_ id: ObjectID, path: String) {
    guard !live.contains(id), present(id, kind: .chunkList, referencedBy: path) else { return }
    let list: ChunkList
    do {
      list = try ChunkList(
        decoding: store.read(id, as: .chunkList), id: id, subject: "chunk list \(id)")
    } catch {
      problems.append(ObjectProblem(id: id, detail: message(error), referencedBy: path))
      return
    }
    live.insert(id)
    chunkLists.insert(id)
    for chunk in list.chunks where !live.contains(chunk.id) {
      if present(chunk.id, kind: .blob, referencedBy: path) { live.insert(chunk.id) }
    }
  }

  /// Whether `id` is in some pack with `kind`; records a problem if not.
  private mutating func present(_ id: ObjectID, kind: ObjectKind, referencedBy: String) -> Bool {
    do {
      guard let (_, entry) = try store.locate(id) else {
        problems.append(ObjectProblem(id: id, detail: "missing", referencedBy: referencedBy))
        return false
      }
      guard entry.kind == kind else {
        problems.append(
          ObjectProblem(
            id: id, detail: "is a \(entry.kind), expected a \(kind)", referencedBy: referencedBy))
        return false
      }
      return true
    } catch {
      problems.append(ObjectProblem(id: id, detail: message(error), referencedBy: referencedBy))
      return false
    }
  }

  private func message(_ error: any Error) -> String {
    (error as? ArtError)?.message ?? "\(error)"
  }
}
