import ArtRemote
import ArtStore

/// A lock on a remote whose server ignores conditional writes: each writer
/// puts its own `locks/<random>` object, then lists `locks/`; it holds the
/// lock when no other live lock is listed, else it deletes its own and
/// tries again after a random pause.
///
/// With read-after-write listing (AWS S3 and SeaweedFS give it), two
/// writers cannot both see only their own lock: whichever listed second
/// sees the first's. A lock older than its 60 s lease is stale (its
/// writer died) and is deleted.
struct RemoteLock {
  let storage: any RemoteStorage
  let key: String

  /// Takes the lock, waiting up to `timeout`; another writer's lock older
  /// than `lease` milliseconds is taken to be a dead writer's.
  ///
  /// - Throws: ``ArtError`` `.locked` naming the lock that kept it.
  static func acquire(
    _ storage: any RemoteStorage, timeout: Duration = .seconds(120), lease: Int64 = 60_000
  ) async throws -> RemoteLock {
    let key = "locks/\(WallClock.milliseconds())-\(UInt64.random(in: 0...UInt64.max))"
    let started = ContinuousClock.now
    while true {
      try await storage.write(
        key, Array("pid \(Syscalls.processID)\n".utf8), condition: nil)
      let now = WallClock.milliseconds()
      var others: [String] = []
      for entry in try await storage.list("locks/") where entry.key != key {
        if entry.modified > 0, now.subtractingSaturating(entry.modified) > lease {
          try await storage.delete(entry.key)
        } else {
          others.append(entry.key)
        }
      }
      if others.isEmpty { return RemoteLock(storage: storage, key: key) }
      try await storage.delete(key)
      if ContinuousClock.now - started > timeout {
        throw ArtError(
          .locked, "\(storage.location) is locked by another art (\(others[0]))",
          hint: "wait for it to finish; a lock older than 60 s is removed by the next push")
      }
      try await Task.sleep(for: .milliseconds(Int.random(in: 100...800)))
    }
  }

  /// Deletes the lock object.
  func release() async throws {
    try await storage.delete(key)
  }
}
