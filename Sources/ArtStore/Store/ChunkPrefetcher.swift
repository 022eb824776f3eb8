import Dispatch
import Synchronization

/// Reads and decodes the chunks of one file on another thread, a few ahead
/// of the caller, so decompression overlaps the caller's hashing and
/// writing (checkout of a large file, and a fetch's check of its chunk
/// list, use two cores, not one).
///
/// At most ``depth`` decoded chunks wait at a time (chunks are at most
/// 256 KiB each by default), so memory stays bounded whatever the file's size.
///
/// Safe to share across threads: the queue is behind a mutex, and the
/// semaphores are the only other state.
package final class ChunkPrefetcher: Sendable {
  /// How many decoded chunks may wait for the caller.
  static let depth = 8

  private struct State: ~Copyable {
    var ready: [Result<[UInt8], any Error>] = []
    var cancelled = false
  }

  private let state = Mutex(State())
  /// Free places in the queue: the reader waits on it before each chunk.
  ///
  /// Made at 0 and signalled up to ``depth``: libdispatch traps when a
  /// semaphore goes away below the value it was made with, which a read
  /// stopped early (an error, a caller that had enough) would leave.
  private let space = DispatchSemaphore(value: 0)
  /// Chunks in the queue: the caller waits on it before each chunk.
  private let filled = DispatchSemaphore(value: 0)
  /// Signalled once when the reader has stopped.
  private let stopped = DispatchSemaphore(value: 0)

  /// Starts reading the chunks `ids` of `store` (hashes not verified: the
  /// caller hashes the whole file).
  convenience init(_ ids: [ObjectID], store: ObjectStore) {
    self.init(count: ids.count) { try store.read(ids[$0], as: .blob, verifyingHash: false) }
  }

  /// Starts reading chunks `0..<count`, each with `read`, in order; the
  /// reader stops at the first error, which ``next()`` then throws.
  package init(count: Int, read: @escaping @Sendable (Int) throws -> [UInt8]) {
    for _ in 0..<Self.depth { space.signal() }
    // A queue of its own gets a thread at once: work sent to the shared
    // global queue can wait for one of as many threads as there are cores,
    // which the caller's tasks hold while they wait for these chunks.
    DispatchQueue(label: "art.chunk-prefetch").async { [self] in
      defer { stopped.signal() }
      for index in 0..<count {
        space.wait()
        if state.withLock({ $0.cancelled }) { return }
        let result = Result { try read(index) }
        state.withLock { $0.ready.append(result) }
        filled.signal()
        if case .failure = result { return }
      }
    }
  }

  /// The next chunk's bytes, in order; call once per chunk.
  package func next() throws -> [UInt8] {
    filled.wait()
    let result = state.withLock { $0.ready.removeFirst() }
    space.signal()
    return try result.get()
  }

  /// Stops the reader and waits for it: call before returning, whether
  /// every chunk was taken or not.
  package func finish() {
    state.withLock { $0.cancelled = true }
    space.signal()
    stopped.wait()
  }
}
