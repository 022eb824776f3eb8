/// The SHA-256 of an object's raw content: 32 bytes, shown as 64 lowercase
/// hex digits.
///
/// Stored inline as four big-endian words, so ids need no allocation and `<`
/// is byte order.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The id's bytes as four words, each read big-endian.
  var words: (UInt64, UInt64, UInt64, UInt64)

  /// The number of bytes in an id.
  public static let byteCount = 32

  /// The id of 32 zero bytes: no SHA-256 anyone can find, so formats use
  /// it for "none".
  public static let zero = ObjectID(words: (0, 0, 0, 0))

  private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

  /// Reads an id from 32 bytes.
  public init(bytes: UnsafeRawBufferPointer) {
    precondition(bytes.count >= 32, "an object id needs 32 bytes")  // callers pass fixed slices
    func word(_ i: Int) -> UInt64 {
      UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
    }
    words = (word(0), word(1), word(2), word(3))
  }

  /// Reads the id at byte `offset` of `bytes`, which must hold 32 bytes there.
  public init(in bytes: UnsafeRawBufferPointer, at offset: Int) {
    self.init(bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 32]))
  }

  /// Reads an id from an array of 32 bytes.
  public init(_ bytes: [UInt8]) {
    self = bytes.withUnsafeBytes { ObjectID(bytes: $0) }
  }

  /// Parses 64 hex digits (either case); nil for anything else.
  public init?(_ hex: some StringProtocol) {
    if let parsed = hex.utf8.withContiguousStorageIfAvailable({
      ObjectID(hexBytes: UnsafeRawBufferPointer($0))
    }) {
      guard let parsed else { return nil }
      self = parsed
      return
    }
    let utf8 = Array(hex.utf8)
    guard utf8.count == 64 else { return nil }
    var bytes = [UInt8](repeating: 0, count: 32)
    for i in 0..<32 {
      guard let high = hexValue(utf8[2 * i]), let low = hexValue(utf8[2 * i + 1]) else {
        return nil
      }
      bytes[i] = high << 4 | low
    }
    self.init(bytes)
  }

  /// Parses 64 hex digits given as bytes; nil for anything else.
  public init?(hexBytes hex: UnsafeRawBufferPointer) {
    guard hex.count == 64 else { return nil }
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    for word in 0..<4 {
      var value: UInt64 = 0
      for i in word * 16..<word * 16 + 16 {
        guard let digit = hexValue(hex[i]) else { return nil }
        value = value << 4 | UInt64(digit)
      }
      switch word {
      case 0: words.0 = value
      case 1: words.1 = value
      case 2: words.2 = value
      default: words.3 = value
      }
    }
    self.words = words
  }

  /// The 32 bytes of the id.
  public var bytes: [UInt8] {
    var result = [UInt8](repeating: 0, count: 32)
    result.withUnsafeMutableBytes { write(to: $0) }
    return result
  }

  /// Writes the 32 bytes to the start of `buffer`.
  public func write(to buffer: UnsafeMutableRawBufferPointer) {
    buffer.storeBytes(of: words.0.bigEndian, toByteOffset: 0, as: UInt64.self)
    buffer.storeBytes(of: words.1.bigEndian, toByteOffset: 8, as: UInt64.self)
    buffer.storeBytes(of: words.2.bigEndian, toByteOffset: 16, as: UInt64.self)
    buffer.storeBytes(of: words.3.bigEndian, toByteOffset: 24, as: UInt64.self)
  }

  /// The first byte, which picks the fan-out bucket in a pack index.
  public var firstByte: UInt8 { UInt8(truncatingIfNeeded: words.0 >> 56) }

  /// The id's first 8 bytes as a number, so ids sort as these do first.
  public var firstWord: UInt64 { words.0 }

  /// The id's last 8 bytes as a number: uniformly random, for filters
  /// that need a few bits of an id cheaply.
  public var lastWord: UInt64 { words.3 }

  /// 64 lowercase hex digits.
  public var description: String { hex }

  /// 64 lowercase hex digits.
  public var hex: String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8](repeating: 0, count: 64)
    for (i, byte) in bytes.enumerated() {
      out[2 * i] = digits[Int(byte >> 4)]
      out[2 * i + 1] = digits[Int(byte & 15)]
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The first `count` hex digits, for short display.
  public func prefix(_ count: Int) -> String { String(hex.prefix(count)) }

  public static func == (a: ObjectID, b: ObjectID) -> Bool {
    a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
      && a.words.3 == b.words.3
  }

  public static func < (a: ObjectID, b: ObjectID) -> Bool {
    if a.words.0 != b.words.0 { return a.words.0 < b.words.0 }
    if a.words.1 != b.words.1 { return a.words.1 < b.words.1 }
    if a.words.2 != b.words.2 { return a.words.2 < b.words.2 }
    return a.words.3 < b.words.3
  }

  public func hash(into hasher: inout Hasher) {
    // The words are already uniformly random.
    hasher.combine(words.0)
    hasher.combine(words.1)
  }
}

package func hexValue(_ c: UInt8) -> UInt8? {
  switch c {
  case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
  case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
  case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
  default: return nil
  }
}

/// A hex prefix of an object id, at least 4 digits, as typed by a user.
public struct ObjectIDPrefix: Sendable, CustomStringConvertible {
  /// The lowercase hex digits.
  public let hex: String
  /// The smallest id with this prefix.
  public let lowerBound: ObjectID

  /// Parses 4 to 64 hex digits.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument` naming the text.
  public init(_ text: String) throws {
    let lower = text.lowercased()
    guard lower.utf8.count >= 4, lower.utf8.count <= 64,
      lower.utf8.allSatisfy({ hexValue($0) != nil })
    else {
      throw ArtError(
        .invalidArgument, "'\(text)' is not an object id",
        hint: "give 4 to 64 hex digits of an id, as printed by 'art write-manifest'")
    }
    hex = lower
    let padded = lower + String(repeating: "0", count: 64 - lower.utf8.count)
    guard let id = ObjectID(padded) else {
      throw ArtError(.invalidArgument, "'\(text)' is not an object id")
    }
    lowerBound = id
  }

  /// Whether `id` starts with this prefix.
  public func matches(_ id: ObjectID) -> Bool { id.hex.hasPrefix(hex) }

  public var description: String { hex }
}
