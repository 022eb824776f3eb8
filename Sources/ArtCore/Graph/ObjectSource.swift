public import ArtStore

/// Where a walk of the object graph reads objects: this repository's store
/// (``LocalObjects``), a remote read by byte range (``RemoteObjects``), or
/// another project through the cache (``ProjectObjects``).
public protocol ObjectSource: Sendable {
  /// The verified bytes of each of `ids`, which the graph says are of
  /// `kind`; one that is missing, damaged or of another kind gets its error.
  ///
  /// - Throws: only for failures that stop the whole read (a remote that
  ///   cannot be reached); problems with one object are in its result.
  func read(_ ids: [ObjectID], as kind: ObjectKind) async throws
    -> [ObjectID: Result<[UInt8], ArtError>]

  /// Why `id` cannot be had as `kind`, found without reading it (missing,
  /// or of another kind), or nil when it can.
  func check(_ id: ObjectID, kind: ObjectKind) -> ArtError?
}

/// A source read in place, one object at a time (a store on this machine).
public protocol SynchronousObjectSource: ObjectSource {
  /// The verified bytes of `id`, or why there are none.
  func readOne(_ id: ObjectID, as kind: ObjectKind) -> Result<[UInt8], ArtError>
}

extension SynchronousObjectSource {
  public func read(_ ids: [ObjectID], as kind: ObjectKind) async throws
    -> [ObjectID: Result<[UInt8], ArtError>]
  {
    var result: [ObjectID: Result<[UInt8], ArtError>] = [:]
    for id in ids { result[id] = readOne(id, as: kind) }
    return result
  }
}

/// This repository's own store as a source.
///
/// An object missing from it is damage (`.corruptData`): every id the graph
/// follows came from inside the store.
public struct LocalObjects: SynchronousObjectSource {
  /// The store read.
  public let store: ObjectStore

  /// A source over `store`.
  public init(_ store: ObjectStore) {
    self.store = store
  }

  public func readOne(_ id: ObjectID, as kind: ObjectKind) -> Result<[UInt8], ArtError> {
    if let problem = check(id, kind: kind) { return .failure(problem) }
    do {
      return .success(try store.read(id, as: kind))
    } catch let error as ArtError {
      return .failure(error)
    } catch {
      return .failure(ArtError(.io, "object \(id): \(error)"))
    }
  }

  public func check(_ id: ObjectID, kind: ObjectKind) -> ArtError? {
    do {
      guard let (pack, entry) = try store.locate(id) else {
        return ArtError(
          .corruptData, "missing",
          hint: "run 'art fsck -v' to see what needs it; 'art fetch REMOTE' brings it back "
            + "if a remote has it")
      }
      // Listed by an index whose pack file is gone or cut short, and by no
      // sound pack: as good as missing.
      if !pack.fileLooksWhole, !store.holdsReadably(id) {
        return ArtError(
          .corruptData,
          "is only in pack \(pack.id.hex.prefix(12)), whose file is missing or cut short",
          hint: "run 'art fsck -v' to see what needs it; committing the files again stores them")
      }
      guard entry.kind == kind else {
        return ArtError(
          .corruptData, "is a \(entry.kind), expected a \(kind)",
          hint: "run 'art fsck' to see what is damaged")
      }
      return nil
    } catch let error as ArtError {
      return error
    } catch {
      return ArtError(.io, "\(error)")
    }
  }
}
