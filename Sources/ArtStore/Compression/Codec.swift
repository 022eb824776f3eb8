import CLZ4
import CZlib

/// How an object's bytes are stored in a pack.
///
/// Raw values are on disk and are never renumbered.
public enum Codec: UInt8, CaseIterable, Sendable, CustomStringConvertible {
  /// Stored as is.
  case none = 0
  /// Raw DEFLATE (RFC 1951, no zlib header), level 6.
  case zlib = 1
  /// One LZ4 block (no frame); the raw length is kept in the record header.
  case lz4 = 2

  /// The name used in flags and config: `none`, `zlib`, `lz4`.
  public var description: String {
    switch self {
    case .none: "none"
    case .zlib: "zlib"
    case .lz4: "lz4"
    }
  }

  /// Parses a name as printed by ``description``.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public init(name: String) throws {
    guard let codec = Codec.allCases.first(where: { $0.description == name }) else {
      throw ArtError(
        .invalidArgument, "unknown compression '\(name)'",
        hint: "use one of: lz4, zlib, none")
    }
    self = codec
  }
}

/// Compresses objects with one codec, reusing its buffers and zlib state.
///
/// Used by one task at a time: a ``CompressorPool`` hands each out to one
/// borrower until it is returned.
public final class Compressor: @unchecked Sendable {
  // @unchecked: the mutable buffers are only touched by the task that holds
  // the compressor, which it got exclusively from a pool or made itself.
  /// The codec tried for each object.
  public let codec: Codec
  private var output: [UInt8] = []
  private var stream = z_stream()
  private var streamReady = false

  /// Objects smaller than this are stored raw: no codec saves the bytes its
  /// header costs.
  public static let minimumSize = 64

  /// A compressor for `codec`.
  public init(codec: Codec) {
    self.codec = codec
  }

  deinit {
    if streamReady { deflateEnd(&stream) }
  }

  /// Calls `body` with the stored form of `raw` and the codec used.
  ///
  /// Data that does not shrink by at least 1/32 (JPEG, parquet, random bytes)
  /// is passed through with `.none`, so reads of it cost no decompression.
  public func withCompressed<R>(
    _ raw: UnsafeRawBufferPointer, enabled: Bool = true,
    _ body: (UnsafeRawBufferPointer, Codec) throws -> R
  ) throws -> R {
    if !enabled || raw.count < Self.minimumSize || codec == .none { return try body(raw, .none) }
    let limit = raw.count - raw.count / 32
    let stored: Int
    switch codec {
    case .none: stored = 0
    case .lz4: stored = compressLZ4(raw, limit: limit)
    case .zlib: stored = compressZlib(raw, limit: limit)
    }
    if stored <= 0 { return try body(raw, .none) }
    return try output.withUnsafeBytes { (buffer) throws in
      try body(UnsafeRawBufferPointer(rebasing: buffer[0..<stored]), codec)
    }
  }

  private func compressLZ4(_ raw: UnsafeRawBufferPointer, limit: Int) -> Int {
    if output.count < limit { output = [UInt8](repeating: 0, count: limit) }
    return output.withUnsafeMutableBytes { out in
      // Returns 0 when the result would not fit in `limit`: not worth storing.
      Int(
        LZ4_compress_default(
          raw.baseAddress?.assumingMemoryBound(to: CChar.self),
          out.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(raw.count), Int32(limit)))
    }
  }

  private func compressZlib(_ raw: UnsafeRawBufferPointer, limit: Int) -> Int {
    if !streamReady {
      let status = deflateInit2_(
        &stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
        Int32(MemoryLayout<z_stream>.size))
      if status != Z_OK { return 0 }
      streamReady = true
    } else {
      deflateReset(&stream)
    }
    if output.count < limit { output = [UInt8](repeating: 0, count: limit) }
    return output.withUnsafeMutableBytes { out in
      stream.next_in = UnsafeMutablePointer(
        mutating: raw.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(raw.count)
      stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(limit)
      // Z_STREAM_END means everything fit within `limit`; anything else
      // (Z_OK or Z_BUF_ERROR with the output full) means it did not shrink.
      let status = deflate(&stream, Z_FINISH)
      return status == Z_STREAM_END ? Int(stream.total_out) : 0
    }
  }
}

extension Codec {
  /// Decompresses `stored` into `output`, which must be exactly the raw length.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` (naming `subject`) when the
  ///   bytes do not decode to exactly `output.count` bytes.
  public func decompress(
    _ stored: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, subject: String
  ) throws {
    switch self {
    case .none:
      guard stored.count == output.count else {
        throw ArtError.corrupt(
          subject, "stored length \(stored.count) is not raw length \(output.count)")
      }
      if let base = stored.baseAddress, stored.count > 0 {
        output.baseAddress?.copyMemory(from: base, byteCount: stored.count)
      }
    case .lz4:
      let count = LZ4_decompress_safe(
        stored.baseAddress?.assumingMemoryBound(to: CChar.self),
        output.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(stored.count),
        Int32(output.count))
      guard count == output.count else {
        throw ArtError.corrupt(subject, "lz4 data does not decode to \(output.count) bytes")
      }
    case .zlib:
      var stream = z_stream()
      guard
        inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
      else {
        throw ArtError(.io, "cannot start zlib for \(subject)")
      }
      defer { inflateEnd(&stream) }
      stream.next_in = UnsafeMutablePointer(
        mutating: stored.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(stored.count)
      stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(output.count)
      let status = inflate(&stream, Z_FINISH)
      guard status == Z_STREAM_END, Int(stream.total_out) == output.count,
        stream.avail_in == 0
      else {
        throw ArtError.corrupt(subject, "zlib data does not decode to \(output.count) bytes")
      }
    }
  }
}

/// The CRC-32 (zlib's polynomial) of `bytes`.
public func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
  UInt32(
    CZlib.crc32(0, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
}
