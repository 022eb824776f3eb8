import CDeflate
import CLZ4
import CZlib
import CZstd
import Synchronization

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
  /// One Zstandard frame (RFC 8878) without checksum, content size or
  /// dictionary id; needs pack index format 2 or 3.
  case zstd = 3
  /// One Zstandard frame like ``zstd``, compressed against the dictionary
  /// of the pack that holds it; needs pack index format 3. Never chosen by
  /// name: ``Compressor`` produces it when given a dictionary (the writing
  /// session's) and the result shrinks the object.
  case zstdDictionary = 4

  /// The name used in flags and config: `none`, `zlib`, `lz4`, `zstd`
  /// (and `zstd+dictionary`, which only `cat-object` and `verify-pack` print).
  public var description: String {
    switch self {
    case .none: "none"
    case .zlib: "zlib"
    case .lz4: "lz4"
    case .zstd: "zstd"
    case .zstdDictionary: "zstd+dictionary"
    }
  }

  /// The codecs a user can name in `core.compression` or `--compression`.
  public static let selectable: [Codec] = [.none, .zlib, .lz4, .zstd]
}

/// A codec and, for zstd, its level: what `core.compression` and
/// `--compression` name (`zstd`, `zstd:19`, `lz4`, `zlib`, `none`).
///
/// Plain `zstd` lets each writing session choose its level: it starts at
/// ``defaultZstdLevel`` and moves to ``strongerZstdLevel`` when that stores
/// the session's first objects smaller by 2% or more (see ``ObjectWriter``).
/// `zstd:LEVEL` fixes the level.
public struct Compression: Sendable, Equatable, CustomStringConvertible {
  /// The codec tried for each object.
  public let codec: Codec
  /// The zstd level (negative levels are zstd's fast ones), or the level a
  /// session starts at when it ``choosesLevel``; 0 for other codecs.
  public let level: Int
  /// Whether a writing session chooses between ``defaultZstdLevel`` and
  /// ``strongerZstdLevel`` by trying both (plain `zstd`).
  public let choosesLevel: Bool

  /// The level plain `zstd` starts at: the fastest of zstd's standard levels.
  ///
  /// It stores CSV-like text in about 60% of lz4's bytes, at about half
  /// lz4's speed (see Benchmarks/README.md for what that costs a commit).
  public static let defaultZstdLevel = 1
  /// The level plain `zstd` moves to where it pays: about a third slower
  /// than level 1, and 3-5% smaller on source code, binaries and real text
  /// (on CSV rows of random numbers it is larger).
  public static let strongerZstdLevel = 3
  /// The zstd levels accepted: zstd's fast levels down to -7, and 1 to 22.
  public static let zstdLevels = -7...22

  /// Stored as is.
  public static let none = Compression(codec: .none, level: 0)
  /// Raw DEFLATE, level 6.
  public static let zlib = Compression(codec: .zlib, level: 0)
  /// LZ4: the fastest to write and read, the largest store.
  public static let lz4 = Compression(codec: .lz4, level: 0)
  /// Zstandard at a level each session chooses (``choosesLevel``): what new
  /// repositories use.
  public static let zstd = Compression(
    codec: .zstd, level: defaultZstdLevel, choosesLevel: true)

  private init(codec: Codec, level: Int, choosesLevel: Bool = false) {
    self.codec = codec
    self.level = level
    self.choosesLevel = choosesLevel
  }

  /// zstd fixed at `level`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` outside ``zstdLevels`` or for 0.
  public static func zstd(level: Int) throws -> Compression {
    guard zstdLevels.contains(level), level != 0 else {
      throw ArtError(
        .invalidArgument, "zstd level \(level) is out of range",
        hint: "use a level from 1 (fast) to 19 (small; up to 22), or -1 to -7 for faster still")
    }
    return Compression(codec: .zstd, level: level)
  }

  /// The compression for `codec`: plain ``zstd`` for zstd.
  public init(_ codec: Codec) {
    self = codec == .zstd || codec == .zstdDictionary ? .zstd : Compression(codec: codec, level: 0)
  }

