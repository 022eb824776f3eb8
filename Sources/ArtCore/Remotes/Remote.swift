public import ArtRemote
public import ArtStore
import Synchronization
import SystemPackage

/// A remote of a repository: its storage, the local copies of its pack
/// indexes, and what this repository last saw of its refs.
///
/// Layout on the remote (see `Docs/FORMAT.md`): `refs` (the refs file,
/// same format as `.art/refs`), `packs/pack-<id>.pack` and `.idx` (the idx
/// is uploaded after its pack, so an idx names a complete pack),
/// `repos/<repository id>` (each pushing repository's refs, kept by remote
/// gc), `drafts/<artifact>/<id>/…` (distributed parts), `locks/…` (only on
/// servers without conditional writes).
///
/// Local state in `.art/remotes/<name>/`: `refs` (the remote's refs at the
/// last fetch or push), `base` (what both sides last agreed on, see
/// ``mergeBase()``), `packs/` (downloaded indexes), `conditional` (whether
/// the server enforces conditional writes).
public struct Remote: Sendable {
  /// The remote's name in this repository.
  public let name: String
  /// Where it is.
  public let spec: RemoteSpec
  /// Its objects.
  public let storage: any RemoteStorage
  /// The repository it is a remote of.
  public let repository: Repository
  /// The index listing made by this command's first ``syncIndexes()``.
  private let listing = Listing()

  /// Holds the synced indexes, so that one command lists the remote's
  /// packs once (a remote checkout resolves, then downloads).
  private final class Listing: Sendable {
    let index = Mutex<RemoteIndex?>(nil)
  }

  /// Opens remote `name` of `repository`, with credentials from `environment`.
  ///
  /// - Throws: ``ArtError`` `.notFound` for an unknown remote, or the errors
  ///   of ``RemoteSpec/open(environment:)``.
  public init(_ name: String, of repository: Repository, environment: [String: String]) throws {
    self.name = name
    self.repository = repository
    spec = try repository.remoteSpec(name)
    storage = try spec.open(environment: environment)
  }

  /// `.art/remotes/<name>`.
  var stateDirectory: FilePath { Self.stateDirectory(name, of: repository) }

  static func stateDirectory(_ name: String, of repository: Repository) -> FilePath {
    repository.layout.remote(name)
  }

  /// The remote's refs as of the last fetch or push (empty before any).
  public func trackingRefs() throws -> Refs {
    try Self.trackingRefs(name, of: repository)
  }

  /// The refs of remote `name` as of the last fetch or push, or empty
  /// ones: a local file, read without credentials or network.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged file.
  public static func trackingRefs(_ name: String, of repository: Repository) throws -> Refs {
    let path = repository.layout.trackingRefs(name)
    guard let bytes = try AtomicFile.read(path) else { return Refs() }
    return try RefStore.decode(bytes, file: path.string)
  }

  func saveTracking(_ refs: Refs) throws {
    try Syscalls.makeDirectories(stateDirectory)
    try AtomicFile.write(RefStore.encode(refs), to: repository.layout.trackingRefs(name))
  }

  /// The refs this repository and the remote last agreed on: what the last
  /// pull took, and after a push the names it left equal on both sides.
  ///
  /// A fetch does not move it (it merges nothing), so an alias moved there
  /// and fetched is still taken by the next pull, and not pushed back by
  /// the next push. A repository from before this file uses its tracking
  /// refs.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged file.
  func mergeBase() throws -> Refs {
    let path = repository.layout.mergeBase(name)
    guard let bytes = try AtomicFile.read(path) else { return try trackingRefs() }
    do {
      return try RefStore.decode(bytes, file: path.string)
    } catch let error as ArtError {
      throw ArtError(
        error.code, error.message,
        hint: "delete '\(path)': the next pull or push then compares with the refs last "
          + "fetched, and writes it again")
    }
  }

  /// Runs `body` holding `.art/remotes/NAME/lock`, an exclusive `flock`:
  /// pushes and pulls of one remote read, merge against and save its
  /// merge base one at a time, so none saves a base older than another's.
  func holdingMergeLock<R: Sendable>(_ body: () async throws -> R) async throws -> R {
    try Syscalls.makeDirectories(stateDirectory)
    let path = stateDirectory.appending("lock")
    let lock: FileDescriptor
    do {
      lock = try FileDescriptor.open(
        path, .readWrite, options: [.create, .closeOnExec],
        permissions: [.ownerReadWrite, .groupRead, .otherRead])
    } catch {
      throw ArtError.io("open", path.string, error)
    }
    defer { try? lock.close() }
    // The other one ends by itself (a killed process's flock goes with it).
    while try !Syscalls.tryLock(lock, exclusive: true, path: path) {
      try await Task.sleep(for: .milliseconds(50))
    }
    return try await body()
  }

