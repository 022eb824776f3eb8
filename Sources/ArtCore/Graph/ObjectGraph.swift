public import ArtStore

/// One object as a walk of the graph reaches it, decoded.
public enum GraphNode: Sendable {
  /// A version record; the walk goes on to its manifest.
  case version(VersionRecord)
  /// A folder's manifest; the walk goes on to the entries the visitor follows.
  case manifest(Manifest)
  /// A chunked file's chunk list; the walk goes on to its chunks.
  case chunkList(ChunkList)
  /// An external reference's reference object (what and where the data outside the store is).
  case reference(Reference)
  /// Content: a whole file, a link target or a chunk. Found present, not
  /// read (or, in a walk that does not check blobs, named).
  case blob
}

/// Where an object sits: the root the walk started from and the path below it.
public struct GraphPlace: Sendable, CustomStringConvertible {
  /// The walk's root as the user knows it (`ds:v3`, `tree 1a2b3c4d5e6f`).
  public var root: String
  /// The path from the root's folder, through bundle entries; empty at the root.
  public var path: String
  /// Whether the object is inside a version a bundle entry names.
  public var inBundle = false

  /// A place at the root `root`.
  public init(root: String, path: String = "", inBundle: Bool = false) {
    self.root = root
    self.path = path
    self.inBundle = inBundle
  }

  /// The place of the entry called `name` inside this folder.
  public func appending(_ name: String) -> GraphPlace {
    GraphPlace(root: root, path: path.isEmpty ? name : path + "/" + name, inBundle: inBundle)
  }

  /// `ds:v3 /images/a.jpg`.
  public var description: String { "\(root) /\(path)" }
}

/// Something a walk of the object graph could not follow.
public struct ObjectProblem: Sendable, Equatable {
  /// The object.
  public var id: ObjectID
  /// What is wrong: missing, damaged, or of the wrong kind.
  public var detail: String
  /// Where it is referenced: `name:vN /path`.
  public var referencedBy: String
  /// The kind of failure, for callers that stop at the first problem.
  public var code: ArtError.Code = .corruptData
  /// What the user can do about it.
  public var hint: String? = nil

  /// The problem as an error to throw.
  public var error: ArtError {
    ArtError(code, "object \(id) \(detail), needed by \(referencedBy)", hint: hint)
  }
}

/// What a walk does with the objects it reaches.
///
/// Visitors are where the commands differ: gc and fsck collect what is live,
/// fetch and import collect what to copy, checkout lists the files.
public protocol GraphVisitor {
  /// Whether the walk goes into `entry` of a folder, found at `place`
  /// (the entry's own place). The default follows every entry.
  mutating func follows(_ entry: ManifestEntry, at place: GraphPlace) -> Bool
  /// Called once for each object reached, with its stored bytes (nil for a
  /// blob, which is not read).
  mutating func visit(_ id: ObjectID, _ node: GraphNode, raw: [UInt8]?, at place: GraphPlace)
    throws
}

extension GraphVisitor {
  public func follows(_ entry: ManifestEntry, at place: GraphPlace) -> Bool { true }
}

/// A visitor that only marks what is reached (the walk's ``ObjectGraph/reached``).
public struct MarkingVisitor: GraphVisitor {
  /// A visitor that does nothing more.
  public init() {}
  public mutating func visit(
    _ id: ObjectID, _ node: GraphNode, raw: [UInt8]?, at place: GraphPlace
  ) {}
}

/// Where a walk starts.
public enum GraphRoot: Sendable {
  /// A version record and everything it reaches.
  case version(ObjectID, label: String)
  /// A version record alone (a version named only as an input).
  case record(ObjectID, label: String)
  /// A folder tree (a draft part's manifest) and everything it reaches.
  case tree(ObjectID, label: String)
}

/// The one walk of what versions reach: version → manifest → entries →
/// chunk list → chunks, and the versions bundle entries name.
///
/// The walk goes level by level, so a source that reads by network request
/// (a remote) gets each level's objects as one batch. Records, manifests,
/// chunk lists and reference objects are read and decoded (and so
/// verified); blobs are only checked to be there (see ``checksBlobs``). A
/// version's `previous` link is history, not content, and is not followed.
/// Folders nest at most ``Manifest/maximumDepth`` levels below each
/// version's root.
///
/// Objects reached stay in ``reached`` across walks, and are not walked
/// again: several walks with one graph cost what one walk of their union costs.
public struct ObjectGraph<Source: ObjectSource>: Sendable {
  /// What the walk does at an object it cannot follow.
  public enum OnProblem: Sendable {
    /// Collects it in ``ObjectGraph/problems`` and goes on (gc, fsck).
    case collect
    /// Throws it (fetch, import, checkout).
    case stop
  }

