import Dispatch
import Synchronization

/// Reads and decodes the chunks of one file on other threads, a few ahead
/// of the caller, so decompression overlaps the caller's hashing and
/// writing (checkout of a large file, and the check of a chunk list from
/// elsewhere, use every core, not one).
///
/// At most ``depth`` chunks are read ahead of the caller (chunks are at
/// most 1 MiB each by default, `chunking.max`), so memory stays bounded
/// whatever the file's size.
///
/// Safe to share across threads: the chunks read are behind a mutex, and
/// the semaphores are the only other state.
final class ChunkPrefetcher: Sendable {
  /// How many chunks may be read ahead of the caller.
  static let depth = 8

  private struct State: ~Copyable {
    /// Chunks read and not yet taken, by position.
    var ready: [Int: Result<[UInt8], any Error>] = [:]
    /// The next position a reader claims.
    var claimed = 0
    /// The next position the caller takes.
    var taken = 0
    var cancelled = false
    /// The first read that failed: ``next()`` throws it from there on.
    var failure: (any Error)?
  }

  private let state = Mutex(State())
  /// Free places ahead of the caller: a reader waits on it before each chunk.
  ///
  /// Made at 0 and signalled up to ``depth``: libdispatch traps when a
  /// semaphore goes away below the value it was made with, which a read
  /// stopped early (an error, a caller that had enough) would leave.
  private let space = DispatchSemaphore(value: 0)
  /// Signalled once per chunk read: the caller waits on it until the
  /// chunk it takes next is there.
  private let filled = DispatchSemaphore(value: 0)
  /// Signalled once by each reader when it stops.
  private let stopped = DispatchSemaphore(value: 0)
  private let readers: Int
  private let count: Int

  /// Starts reading the chunks `ids` of `store` on one thread (hashes not
  /// verified: the caller hashes the whole file).
  convenience init(_ ids: [ObjectID], store: ObjectStore) {
    self.init(count: ids.count) { try store.read(ids[$0], as: .blob, verifyingHash: false) }
  }

  /// Starts reading chunks `0..<count` with `read` on `readers` threads
  /// (at most ``depth``), each claiming the next position; ``next()``
  /// hands them out in order.
  ///
  /// Readers stop claiming at the first error, which ``next()`` throws
  /// once it reaches that position, and on every call after.
  init(count: Int, readers: Int = 1, read: @escaping @Sendable (Int) throws -> [UInt8]) {
    self.count = count
    self.readers = min(max(1, readers), Self.depth, max(1, count))
    for _ in 0..<Self.depth { space.signal() }
    for reader in 0..<self.readers {
      // A serial queue of its own gets a thread at once (an overcommit
      // one): work sent to a shared or concurrent queue can wait for one
      // of as many threads as there are cores, which the caller's tasks
      // hold while they wait for these chunks.
      DispatchQueue(label: "art.chunk-prefetch.\(reader)").async { [self] in
        defer { stopped.signal() }
        while true {
          space.wait()
          let position: Int? = state.withLock { state in
            guard !state.cancelled, state.claimed < count else { return nil }
            defer { state.claimed += 1 }
            return state.claimed
          }
          guard let position else {
            space.signal()  // for the next reader to see the end too
            return
          }
          let result = Result { try read(position) }
          state.withLock { state in
            state.ready[position] = result
            if case .failure = result { state.cancelled = true }
          }
          filled.signal()
        }
      }
    }
  }

  /// The next chunk's bytes, in order; call at most once per chunk.
  ///
  /// - Throws: the error of the first read that failed, once its position
  ///   is reached, and again on every later call.
  func next() throws -> [UInt8] {
    while true {
      let result: Result<[UInt8], any Error>? = try state.withLock { state in
        if let failure = state.failure { throw failure }
        precondition(state.taken < count, "more chunks taken than were asked for")
        guard let result = state.ready.removeValue(forKey: state.taken) else { return nil }
        if case .failure(let error) = result { state.failure = error }
        state.taken += 1
        return result
      }
      if let result {
        space.signal()
        return try result.get()
      }
      // Each wait matches one chunk read; the one this caller takes next
      // is not among those read so far, so its signal is still to come.
      filled.wait()
    }
  }

  /// Stops the readers and waits for them: call before returning, whether
  /// every chunk was taken or not.
  func finish() {
    state.withLock { $0.cancelled = true }
    space.signal()
    for _ in 0..<readers { stopped.wait() }
  }
}
