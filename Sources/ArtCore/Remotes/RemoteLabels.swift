import ArtRemote
import ArtStore

extension Remote {
  /// The remote's labels (tags, annotations, uses, renames) and their
  /// tag, or empty ones and nil before the first push that had any.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged file, or the
  ///   storage's errors.
  public func readLabels() async throws -> (LabelLog, String?) {
    guard let (bytes, tag) = try await storage.read("labels") else { return (LabelLog(), nil) }
    return (try LabelLog.decode(bytes, file: "\(storage.location)/labels"), tag)
  }

  /// Adds this repository's events about `artifacts` to the remote's labels.
  ///
  /// Those are the events about their versions and their renames; returns
  /// how many were new there. Events are never removed, so this is a union: nothing another
  /// machine pushed is lost.
  ///
  /// - Throws: ``ArtError`` for a damaged remote file, or the storage's errors.
  @discardableResult
  public func pushLabels(artifacts: [ArtifactName], refs: Refs) async throws -> Int {
    let local = try repository.labels()
    let names = Set(artifacts.map(\.text))
    let ids = Set(artifacts.flatMap { artifact in refs.versions(of: artifact).map(\.id.hex) })
    var sent = LabelLog()
    for event in local.events {
      if let version = event.version, ids.contains(version) {
        sent.append(event)
      } else if let to = event.renamedTo, names.contains(to) {
        sent.append(event)
      }
    }
    guard !sent.events.isEmpty else { return 0 }
    var added = 0
    _ = try await update("labels", read: { try await readLabels() }, encode: LabelLog.encode) {
      remote in
      added = remote.merge(sent)
    }
    return added
  }

  /// Takes every event of the remote's labels this repository lacks.
  ///
  /// Returns how many. Events about versions not here change nothing
  /// that is shown until the version arrives.
  ///
  /// - Throws: ``ArtError`` for a damaged remote file, the lock's errors.
  @discardableResult
  public func pullLabels(refStore: RefStore) async throws -> Int {
    let (remote, _) = try await readLabels()
    guard !remote.events.isEmpty else { return 0 }
    return try LabelLog.update(repository, refStore: refStore) { log, _ in log.merge(remote) }
  }
}