  /// Where objects are read.
  public let source: Source
  /// What happens at a problem.
  public let onProblem: OnProblem
  /// Whether a folder or bundled version found at several paths is visited
  /// at each (for visitors whose choices depend on the path); it is read
  /// once either way.
  public var visitsEveryPath = false
  /// Objects reached so far: read and decoded, found present, or (without
  /// ``checksBlobs``) named.
  public private(set) var reached = Set<ObjectID>()
  /// Objects an earlier walk reached (gc's mark), which walks stop at.
  ///
  /// Everything they reach is among them. A walk stops at them as at
  /// objects in ``reached``, and does not add them to it; folders and
  /// versions a walk with ``visitsEveryPath`` visits at each path are not
  /// looked up here.
  public var known: (@Sendable (ObjectID) -> Bool)?
  /// What could not be followed (with ``OnProblem/collect``), each object once.
  public private(set) var problems: [ObjectProblem] = []
  /// Whether each blob is looked up in the source before it counts as
  /// reached; when off, a blob, and a file's content whatever it is
  /// stored as here, counts by its id alone, unread: for walks that need
  /// only the ids a tree names (a push's of what the remote has, which may
  /// hold a file whole that is chunked here).
  var checksBlobs = true

  private var seen = Set<ObjectID>()
  /// The kind each object but a blob was first asked for as in this walk
  /// (see ``checkAgain(_:)``).
  private var kindsAsked: [ObjectID: ObjectKind] = [:]
  /// One bit per value of the low 23 bits of an id, set for every id in
  /// ``kindsAsked``: most objects reached again are blobs nothing else
  /// asked for, and a clear bit says so in one load instead of a lookup.
  private var askedBits: [UInt64] = []
  private var recordsAlone = Set<ObjectID>()
  private var seenPlaces = Set<PlaceKey>()

  /// A folder at a path, the path compared byte for byte (two look-alike
  /// names, composed and decomposed `é`, are two places).
  private struct PlaceKey: Hashable {
    var id: ObjectID
    var path: TreePath
  }

  private struct Item {
    var id: ObjectID
    var kind: ObjectKind
    var place: GraphPlace
    var depth: Int
    var followsChildren = true
    /// Whether this is a file's content (a `.file` or `.chunked` entry),
    /// which a store may hold as a blob or as a chunk list whatever the
    /// entry says: the repository that stored it first chose by its own
    /// chunk sizes.
    var isFileContent = false
  }

  /// Counts `ids` as reached, and walks stop at them: objects another walk
  /// found, with everything they reach among them.
  public mutating func include(_ ids: Set<ObjectID>) {
    if reached.isEmpty { reached = ids } else { reached.formUnion(ids) }
    if seen.isEmpty { seen = ids } else { seen.formUnion(ids) }
  }

  /// A graph read from `source`.
  public init(source: Source, onProblem: OnProblem) {
    self.source = source
    self.onProblem = onProblem
  }

  /// Walks everything `roots` reach that this graph has not reached yet,
  /// calling `visitor` at each object.
  ///
  /// - Throws: the first problem (with ``OnProblem/stop``), the source's
  ///   failures, and what the visitor throws.
  public mutating func walk(_ roots: [GraphRoot], visitor: inout some GraphVisitor) async throws {
    var level = try start(roots)
    var decoded: [ObjectID: (GraphNode, [UInt8])] = [:]
    while !level.isEmpty {
      var read: [ObjectID: Result<[UInt8], ArtError>] = [:]
      for (kind, ids) in wanted(level, decoded) {
        for (id, result) in try await source.read(ids, as: kind) { read[id] = result }
      }
      level = try process(level, read: read, decoded: &decoded, visitor: &visitor)
    }
  }

  private mutating func start(_ roots: [GraphRoot]) throws -> [Item] {
    var level: [Item] = []
    for root in roots {
      switch root {
      case .version(let id, let label):
        try enqueue(Item(id: id, kind: .version, place: GraphPlace(root: label), depth: 0), &level)
      case .record(let id, let label):
        try enqueue(
          Item(
            id: id, kind: .version, place: GraphPlace(root: label), depth: 0,
            followsChildren: false), &level)
      case .tree(let id, let label):
        try enqueue(Item(id: id, kind: .manifest, place: GraphPlace(root: label), depth: 0), &level)
      }
    }
    return level
  }

