import CZstd
import Synchronization

/// A zstd dictionary: the bytes a pack stores as its one `dictionary`
/// object, with the digested forms zstd compresses and decompresses with.
///
/// Safe to share across tasks: the bytes are immutable, zstd only reads a
/// digested dictionary, and the digests made per level are kept behind a mutex.
public final class ZstdDictionary: @unchecked Sendable {
  // @unchecked: `decoder` and the encoders are zstd objects that zstd
  // documents as read-only once made, and they are freed only in deinit.

  /// The dictionary's id: ``id(of:)`` its bytes.
  public let id: ObjectID
  /// The dictionary as stored: a zstd dictionary (magic `0xEC30A437`).
  public let bytes: [UInt8]
  private let decoder: OpaquePointer
  private let encoders = Mutex<[Int: UInt]>([:])

  /// Largest dictionary art trains, and accepts from a pack.
  public static let maximumSize = 64 << 10

  /// A dictionary's id: the SHA-256 of `art-dictionary`, a newline, and its
  /// bytes, so that no file's id (the SHA-256 of its bytes alone) is ever a
  /// dictionary's.
  public static func id(of bytes: [UInt8]) -> ObjectID {
    var hasher = ObjectHasher()
    Array("art-dictionary\n".utf8).withUnsafeBytes { hasher.update($0) }
    bytes.withUnsafeBytes { hasher.update($0) }
    return hasher.finalize()
  }

  /// Checks and digests `bytes`, whose id the caller has already verified.
  ///
  /// - Throws: ``ArtError`` `.corruptData` naming `subject` when the bytes
  ///   are not a zstd dictionary of at most ``maximumSize`` bytes.
  public init(bytes: [UInt8], id: ObjectID, subject: String) throws {
    guard bytes.count <= Self.maximumSize,
      bytes.withUnsafeBytes({ ZDICT_getDictID($0.baseAddress, $0.count) }) != 0,
      let decoder = bytes.withUnsafeBytes({ ZSTD_createDDict($0.baseAddress, $0.count) })
    else {
      throw ArtError.corrupt(subject, "it is not a zstd dictionary of at most 64 KiB")
    }
    self.id = id
    self.bytes = bytes
    self.decoder = decoder
  }

  deinit {
    ZSTD_freeDDict(decoder)
    for encoder in encoders.withLock({ Array($0.values) }) {
      ZSTD_freeCDict(OpaquePointer(bitPattern: encoder))
    }
  }

  /// The digested dictionary for compressing at `level`, made on first use;
  /// nil when zstd cannot make one (out of memory).
  func encoder(level: Int) -> OpaquePointer? {
    encoders.withLock { encoders in
      if let made = encoders[level] { return OpaquePointer(bitPattern: made) }
      guard
        let made = bytes.withUnsafeBytes({
          ZSTD_createCDict($0.baseAddress, $0.count, Int32(level))
        })
      else { return nil }
      encoders[level] = UInt(bitPattern: made)
      return made
    }
  }

  /// Decodes one frame compressed against this dictionary into `output`;
  /// returns zstd's result (an error code, or the bytes written).
  func decompress(
    _ stored: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
    context: OpaquePointer
  ) -> Int {
    ZSTD_decompress_usingDDict(
      context, output.baseAddress, output.count, stored.baseAddress, stored.count, decoder)
  }

  /// Trains a dictionary of at most ``maximumSize`` bytes from `samples`,
  /// the objects laid end to end with their lengths in `sizes`; nil when
  /// zstd finds nothing to learn.
  public static func train(samples: [UInt8], sizes: [Int]) -> ZstdDictionary? {
    var parameters = ZDICT_fastCover_params_t()
    // Fixed parameters (no search over k and d): a tenth of a second for
    // 4 MiB of samples, where zstd's default search takes seconds.
    parameters.k = 1024
    parameters.d = 8
    parameters.f = 20
    parameters.accel = 1
    parameters.zParams.compressionLevel = Int32(Compression.defaultZstdLevel)
    var dictionary = [UInt8](repeating: 0, count: maximumSize)
    let size = dictionary.withUnsafeMutableBytes { out in
      samples.withUnsafeBytes { input in
        sizes.withUnsafeBufferPointer { lengths in
          ZDICT_trainFromBuffer_fastCover(
            out.baseAddress, out.count, input.baseAddress, lengths.baseAddress,
            UInt32(lengths.count), parameters)
        }
      }
    }
    guard ZDICT_isError(size) == 0 else { return nil }
    dictionary.removeSubrange(size...)
    return try? ZstdDictionary(
      bytes: dictionary, id: id(of: dictionary), subject: "a trained dictionary")
  }
}