  func saveMergeBase(_ refs: Refs) throws {
    try Syscalls.makeDirectories(stateDirectory)
    try AtomicFile.write(RefStore.encode(refs), to: repository.layout.mergeBase(name))
  }

  // MARK: Refs on the remote

  /// The remote's refs and their tag, or empty refs and nil before the
  /// first push.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged refs file, or the
  ///   storage's errors (credentials, bucket, network).
  public func readRefs() async throws -> (refs: Refs, tag: String?) {
    guard let (bytes, tag) = try await storage.read("refs") else { return (Refs(), nil) }
    return (try RefStore.decode(bytes, file: "\(storage.location)/refs"), tag)
  }

  /// Replaces the remote's refs with `change` applied to them.
  ///
  /// It is a compare-and-swap: the write names the tag it read, and when another
  /// machine wrote in between, the refs are read and `change` applied again
  /// (up to 20 times). On a server that ignores conditional writes, a lock
  /// object with a lease serialises the read-change-write instead.
  ///
  /// - Returns: the refs as written (or as found, when unchanged).
  /// - Throws: what `change` throws (a conflict), or ``ArtError`` `.locked`
  ///   when other writers keep winning.
  @discardableResult
  public func updateRefs(_ change: (inout Refs) throws -> Void) async throws -> Refs {
    try await update("refs", read: { try await readRefs() }, encode: RefStore.encode, change)
  }

  /// Replaces the remote's object `key` with `change` applied to what
  /// `read` finds there, by compare-and-swap (or under the lock object),
  /// as ``updateRefs(_:)`` describes.
  func update<Document: Equatable>(
    _ key: String, read: () async throws -> (Document, String?),
    encode: (Document) -> [UInt8], _ change: (inout Document) throws -> Void
  ) async throws -> Document {
    if try await conditionalWrites() {
      for attempt in 0..<20 {
        let (current, tag) = try await read()
        var changed = current
        try change(&changed)
        if changed == current { return current }
        do {
          try await storage.write(
            key, encode(changed), condition: tag.map { .matches($0) } ?? .absent)
          return changed
        } catch let error as ArtError where error.code == .locked {
          try await Task.sleep(for: .milliseconds(Int.random(in: 20...100) * (attempt + 1)))
        }
      }
      throw ArtError(
        .locked, "the \(key) on \(storage.location) keep changing under this push",
        hint: "other machines are pushing; try again in a moment")
    }
    let lock = try await RemoteLock.acquire(storage)
    do {
      let (current, _) = try await read()
      var changed = current
      try change(&changed)
      if changed != current {
        try await storage.write(key, encode(changed), condition: nil)
      }
      try await lock.release()
      return changed
    } catch {
      try? await lock.release()
      throw error
    }
  }

  /// Whether the server enforces `If-Match` / `If-None-Match`: probed once
  /// and remembered in `.art/remotes/<name>/conditional`.
  func conditionalWrites() async throws -> Bool {
    let path = repository.layout.remoteConditional(name)
    if let bytes = try AtomicFile.read(path) {
      return bytes == Array("yes\n".utf8)
    }
    let enforced = try await storage.enforcesConditions()
    try Syscalls.makeDirectories(stateDirectory)
    try AtomicFile.write(Array((enforced ? "yes\n" : "no\n").utf8), to: path, durable: false)
    return enforced
  }

  // MARK: Pack indexes

  /// Lists the remote's packs and brings the local copies of their indexes
  /// up to date (downloading new ones, dropping those of deleted packs);
  /// later calls on this value return the same listing.
  ///
  /// Packs published since are missing from it, which costs at most a
  /// duplicate upload, never a missing object.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged index, or the
  ///   storage's errors.
  public func syncIndexes() async throws -> RemoteIndex {
    if let index = listing.index.withLock({ $0 }) { return index }
    let index = try await listIndexes()
    listing.index.withLock { $0 = index }
    return index
  }

