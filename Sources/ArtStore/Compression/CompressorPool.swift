import Synchronization

/// Compressors for one codec, lent to one task at a time so their buffers
/// and zlib state are reused across objects.
///
/// Safe to share across tasks.
public final class CompressorPool: Sendable {
  /// The codec and level every compressor uses.
  public let compression: Compression
  private let idle = Mutex<[Compressor]>([])

  /// An empty pool; compressors are made on first use.
  public init(compression: Compression) {
    self.compression = compression
  }

  /// Calls `body` with a compressor no other task holds.
  public func withCompressor<R>(_ body: (Compressor) throws -> R) rethrows -> R {
    let compressor = idle.withLock { $0.popLast() } ?? Compressor(compression: compression)
    defer { idle.withLock { $0.append(compressor) } }
    return try body(compressor)
  }
}