  /// The objects of `level` to read, by kind, each once (blobs are not read).
  private func wanted(_ level: [Item], _ decoded: [ObjectID: (GraphNode, [UInt8])])
    -> [(ObjectKind, [ObjectID])]
  {
    var wanted: [ObjectKind: [ObjectID]] = [:]
    var requested = Set<ObjectID>()
    for item in level where !countsByID(item) && decoded[item.id] == nil {
      if requested.insert(item.id).inserted { wanted[item.kind, default: []].append(item.id) }
    }
    return ObjectKind.allCases.compactMap { kind in wanted[kind].map { (kind, $0) } }
  }

  /// Whether `item` counts as reached by its id alone, unread: a blob, and
  /// without ``checksBlobs`` a file's content stored as a chunk list too.
  private func countsByID(_ item: Item) -> Bool {
    item.kind == .blob || (!checksBlobs && item.isFileContent)
  }

  /// Visits the objects of `level` (read into `read`) and returns the next level.
  private mutating func process(
    _ level: [Item], read: [ObjectID: Result<[UInt8], ArtError>],
    decoded: inout [ObjectID: (GraphNode, [UInt8])], visitor: inout some GraphVisitor
  ) throws -> [Item] {
    var next: [Item] = []
    for item in level {
      try visit(item, read: read, decoded: &decoded, visitor: &visitor, next: &next)
    }
    return next
  }

  private mutating func visit(
    _ item: Item, read: [ObjectID: Result<[UInt8], ArtError>],
    decoded: inout [ObjectID: (GraphNode, [UInt8])], visitor: inout some GraphVisitor,
    next: inout [Item]
  ) throws {
    let id = item.id
    if countsByID(item) {
      if !checksBlobs {
        reached.insert(id)
        try visitor.visit(id, .blob, raw: nil, at: item.place)
        return
      }
      if let error = source.check(id, kind: .blob) {
        if item.isFileContent, source.check(id, kind: .chunkList) == nil {
          // Stored as a chunk list: read and followed as one next.
          var list = item
          list.kind = .chunkList
          list.isFileContent = false
          next.append(list)
          return
        }
        return try problem(item, error)
      }
      reached.insert(id)
      try visitor.visit(id, .blob, raw: nil, at: item.place)
      return
    }
    if item.kind == .manifest, item.depth > Manifest.maximumDepth {
      return try problem(item, Manifest.tooDeep(item.place.description))
    }
    let node: GraphNode
    let raw: [UInt8]
    do {
      if let (known, bytes) = decoded[id] {
        node = known
        raw = bytes
      } else {
        switch read[id] ?? .failure(ArtError(.corruptData, "missing")) {
        case .failure(let error):
          if item.isFileContent, source.check(id, kind: .blob) == nil {
            // Stored whole, as a blob.
            reached.insert(id)
            try visitor.visit(id, .blob, raw: nil, at: item.place)
            return
          }
          return try problem(item, error)
        case .success(let bytes): raw = bytes
        }
        node = try decode(id, item.kind, raw)
        if visitsEveryPath, item.kind == .manifest || item.kind == .version {
          decoded[id] = (node, raw)
        }
      }
    } catch let error as ArtError {
      return try problem(item, error)
    }
    reached.insert(id)
    try visitor.visit(id, node, raw: raw, at: item.place)
    guard item.followsChildren else { return }
    switch node {
    case .version(let record):
      try enqueue(
        Item(id: record.manifest, kind: .manifest, place: item.place, depth: 0), &next)
    case .manifest(let manifest):
      for entry in manifest.entries {
        let place = item.place.appending(entry.name)
        guard visitor.follows(entry, at: place) else { continue }
        switch entry.kind {
        case .folder:
          try enqueue(
            Item(id: entry.id, kind: .manifest, place: place, depth: item.depth + 1), &next)
        case .symlink:
          try enqueue(Item(id: entry.id, kind: .blob, place: place, depth: item.depth), &next)
        case .file:
          try enqueue(
            Item(id: entry.id, kind: .blob, place: place, depth: item.depth, isFileContent: true),
            &next)
        case .chunked:
          try enqueue(
            Item(
              id: entry.id, kind: .chunkList, place: place, depth: item.depth, isFileContent: true),
            &next)
        case .external:
          try enqueue(Item(id: entry.id, kind: .reference, place: place, depth: item.depth), &next)
        case .bundle:
          var inner = place
          inner.inBundle = true
          try enqueue(Item(id: entry.id, kind: .version, place: inner, depth: 0), &next)
        }
      }
    case .chunkList(let list):
      for chunk in list.chunks {
        try enqueue(Item(id: chunk.id, kind: .blob, place: item.place, depth: item.depth), &next)
      }
    case .reference, .blob:
      break
    }
  }