  private func listIndexes() async throws -> RemoteIndex {
    let folder = repository.layout.remoteIndexes(name)
    try Syscalls.makeDirectories(folder)
    let listed = try await storage.list("packs/")
    var packFiles: [String: RemoteEntry] = [:]
    var indexes: [String: RemoteEntry] = [:]
    for entry in listed {
      let file = String(entry.key.dropFirst("packs/".count))
      if file.hasSuffix(".pack") { packFiles[String(file.dropLast(5))] = entry }
      if file.hasSuffix(".idx") { indexes[String(file.dropLast(4))] = entry }
    }
    var published: [ObjectID: RemoteIndex.PackInfo] = [:]
    for (base, index) in indexes {
      guard let pack = packFiles[base], base.hasPrefix("pack-"),
        let id = ObjectID(String(base.dropFirst(5)))
      else { continue }
      published[id] = RemoteIndex.PackInfo(
        id: id, size: pack.size, indexSize: index.size, modified: max(pack.modified, index.modified)
      )
    }
    let have = Set(
      try directoryEntries(folder).compactMap { raw -> ObjectID? in
        guard let text = String(validating: raw, as: UTF8.self), text.hasPrefix("pack-"),
          text.hasSuffix(".idx")
        else { return nil }
        return ObjectID(String(text.dropFirst(5).dropLast(4)))
      })
    for gone in have.subtracting(published.keys) {
      try Syscalls.unlink(folder.appending(PackFormat.indexName(gone)))
    }
    let missing = published.keys.filter { !have.contains($0) }
    _ = try await concurrentMap(count: missing.count, limit: 8) {
      try await downloadIndex(missing[$0], into: folder)
    }
    var condemned: [ObjectID: Int64] = [:]
    for entry in try await storage.list("condemned/") {
      // `condemned/pack-<id>.pack`, as remote gc names it.
      let file = entry.key.dropFirst("condemned/".count)
      let hex = file.hasSuffix(".pack") ? file.dropLast(5) : file
      if hex.hasPrefix("pack-"), let id = ObjectID(String(hex.dropFirst(5))) {
        condemned[id] = entry.modified
      }
    }
    return RemoteIndex(folder: folder, packs: published, condemned: condemned)
  }

  private func downloadIndex(_ id: ObjectID, into folder: FilePath) async throws {
    let key = "packs/" + PackFormat.indexName(id)
    guard let (bytes, _) = try await storage.read(key) else {
      throw ArtError(
        .notFound, "\(storage.location)/\(key) vanished while it was read",
        hint: "another machine may be running 'art gc --remote'; try again")
    }
    let temporary = folder.appending("tmp-\(Syscalls.processID)-\(id.hex).idx")
    try AtomicFile.write(bytes, to: temporary, durable: false)
    do {
      let index = try PackIndex(path: temporary)
      try index.verifyChecksum()
      guard index.packID == id else {
        throw ArtError.corrupt("\(storage.location)/\(key)", "it describes pack \(index.packID)")
      }
      try Syscalls.rename(temporary, to: folder.appending(PackFormat.indexName(id)))
    } catch {
      try? Syscalls.unlink(temporary)
      throw error
    }
  }
}

extension Remote {
  /// The remote a command uses when none is named: the only one, else `origin`.
  ///
  /// - Throws: ``ArtError`` `.notFound` when there is no remote, or several
  ///   and none is called `origin`.
  public static func defaultName(of repository: Repository) throws -> String {
    let remotes = repository.configuration.remotes.keys.sorted()
    if remotes.count == 1 { return remotes[0] }
    if remotes.contains("origin") { return "origin" }
    throw ArtError(
      .notFound,
      remotes.isEmpty
        ? "this repository has no remote"
        : "name the remote (remotes: \(remotes.joined(separator: ", ")))",
      hint: remotes.isEmpty
        ? "add one with 'art remote add origin s3://BUCKET/PREFIX'"
        : "for example: art push \(remotes[0])")
  }
}

extension Remote {
  /// Every live version in the tracking refs of every remote of
  /// `repository`, with the remote and its version line there.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged tracking refs file.
  public static func trackedVersions(of repository: Repository) throws -> [(
    id: ObjectID, remote: String, name: RefName
  )] {
    var result: [(id: ObjectID, remote: String, name: RefName)] = []
    for remote in repository.configuration.remotes.keys.sorted() {
      let refs = try trackingRefs(remote, of: repository)
      for artifact in refs.artifacts {
        for (number, id) in refs.versions(of: artifact) {
          result.append((id, remote, RefName(artifact, .version(number))))
        }
      }
    }
    return result
  }

  /// The objects here of the versions tracking refs name, besides those of
  /// versions `isWalked` says were walked whole already.
  ///
  /// Those versions were fetched and not pulled, or pushed and since
  /// removed here. gc keeps what this returns, and fsck does not call it
  /// dangling. Parts never downloaded (a remote version only shown or
  /// logged) are no damage, so they are not reported.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged tracking refs file.
  public static func trackedObjects(
    of repository: Repository, besides isWalked: (ObjectID) -> Bool
  ) throws -> Set<ObjectID> {
    var tracked = Reachability(store: repository.store)
    for (id, remote, name) in try trackedVersions(of: repository)
    where !isWalked(id) && repository.store.contains(id) {
      tracked.mark(version: id, label: "\(remote)/\(name)")
    }
    return tracked.live
  }
}
