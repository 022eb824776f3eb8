import ArtStore
import Dispatch
import Synchronization

/// A stored file's bytes for a download, read in one pass on a thread of
/// its own and handed over in pieces of 1 MiB, at most four ahead of the
/// sender.
///
/// Each chunk is checked as it is read, the whole content's SHA-256 and
/// length at the end; the last piece is handed over only after those
/// checks pass, so a client that receives every byte the response
/// announced has the file, and a damaged one ends the response short.
final class ContentStream: Sendable {
  /// Bytes per piece.
  static let pieceSize = 1 << 20
  /// Pieces read ahead of the sender.
  static let ahead = 4

  /// Free places for pieces: the reading thread waits on it before each.
  ///
  /// Made at 0 and signalled up to ``ahead``: libdispatch traps when a
  /// semaphore goes away below the value it was made with, which a sender
  /// that stops early would leave.
  private let slots = DispatchSemaphore(value: 0)
  private let stopped = Mutex(false)
  private let stream: AsyncThrowingStream<[UInt8], any Error>
  private let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation

  /// Starts reading content `id`, which its entry says is `size` bytes.
  init(_ id: ObjectID, size: UInt64, store: ObjectStore) {
    (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
    for _ in 0..<Self.ahead { slots.signal() }
    let this = self
    DispatchQueue(label: "art-ui-download").async { this.pump(id, size: size, store: store) }
  }

  /// Calls `send` with each piece in order, the last one only once the
  /// whole content checked out.
  ///
  /// - Throws: ``ArtError`` for missing or damaged content, or what `send`
  ///   throws; either way the reading thread stops.
  func forEach(_ send: ([UInt8]) async throws -> Void) async throws {
    defer { stop() }
    var held: [UInt8]? = nil
    for try await piece in stream {
      slots.signal()
      if let previous = held { try await send(previous) }
      held = piece
    }
    if let last = held { try await send(last) }
  }

  /// Tells the reading thread to stop (the sender is gone).
  func stop() {
    stopped.withLock { $0 = true }
    slots.signal()
  }

  private func pump(_ id: ObjectID, size: UInt64, store: ObjectStore) {
    var pending: [UInt8] = []
    pending.reserveCapacity(Self.pieceSize)
    var total: UInt64 = 0
    func hand(_ piece: [UInt8]) throws {
      slots.wait()
      if stopped.withLock({ $0 }) { throw CancellationError() }
      continuation.yield(piece)
    }
    do {
      try ContentReader.read(id, from: store) { bytes in
        total += UInt64(bytes.count)
        guard total <= size else {
          throw ArtError.corrupt(
            "file \(id.prefix(12))", "it is longer than its entry's \(size) bytes")
        }
        var rest = bytes[...]
        while !rest.isEmpty {
          let take = min(rest.count, Self.pieceSize - pending.count)
          pending.append(contentsOf: rest.prefix(take))
          rest = rest.dropFirst(take)
          if pending.count == Self.pieceSize {
            try hand(pending)
            pending.removeAll(keepingCapacity: true)
          }
        }
      }
      guard total == size else {
        throw ArtError.corrupt(
          "file \(id.prefix(12))", "it is \(total) bytes, its entry says \(size)")
      }
      if !pending.isEmpty { try hand(pending) }
      continuation.finish()
    } catch {
      continuation.finish(throwing: error)
    }
  }
}
