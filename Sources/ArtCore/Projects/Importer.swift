public import ArtStore
import Synchronization

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
    let counter = Counter()
    var data: [ObjectID] = []
    var metadata: [(ObjectID, ObjectKind, [UInt8])] = []
    var seen = Set<ObjectID>()
    let recordBytes = try fetch(id, .version, counter)
    let record = try VersionRecord(decoding: recordBytes, id: id)
    if full {
      try walk(
        manifest: record.manifest, data: &data, metadata: &metadata, seen: &seen, counter: counter)
    }
    metadata.append((id, .version, recordBytes))

    let writer = repository.makeWriter(codec: nil)
    do {
      let items = data
      let cache = self.cache
      let source = self.source.store
      _ = try await forEachConcurrently(
        count: items.count, makeState: { Compressor(codec: writer.codec) },
        { compressor, index in
          let raw = try Self.fetch(items[index], .blob, source: source, cache: cache, counter)
          try raw.withUnsafeBytes {
            _ = try writer.write($0, kind: .blob, id: items[index], compressor: compressor)
          }
        }, finish: { _ in () })
      let compressor = Compressor(codec: writer.codec)
      for (objectID, kind, raw) in metadata {
        try raw.withUnsafeBytes {
          _ = try writer.write($0, kind: kind, id: objectID, compressor: compressor)
        }
      }
      let statistics = try writer.finish()
      var result = Result()
      result.objectsCopied = statistics.objectsWritten
      result.alreadyHere = statistics.objectsDeduplicated + counter.skipped.load(ordering: .relaxed)
      result.fromCache = counter.hits.load(ordering: .relaxed)
      return result
    } catch {
      writer.abandon()
      throw error
    }
  }

  /// Collects, children first, the objects below manifest `id`: blobs to
  /// copy (those not here yet) and parsed metadata.
  private func walk(
    manifest id: ObjectID, data: inout [ObjectID],
    metadata: inout [(ObjectID, ObjectKind, [UInt8])],
    seen: inout Set<ObjectID>, counter: Counter
  ) throws {
    guard seen.insert(id).inserted else { return }
    let raw = try fetch(id, .manifest, counter)
    let manifest = try Manifest(decoding: raw, id: id)
    for entry in manifest.entries where seen.insert(entry.id).inserted {
      switch entry.kind {
      case .folder:
        seen.remove(entry.id)
        try walk(
          manifest: entry.id, data: &data, metadata: &metadata, seen: &seen, counter: counter)
      case .file, .symlink:
        if repository.store.contains(entry.id) {
          counter.skipped.add(1, ordering: .relaxed)
        } else {
          data.append(entry.id)
        }
      case .chunked:
        let bytes = try fetch(entry.id, .chunkList, counter)
        let list = try ChunkList(decoding: bytes, id: entry.id, subject: "chunk list \(entry.id)")
        for chunk in list.chunks where seen.insert(chunk.id).inserted {
          if repository.store.contains(chunk.id) {
            counter.skipped.add(1, ordering: .relaxed)
          } else {
            data.append(chunk.id)
          }
        }
        metadata.append((entry.id, .chunkList, bytes))
      case .version:
        let bytes = try fetch(entry.id, .version, counter)
        let inner = try VersionRecord(decoding: bytes, id: entry.id)
        try walk(
          manifest: inner.manifest, data: &data, metadata: &metadata, seen: &seen, counter: counter)
        metadata.append((entry.id, .version, bytes))
      case .reference:
        let bytes = try fetch(entry.id, .reference, counter)
        _ = try Reference(decoding: bytes, id: entry.id)
        metadata.append((entry.id, .reference, bytes))
      }
    }
    metadata.append((id, .manifest, raw))
  }

  private func fetch(_ id: ObjectID, _ kind: ObjectKind, _ counter: Counter) throws -> [UInt8] {
    if repository.store.contains(id) {
      return try repository.store.read(id, as: kind)
    }
    return try Self.fetch(id, kind, source: source.store, cache: cache, counter)
  }

  /// The raw bytes of `id`: from the cache when it has them, else from the
  /// project's store (then added to the cache).
  private static func fetch(
    _ id: ObjectID, _ kind: ObjectKind, source: ObjectStore, cache: ObjectCache?,
    _ counter: Counter
  ) throws -> [UInt8] {
    if let raw = cache?.read(id, kind: kind) {
      counter.hits.add(1, ordering: .relaxed)
      return raw
    }
    let raw = try source.read(id, as: kind)
    cache?.write(id, kind: kind, raw: raw)
    return raw
  }
}

/// Counts shared by the copying tasks.
private final class Counter: Sendable {
  let hits = Atomic<Int>(0)
  let skipped = Atomic<Int>(0)
}
