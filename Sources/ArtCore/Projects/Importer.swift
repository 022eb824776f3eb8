public import ArtStore

/// Copies a version of another project into this repository's store,
/// through the user's ``ObjectCache``, so that it survives that project's gc
/// and this repository can check it out on its own.
public struct Importer: Sendable {
  /// This repository.
  public let repository: Repository
  /// The project the version is in.
  public let source: Repository
  /// The shared cache, or nil to read the source directly.
  public let cache: ObjectCache?

  /// What an import copied.
  public struct Result: Sendable {
    /// Objects written into this repository.
    public var objectsCopied = 0
    /// Objects read from the cache instead of the project.
    public var fromCache = 0
    /// Objects this repository had already.
    public var alreadyHere = 0
  }

  /// An importer from `source` into `repository`.
  public init(repository: Repository, source: Repository, cache: ObjectCache?) {
    self.repository = repository
    self.source = source
    self.cache = cache
  }

  /// Copies version `id`: its record, and with `full` everything it reaches.
  ///
  /// That is every manifest, chunk list, blob and reference. Objects already here are
  /// not copied. Every object is checked (hash, and layout where it is
  /// parsed) before it is written; metadata is written after the data it
  /// points to.
  ///
  /// - Throws: ``ArtError`` for objects missing or damaged in the project.
  public func copy(version id: ObjectID, full: Bool) async throws -> Result {
    let objects = ProjectObjects(repository: repository, project: source, cache: cache)
    var graph = ObjectGraph(source: objects, onProblem: .stop)
    var list = CopyList(here: repository.store)
    let label = "\(source.root) \(id.prefix(12))"
    try await graph.walk(
      [full ? .version(id, label: label) : .record(id, label: label)], visitor: &list)

    let writer = repository.makeWriter(compression: nil)
    do {
      let items = list.content
      _ = try await forEachConcurrently(
        count: items.count, makeState: { Compressor(compression: writer.compression) },
        { compressor, index in
          let raw = try objects.readOne(items[index], as: .blob).get()
          try raw.withUnsafeBytes {
            _ = try writer.write($0, kind: .blob, id: items[index], compressor: compressor)
          }
        }, finish: { _ in () })
      // Children before parents: what a record or manifest names is stored
      // before it.
      let compressor = Compressor(compression: writer.compression)
      for (objectID, kind, raw) in list.childrenFirst(from: id) {
        try raw.withUnsafeBytes {
          _ = try writer.write($0, kind: kind, id: objectID, compressor: compressor)
        }
      }
      let statistics = try writer.finish()
      var result = Result()
      result.objectsCopied = statistics.objectsWritten
      result.alreadyHere = statistics.objectsDeduplicated + list.alreadyHere
      result.fromCache = objects.cacheHits
      return result
    } catch {
      writer.abandon()
      throw error
    }
  }

  /// What a walk found to copy: content not here yet, and every record,
  /// manifest, chunk list and reference object with what it names.
  private struct CopyList: GraphVisitor {
    let here: ObjectStore
    var content: [ObjectID] = []
    var metadata: [ObjectID: (kind: ObjectKind, raw: [UInt8], children: [ObjectID])] = [:]
    var alreadyHere = 0

    mutating func visit(_ id: ObjectID, _ node: GraphNode, raw: [UInt8]?, at place: GraphPlace) {
      switch node {
      case .blob:
        if here.contains(id) { alreadyHere += 1 } else { content.append(id) }
      case .version(let record): metadata[id] = (.version, raw ?? [], [record.manifest])
      case .manifest(let manifest):
        metadata[id] = (.manifest, raw ?? [], manifest.entries.map(\.id))
      case .chunkList: metadata[id] = (.chunkList, raw ?? [], [])
      case .reference: metadata[id] = (.reference, raw ?? [], [])
      }
    }

    /// The metadata below `root` in depth-first post-order: every object
    /// after everything it names, whatever the level the walk found it at.
    func childrenFirst(from root: ObjectID) -> [(ObjectID, ObjectKind, [UInt8])] {
      var ordered: [(ObjectID, ObjectKind, [UInt8])] = []
      var done = Set<ObjectID>()
      var stack: [(id: ObjectID, expanded: Bool)] = [(root, false)]
      while let (id, expanded) = stack.popLast() {
        guard let node = metadata[id], !done.contains(id) else { continue }
        if expanded {
          done.insert(id)
          ordered.append((id, node.kind, node.raw))
        } else {
          stack.append((id, true))
          for child in node.children.reversed() where !done.contains(child) {
            stack.append((child, false))
          }
        }
      }
      return ordered
    }
  }
}
