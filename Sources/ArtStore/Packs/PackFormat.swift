/// Constants and record layout of pack files, format version 1.
///
/// A pack is `header | record* | footer | trailer`, all integers little-endian:
///
/// | part    | size   | content                                                       |
/// |---------|--------|---------------------------------------------------------------|
/// | header  | 16     | magic `ARTPACK\0`, u32 version = 1, u32 zero                  |
/// | record  | 64 + n | record header (below), then the n stored bytes                |
/// | footer  | N × 64 | one ``PackEntry`` per object, sorted by id                    |
/// | trailer | 64     | u64 N, u64 footer offset, 32-byte SHA-256 of the footer,      |
/// |         |        | u64 zero, magic `ARTPEND\0`                                   |
///
/// Record header: u32 magic `AREC`, u8 kind, u8 codec, u16 zero, u64 raw
/// length, u64 stored length, 32-byte id, u32 CRC-32 of the stored bytes,
/// u32 CRC-32 of header bytes 0..<60.
///
/// The pack's id (its file name) is the SHA-256 of its footer, which lists
/// every object's id, offset, lengths and CRC.
public enum PackFormat {
  static let magic: [UInt8] = Array("ARTPACK\0".utf8)
  static let trailerMagic: [UInt8] = Array("ARTPEND\0".utf8)
  static let recordMagic: UInt32 = 0x4345_5241  // "AREC" read little-endian
  /// The format version this build writes and reads.
  public static let version: UInt32 = 1
  static let headerSize = 16
  public static let recordHeaderSize = 64
  static let entrySize = 64
  static let trailerSize = 64
  /// Largest raw object a reader accepts, so a damaged length cannot make it
  /// allocate without bound.
  public static let maximumObjectSize: UInt64 = 1 << 32

  /// File name of the pack with `id`.
  public static func packName(_ id: ObjectID) -> String { "pack-\(id.hex).pack" }
  /// File name of the index of the pack with `id`.
  public static func indexName(_ id: ObjectID) -> String { "pack-\(id.hex).idx" }

  /// The pack id in an index file name `pack-<64 hex>.idx`, or nil.
  static func packID(indexName name: String) -> ObjectID? {
    guard name.hasPrefix("pack-"), name.hasSuffix(".idx"), name.utf8.count == 5 + 64 + 4 else {
      return nil
    }
    return ObjectID(name.dropFirst(5).dropLast(4))
  }

  /// Encodes the record header of `entry`.
  static func recordHeader(_ entry: PackEntry) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: recordHeaderSize)
    header.withUnsafeMutableBytes { b in
      b.store(recordMagic, at: 0)
      b.store(entry.kind.rawValue, at: 4)
      b.store(entry.codec.rawValue, at: 5)
      b.store(entry.rawLength, at: 8)
      b.store(entry.storedLength, at: 16)
      entry.id.write(to: UnsafeMutableRawBufferPointer(rebasing: b[24..<56]))
      b.store(entry.crc, at: 56)
      let headerCRC = crc32(UnsafeRawBufferPointer(rebasing: b[0..<60]))
      b.store(headerCRC, at: 60)
    }
    return header
  }

  /// Encodes one footer or index entry (without the id for the index).
  static func encodeEntryFields(_ entry: PackEntry, into b: UnsafeMutableRawBufferPointer) {
    b.store(entry.offset, at: 0)
    b.store(entry.rawLength, at: 8)
    b.store(entry.storedLength, at: 16)
    b.store(entry.crc, at: 24)
    b.store(entry.kind.rawValue, at: 28)
    b.store(entry.codec.rawValue, at: 29)
    b.store(UInt16(0), at: 30)
  }
}

/// Where one object sits in a pack and how it is stored.
public struct PackEntry: Sendable, Equatable {
  /// The object's id: SHA-256 of its raw bytes (for a chunk list, of its file).
  public var id: ObjectID
  /// Offset of the record header in the pack.
  public var offset: UInt64
  /// Length once decompressed.
  public var rawLength: UInt64
  /// Length as stored.
  public var storedLength: UInt64
  /// CRC-32 of the stored bytes.
  public var crc: UInt32
  /// What the object holds.
  public var kind: ObjectKind
  /// How it is compressed.
  public var codec: Codec
}