  /// `zstd` when the session chooses its level, `zstd:N` when fixed, or
  /// another codec's name.
  public var description: String {
    codec == .zstd && !choosesLevel ? "zstd:\(level)" : codec.description
  }

  /// Parses a name as printed by ``description``.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public init(name: String) throws {
    if name.hasPrefix("zstd:") {
      guard let level = Int(name.dropFirst(5)) else {
        throw ArtError(
          .invalidArgument, "'\(name)' has no zstd level after the colon",
          hint: "write zstd:LEVEL, a whole number such as zstd:3 or zstd:19")
      }
      self = try .zstd(level: level)
      return
    }
    guard let codec = Codec.selectable.first(where: { $0.description == name }) else {
      throw ArtError(
        .invalidArgument, "unknown compression '\(name)'",
        hint: "use one of: zstd, zstd:LEVEL (1-22), lz4, zlib, none")
    }
    self.init(codec)
  }
}

/// Compresses objects with one codec, reusing its buffers and zlib state.
///
/// Used by one task at a time: a ``CompressorPool`` hands each out to one
/// borrower until it is returned.
public final class Compressor: @unchecked Sendable {
  // @unchecked: the mutable buffers are only touched by the task that holds
  // the compressor, which it got exclusively from a pool or made itself.
  /// The codec (and level) tried for each object.
  public let compression: Compression
  /// The codec tried for each object.
  public var codec: Codec { compression.codec }
  private var output: [UInt8] = []
  private var stream = z_stream()
  private var streamReady = false
  private var zstdContext: OpaquePointer? = nil
  /// The level `zstdContext` compresses at.
  private var zstdLevel = 0

  /// Objects smaller than this are stored raw: no codec saves the bytes its
  /// header costs.
  public static let minimumSize = 64

  /// A compressor for `compression`.
  public init(compression: Compression) {
    self.compression = compression
  }

  deinit {
    if streamReady { deflateEnd(&stream) }
    if let zstdContext { ZSTD_freeCCtx(zstdContext) }
  }

