/// A small seeded generator, so random test data replays exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// A generator starting from `seed`.
  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension Array where Element == UInt8 {
  /// `count` random bytes from `seed`.
  public static func random(count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(seed: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { buffer in
      var i = 0
      while i + 8 <= count {
        buffer.storeBytes(of: generator.next(), toByteOffset: i, as: UInt64.self)
        i += 8
      }
      while i < count {
        buffer[i] = UInt8(truncatingIfNeeded: generator.next())
        i += 1
      }
    }
    return bytes
  }

  /// `count` bytes of CSV-like text from `seed`: compressible, but never
  /// the same line twice.
  public static func text(count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(seed: seed)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 100)
    var row = 0
    let words = ["alpha", "beta", "gamma", "delta", "cat", "dog", "train", "test", "label"]
    while bytes.count < count {
      let value = generator.next()
      let line =
        "\(row),\(words[Int(value % 9)]),\(value % 100_000),\(Double(value % 1000) / 7.0),"
        + "\(words[Int((value >> 8) % 9)])\n"
      bytes += line.utf8
      row += 1
    }
    return Array(bytes.prefix(count))
  }
}
