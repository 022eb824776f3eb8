/// Appends little-endian fields to a byte array.
public struct ByteWriter {
  /// The bytes written so far.
  public private(set) var bytes: [UInt8] = []

  /// An empty writer with room for `capacity` bytes.
  public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

  public mutating func append(_ value: [UInt8]) { bytes += value }
  public mutating func append(_ value: ArraySlice<UInt8>) { bytes += value }
  public mutating func append(_ value: UInt8) { bytes.append(value) }
  public mutating func append(_ value: UInt16) { appendInteger(value) }
  public mutating func append(_ value: UInt32) { appendInteger(value) }
  public mutating func append(_ value: UInt64) { appendInteger(value) }
  public mutating func append(_ id: ObjectID) {
    // The four words big-endian (a tuple of one type lies contiguous),
    // with no array made per id.
    let words = id.words
    withUnsafeBytes(
      of: (words.0.bigEndian, words.1.bigEndian, words.2.bigEndian, words.3.bigEndian)
    ) { bytes += $0 }
  }

  /// Appends a u32 length and the UTF-8 bytes of `text`.
  public mutating func append(string text: String) {
    append(UInt32(text.utf8.count))
    append(utf8: text)
  }

  /// Appends the UTF-8 bytes of `text`, with no length before them.
  public mutating func append(utf8 text: String) { bytes.append(contentsOf: text.utf8) }

  private mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }
}

/// Reads little-endian fields, throwing `.corruptData` on a short read.
public struct ByteReader {
  private let data: [UInt8]
  private var offset = 0
  /// Names the object in errors; made only for one.
  private let subjectText: () -> String
  private var subject: String { subjectText() }

  /// A reader over `data`; errors name `subject`.
  public init(_ data: [UInt8], subject: @autoclosure @escaping () -> String) {
    self.data = data
    self.subjectText = subject
  }

  /// Bytes not read yet.
  public var remaining: Int { data.count - offset }

  public mutating func bytes(_ count: Int) throws -> [UInt8] {
    guard count >= 0, count <= remaining else {
      throw ArtError.corrupt(subject, "ends before the \(count)-byte field at offset \(offset)")
    }
    defer { offset += count }
    return Array(data[offset..<offset + count])
  }

  /// Reads the 8-byte header every object format starts with: 4 bytes of
  /// `magic`, a u8 version that must be 1, and 3 zero bytes.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` for a bad magic number,
  ///   `.unsupportedFormat` for a newer version.
  public mutating func objectHeader(magic: [UInt8]) throws {
    guard try bytes(4) == magic else { throw ArtError.corrupt(subject, "bad magic number") }
    let version = try uint8()
    guard version == 1 else { throw ArtError.newerFormat(subject, version) }
    _ = try bytes(3)
  }

  public mutating func uint8() throws -> UInt8 { try integer() }
  public mutating func uint16() throws -> UInt16 { try integer() }
  public mutating func uint32() throws -> UInt32 { try integer() }
  public mutating func uint64() throws -> UInt64 { try integer() }
  public mutating func objectID() throws -> ObjectID {
    guard remaining >= 32 else {
      throw ArtError.corrupt(subject, "ends before the 32-byte field at offset \(offset)")
    }
    defer { offset += 32 }
    return data.withUnsafeBytes { ObjectID(in: $0, at: offset) }
  }

  /// Reads a u32 length and that many bytes of valid UTF-8.
  public mutating func string() throws -> String {
    let count = Int(try uint32())
    guard count <= remaining else {
      throw ArtError.corrupt(subject, "ends before the \(count)-byte field at offset \(offset)")
    }
    defer { offset += count }
    guard let text = String(validating: data[offset..<offset + count], as: UTF8.self) else {
      throw ArtError.corrupt(subject, "text at offset \(offset) is not UTF-8")
    }
    return text
  }

  private mutating func integer<T: FixedWidthInteger>() throws -> T {
    let size = MemoryLayout<T>.size
    guard size <= remaining else {
      throw ArtError.corrupt(subject, "ends before the \(size)-byte field at offset \(offset)")
    }
    defer { offset += size }
    return data.withUnsafeBytes {
      T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
  }
}

extension UnsafeRawBufferPointer {
  /// The little-endian integer at `offset`; the caller has checked the bounds.
  ///
  /// Inlinable so other modules get it specialized: unspecialized, each call
  /// looked up generic metadata, a tenth of a commit's CPU in the stat
  /// cache's entries.
  @inlinable
  package func littleEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) -> T {
    T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
  }
}

extension UnsafeMutableRawBufferPointer {
  /// Stores `value` little-endian at `offset`; the caller has checked the bounds.
  func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
    storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
  }
}