  private func decode(_ id: ObjectID, _ kind: ObjectKind, _ raw: [UInt8]) throws -> GraphNode {
    switch kind {
    case .version: .version(try VersionRecord(decoding: raw, id: id))
    case .manifest: .manifest(try Manifest(decoding: raw, id: id))
    case .chunkList: .chunkList(try ChunkList(decoding: raw, id: id, subject: "chunk list \(id)"))
    case .reference: .reference(try Reference(decoding: raw, id: id))
    case .blob: .blob
    case .dictionary:
      throw ArtError.corrupt("object \(id)", "a version names a pack's dictionary as content")
    }
  }

  private mutating func enqueue(_ item: Item, _ level: inout [Item]) throws {
    if !item.followsChildren {
      // A record alone does not stop a later walk from following it.
      guard !seen.contains(item.id), known?(item.id) != true,
        recordsAlone.insert(item.id).inserted
      else { return }
    } else if item.kind == .manifest || item.kind == .version, visitsEveryPath {
      guard seenPlaces.insert(PlaceKey(id: item.id, path: TreePath(item.place.path))).inserted
      else {
        return
      }
      seen.insert(item.id)
    } else {
      guard known?(item.id) != true, seen.insert(item.id).inserted else {
        return try checkAgain(item)
      }
      if item.kind != .blob {
        kindsAsked[item.id] = item.kind
        if askedBits.isEmpty { askedBits = [UInt64](repeating: 0, count: 1 << 17) }
        let (word, mask) = Self.askedBit(item.id)
        askedBits[word] |= mask
      }
    }
    level.append(item)
  }

  /// The word of ``askedBits`` and the bit in it that stand for `id`.
  private static func askedBit(_ id: ObjectID) -> (word: Int, mask: UInt64) {
    let bit = Int(truncatingIfNeeded: id.lastWord & (1 << 23 - 1))
    return (bit >> 6, 1 << UInt64(bit & 63))
  }

  /// Checks an object reached again, which the walk does not read twice,
  /// against the kind this entry asks for, unless an earlier entry of this
  /// walk asked for the same (or both ask for a blob): a crafted version
  /// can name one object as a folder and as a file.
  private mutating func checkAgain(_ item: Item) throws {
    let (word, mask) = Self.askedBit(item.id)
    let mayHaveAsked = !askedBits.isEmpty && askedBits[word] & mask != 0
    let earlier = mayHaveAsked ? kindsAsked[item.id] : nil
    if earlier == item.kind || (item.kind == .blob && earlier == nil) { return }
    guard let error = source.check(item.id, kind: item.kind) else { return }
    let other: ObjectKind = item.kind == .blob ? .chunkList : .blob
    if item.isFileContent, source.check(item.id, kind: other) == nil { return }
    try problem(item, error)
  }

  private mutating func problem(_ item: Item, _ error: ArtError) throws {
    let found = ObjectProblem(
      id: item.id, detail: error.message, referencedBy: item.place.description, code: error.code,
      hint: error.hint)
    switch onProblem {
    case .stop: throw found.error
    case .collect: problems.append(found)
    }
  }
}

extension ObjectGraph where Source: SynchronousObjectSource {
  /// ``walk(_:visitor:)`` without suspending: the source is read in place.
  public mutating func walkNow(_ roots: [GraphRoot], visitor: inout some GraphVisitor) throws {
    var level = try start(roots)
    var decoded: [ObjectID: (GraphNode, [UInt8])] = [:]
    while !level.isEmpty {
      var read: [ObjectID: Result<[UInt8], ArtError>] = [:]
      for (kind, ids) in wanted(level, decoded) {
        for id in ids { read[id] = source.readOne(id, as: kind) }
      }
      level = try process(level, read: read, decoded: &decoded, visitor: &visitor)
    }
  }
}
