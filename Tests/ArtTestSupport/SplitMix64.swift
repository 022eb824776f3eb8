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

  /// One image's annotation file as detection datasets ship them (COCO-style
  /// JSON, 0.3-2 KiB): thousands of them share their keys and layout, which
  /// a zstd dictionary learns.
  public static func label(index: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(seed: seed &+ UInt64(index) &* 7919)
    let names = ["person", "bicycle", "car", "dog", "cat", "bus", "truck", "bird"]
    var boxes: [String] = []
    for box in 0..<Int(generator.next() % 6 + 1) {
      let v = (0..<5).map { _ in generator.next() % 60_000 }
      boxes.append(
        """
            {
              "id": \(index * 10 + box),
              "category": "\(names[Int(v[0] % 8)])",
              "bbox": [\(Double(v[1]) / 100), \(Double(v[2]) / 150), \(Double(v[3]) / 300), \(Double(v[4]) / 300)],
              "area": \(Double(v[1] &* v[2] % 4_000_000) / 100),
              "iscrowd": 0
            }
        """)
    }
    let text = """
      {
        "image": {
          "file_name": "train/\(String(repeating: "0", count: 12 - String(index).count))\(index).jpg",
          "width": \([640, 480, 512][index % 3]),
          "height": \([480, 427, 640][index % 3]),
          "id": \(index)
        },
        "annotations": [
      \(boxes.joined(separator: ",\n"))
        ]
      }

      """
    return Array(text.utf8)
  }
}
