import Glibc

/// A path (or a name) in a tree, equal to another only byte for byte.
///
/// Swift's `String` takes canonically equivalent texts as equal, composed
/// and decomposed `é` alike, where a file system keeps them apart as two
/// names: a map keyed by `String` would fold two files into one. Maps of
/// a tree's names and paths are keyed by this instead, and sort by bytes
/// as manifests do.
public struct TreePath: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByStringLiteral
{
  /// The path, `/`-separated.
  public let text: String

  /// The path `text`.
  public init(_ text: String) { self.text = text }

  public init(stringLiteral text: String) { self.text = text }

  public var description: String { text }

  public static func == (a: TreePath, b: TreePath) -> Bool {
    // Most paths are native strings: one memcmp, not a walk of the views.
    a.text.utf8.count == b.text.utf8.count && ManifestEntry.order(a.text, b.text) == 0
  }

  public func hash(into hasher: inout Hasher) {
    let hashed: Void? = text.utf8.withContiguousStorageIfAvailable {
      hasher.combine(bytes: UnsafeRawBufferPointer($0))
    }
    if hashed == nil {
      for byte in text.utf8 { hasher.combine(byte) }
    }
    hasher.combine(text.utf8.count)
  }

  public static func < (a: TreePath, b: TreePath) -> Bool {
    ManifestEntry.precedes(a.text, b.text)
  }
}

/// The order of the bytes `a` against `b`, as manifests sort names:
/// negative, zero or positive (the first differing byte, else the shorter
/// first).
func byteOrder(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
  let common = min(a.count, b.count)
  if common > 0, let first = a.baseAddress, let second = b.baseAddress {
    let order = memcmp(first, second, common)
    if order != 0 { return Int(order) }
  }
  return a.count - b.count
}

/// The first eight bytes of `bytes` as a big-endian number, zero-padded:
/// two such prefixes that differ order their bytes as ``byteOrder(_:_:)``
/// does, so a sort compares whole names only on a tie.
func byteOrderPrefix(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
  var prefix: UInt64 = 0
  for index in 0..<8 {
    prefix = prefix << 8 | (index < bytes.count ? UInt64(bytes[index]) : 0)
  }
  return prefix
}

/// ``byteOrderPrefix(_:)`` of `text`'s UTF-8 bytes.
func byteOrderPrefix(_ text: String) -> UInt64 {
  text.utf8.withContiguousStorageIfAvailable { byteOrderPrefix(UnsafeRawBufferPointer($0)) }
    ?? Array(text.utf8.prefix(8)).withUnsafeBytes { byteOrderPrefix($0) }
}
