public import ArtStore

/// Every object reachable from some versions of this repository: their
/// records, manifests, blobs, chunk lists and chunks (the walk of
/// ``ObjectGraph`` over ``LocalObjects``, recording problems).
///
/// Presence and kind of blobs are checked through the pack indexes only
/// (or not at all, see ``mark(_:checkingBlobs:)``); records, manifests and
/// chunk lists are read (and so verified), file content is not.
public struct Reachability: Sendable {
  private var graph: ObjectGraph<LocalObjects>
  private var collector = Collector()

  private struct Collector: GraphVisitor {
    var records: [ObjectID: VersionRecord] = [:]
    var chunkLists = Set<ObjectID>()

    mutating func visit(_ id: ObjectID, _ node: GraphNode, raw: [UInt8]?, at place: GraphPlace) {
      switch node {
      case .version(let record): records[id] = record
      case .chunkList: chunkLists.insert(id)
      default: break
      }
    }
  }

  /// An empty walk over `store`.
  public init(store: ObjectStore) {
    graph = ObjectGraph(source: LocalObjects(store), onProblem: .collect)
  }

  /// A walk over `store` that stops at the objects `known` holds.
  ///
  /// They are objects an earlier walk reached, with everything they reach
  /// among them; they are not in ``live``.
  public init(store: ObjectStore, known: @escaping @Sendable (ObjectID) -> Bool) {
    graph = ObjectGraph(source: LocalObjects(store), onProblem: .collect)
    graph.known = known
  }

  /// Objects reached so far.
  public var live: Set<ObjectID> { graph.reached }
  /// What could not be followed.
  public var problems: [ObjectProblem] { graph.problems }
  /// Chunk lists reached (file ids of chunked files).
  public var chunkLists: Set<ObjectID> { collector.chunkLists }

  /// Marks version `id` (labelled `label` in problems) and everything it holds.
  ///
  /// Returns the record, or nil when it is missing or damaged (a problem
  /// is recorded).
  @discardableResult
  public mutating func mark(version id: ObjectID, label: String) -> VersionRecord? {
    mark([.version(id, label: label)])
    return collector.records[id]
  }

  /// Marks the versions copied from other projects: whole for checked-out
  /// ones, the record alone for those only named as inputs.
  public mutating func mark(imports: Imports) {
    mark(
      imports.entries.map {
        $0.full ? .version($0.id, label: $0.label) : .record($0.id, label: $0.label)
      })
  }

  /// Counts `ids` as reached, and later walks stop at them: objects another
  /// walk found, with everything they reach among them.
  public mutating func include(_ ids: Set<ObjectID>) {
    graph.include(ids)
  }

  /// Marks the tree of manifest `id` (a draft part's), labelled `label`.
  public mutating func mark(tree id: ObjectID, label: String) {
    mark([.tree(id, label: label)])
  }

  /// Marks everything `roots` reach.
  ///
  /// Without `checkingBlobs`, files, link targets and chunks are marked by
  /// their ids without being looked up, and a file stored here as a chunk
  /// list by its id alone (its list not read): for trees whose objects are
  /// elsewhere, where only the ids they name matter (a remote may hold the
  /// file whole). ``live`` may then hold ids not stored here, and
  /// ``storedBytes()`` throws for them.
  public mutating func mark(_ roots: [GraphRoot], checkingBlobs: Bool = true) {
    graph.checksBlobs = checkingBlobs
    defer { graph.checksBlobs = true }
    // Local reads record their problems; nothing here throws.
    try? graph.walkNow(roots, visitor: &collector)
  }

  /// Stored bytes of every distinct object reached (record headers included).
  ///
  /// - Throws: ``ArtError`` for the first problem of the walk.
  public func storedBytes() throws -> UInt64 {
    if let problem = problems.first { throw problem.error }
    let store = graph.source.store
    return try live.reduce(0) {
      $0 + UInt64(PackFormat.recordHeaderSize) + (try store.entry($1)).storedLength
    }
  }
}
