/// A fast 128-bit hash of a row's fields.
///
/// Two 64-bit lanes with different multipliers, finished with MurmurHash3's
/// `fmix64`. Not cryptographic:
/// it tells rows apart in a diff, where a collision among 2^64 pairs is
/// the accepted risk.
struct RowHasher {
  private var a: UInt64
  private var b: UInt64

  /// A hasher whose output depends on `seed`, such as a schema's hash.
  init(seed: UInt64 = 0) {
    a = 0x243F_6A88_85A3_08D3 ^ seed
    b = 0x1319_8A2E_0370_7344 &+ seed &* 0x9E37_79B9_7F4A_7C15
  }

  private mutating func mix(_ word: UInt64) {
    a = (a ^ word) &* 0x9E37_79B9_7F4A_7C15
    a ^= a >> 29
    b = (b ^ word) &* 0xC2B2_AE3D_27D4_EB4F
    b = (b << 31) | (b >> 33)
  }

  /// Adds `bytes`, length first, so field boundaries count.
  mutating func add(_ bytes: ArraySlice<UInt8>) {
    mix(UInt64(bytes.count) | 0xA5A5_0000_0000_0000)
    bytes.withUnsafeBytes { raw in
      var index = 0
      let count = raw.count
      while index + 8 <= count {
        mix(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        index += 8
      }
      if index < count {
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < count {
          tail |= UInt64(raw[index]) << shift
          shift += 8
          index += 1
        }
        mix(tail)
      }
    }
  }

  /// Adds `text`'s UTF-8 bytes.
  mutating func add(_ text: String) { add(Array(text.utf8)[...]) }

  private static func fmix(_ value: UInt64) -> UInt64 {
    var k = value
    k ^= k >> 33
    k &*= 0xFF51_AFD7_ED55_8CCD
    k ^= k >> 33
    k &*= 0xC4CE_B9FE_1A85_EC53
    k ^= k >> 33
    return k
  }

  /// The 128-bit result.
  func finish() -> RowKey { RowKey(high: Self.fmix(a ^ (b >> 7)), low: Self.fmix(b ^ a)) }
}

/// 128 bits identifying a key or a row.
struct RowKey: Hashable {
  var high: UInt64
  var low: UInt64
}
