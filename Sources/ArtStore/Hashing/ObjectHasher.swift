import Crypto

/// Incremental SHA-256, producing an ``ObjectID``.
///
/// Owned by one task at a time; not `Sendable`.
public struct ObjectHasher {
  private var state = SHA256()

  /// A fresh hasher.
  public init() {}

  /// Adds bytes.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    state.update(bufferPointer: bytes)
  }

  /// The id of everything added so far.
  public func finalize() -> ObjectID {
    state.finalize().withUnsafeBytes { ObjectID(bytes: $0) }
  }

  /// The id of `bytes`.
  public static func id(of bytes: UnsafeRawBufferPointer) -> ObjectID {
    SHA256.hash(data: bytes).withUnsafeBytes { ObjectID(bytes: $0) }
  }

  /// The id of `bytes`.
  public static func id(of bytes: [UInt8]) -> ObjectID {
    bytes.withUnsafeBytes { id(of: $0) }
  }
}
