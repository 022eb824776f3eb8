import Crypto

/// The 256 random values of the gear hash, fixed forever because chunk
/// boundaries (and so deduplication across versions) depend on them.
///
/// Entry `i` is the first 8 bytes, read little-endian, of SHA-256 of the
/// single byte `i`. Anyone can recompute it: entry 0 is
/// `sha256(b"\x00")[0..8]` as a little-endian u64 = `0x987ab3ff9c0b346e`.
public enum GearTable {
  /// The table, computed once.
  public static let values: [UInt64] = (0..<256).map { i in
    SHA256.hash(data: [UInt8(i)]).withUnsafeBytes {
      UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
    }
  }
}