  /// Calls `body` with the stored form of `raw` and the codec used.
  ///
  /// Data that does not shrink by at least 1/32 (JPEG, parquet, random bytes)
  /// is passed through with `.none`, so reads of it cost no decompression.
  /// With a `dictionary` (zstd only) the result is ``Codec/zstdDictionary``.
  /// A zstd `level` overrides the compressor's own for this object.
  public func withCompressed<R>(
    _ raw: UnsafeRawBufferPointer, enabled: Bool = true, dictionary: ZstdDictionary? = nil,
    level: Int? = nil, _ body: (UnsafeRawBufferPointer, Codec) throws -> R
  ) throws -> R {
    if !enabled || raw.count < Self.minimumSize || codec == .none { return try body(raw, .none) }
    let limit = raw.count - raw.count / 32
    var used = codec
    let stored: Int
    switch codec {
    case .none: stored = 0
    case .lz4: stored = compressLZ4(raw, limit: limit)
    case .zlib: stored = compressZlib(raw, limit: limit)
    case .zstd, .zstdDictionary:
      stored = compressZstd(
        raw, limit: limit, dictionary: dictionary, level: level ?? compression.level)
      if dictionary != nil { used = .zstdDictionary }
    }
    if stored <= 0 { return try body(raw, .none) }
    return try output.withUnsafeBytes { (buffer) throws in
      try body(UnsafeRawBufferPointer(rebasing: buffer[0..<stored]), used)
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

  private func compressZstd(
    _ raw: UnsafeRawBufferPointer, limit: Int, dictionary: ZstdDictionary?, level: Int
  ) -> Int {
    if zstdContext == nil {
      guard let context = ZSTD_createCCtx() else { return 0 }
      // The record header keeps the raw length and a CRC-32, and the id is
      // a SHA-256: the frame's own copies would only cost bytes.
      for (parameter, value) in [
        (ZSTD_c_compressionLevel, Int32(compression.level)), (ZSTD_c_contentSizeFlag, 0),
        (ZSTD_c_checksumFlag, 0), (ZSTD_c_dictIDFlag, 0),
      ] where ZSTD_isError(ZSTD_CCtx_setParameter(context, parameter, value)) != 0 {
        ZSTD_freeCCtx(context)
        return 0
      }
      zstdContext = context
      zstdLevel = compression.level
    }
    if level != zstdLevel {
      let result = ZSTD_CCtx_setParameter(zstdContext, ZSTD_c_compressionLevel, Int32(level))
      guard ZSTD_isError(result) == 0 else { return 0 }
      zstdLevel = level
    }
    if output.count < limit { output = [UInt8](repeating: 0, count: limit) }
    // The frame settings above still apply; the level comes from the
    // dictionary's digest, made at this object's level.
    if let dictionary {
      guard let encoder = dictionary.encoder(level: level),
        ZSTD_isError(ZSTD_CCtx_refCDict(zstdContext, encoder)) == 0
      else { return 0 }
    }
    defer {
      // A frame that did not fit in `limit` leaves the context mid-frame,
      // where zstd refuses to drop the dictionary: end the session first,
      // or the next object, stored as plain zstd, would be compressed
      // against it. A context that still holds it is not used again.
      if dictionary != nil {
        ZSTD_CCtx_reset(zstdContext, ZSTD_reset_session_only)
        if ZSTD_isError(ZSTD_CCtx_refCDict(zstdContext, nil)) != 0 {
          ZSTD_freeCCtx(zstdContext)
          zstdContext = nil
        }
      }
    }
    return output.withUnsafeMutableBytes { out in
      // An error (the frame would not fit in `limit`) means it did not shrink.
      let result = ZSTD_compress2(zstdContext, out.baseAddress, limit, raw.baseAddress, raw.count)
      return ZSTD_isError(result) != 0 ? 0 : Int(result)
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
  /// Decompresses `stored` into `output`, which must be exactly the raw
  /// length; ``zstdDictionary`` needs the `dictionary` of the object's pack.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` (naming `subject`) when the
  ///   bytes do not decode to exactly `output.count` bytes.
  public func decompress(
    _ stored: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, subject: String,
    dictionary: ZstdDictionary? = nil
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
    case .zstd:
      // One-shot decoding writes only into `output` and keeps no window of
      // its own, so a frame's declared window or content size cannot make
      // it allocate; one that decodes to more or fewer bytes is an error.
      let result = ZstdDecoders.shared.withContext { context in
        ZSTD_decompressDCtx(
          context, output.baseAddress, output.count, stored.baseAddress, stored.count)
      }
      guard let result, ZSTD_isError(result) == 0, result == output.count else {
        throw ArtError.corrupt(subject, "zstd data does not decode to \(output.count) bytes")
      }
    case .zstdDictionary:
      guard let dictionary else {
        throw ArtError.corrupt(subject, "it is compressed against a dictionary its pack lacks")
      }
      // Bounded like plain zstd: decoding writes only into `output`.
      let result = ZstdDecoders.shared.withContext { context in
        dictionary.decompress(stored, into: output, context: context)
      }
      guard let result, ZSTD_isError(result) == 0, result == output.count else {
        throw ArtError.corrupt(
          subject, "zstd data does not decode to \(output.count) bytes with its pack's dictionary")
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

/// zstd decompression contexts, reused across objects and tasks.
///
/// Safe to share across tasks: each context is lent to one task at a time.
final class ZstdDecoders: Sendable {
  static let shared = ZstdDecoders()
  private let idle = Mutex<[UInt]>([])

  /// Calls `body` with a context no other task holds; nil when zstd cannot
  /// make one (out of memory).
  func withContext<R>(_ body: (OpaquePointer) -> R) -> R? {
    let context =
      idle.withLock { $0.popLast() }.flatMap { OpaquePointer(bitPattern: $0) }
      ?? makeContext()
    guard let context else { return nil }
    defer { idle.withLock { $0.append(UInt(bitPattern: context)) } }
    return body(context)
  }

  private func makeContext() -> OpaquePointer? { ZSTD_createDCtx() }
}

/// The CRC-32 (zlib's polynomial) of `bytes`.
///
/// libdeflate's, which folds with carry-less multiplies where the CPU has
/// them: about three times zlib 1.2's on this machine, and every pack
/// record written or read is checked with it.
public func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
  libdeflate_crc32(0, bytes.baseAddress, bytes.count)
}
