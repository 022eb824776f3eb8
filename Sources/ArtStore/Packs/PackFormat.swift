/// Constants and record layout of pack files, format version 2 (written)
/// and 1 (read).
///
/// A pack is `header | record* | trailer`, all integers little-endian:
///
/// | part    | size   | content                                                       |
/// |---------|--------|---------------------------------------------------------------|
/// | header  | 16     | magic `ARTPACK\0`, u32 version = 2, u32 zero                  |
/// | record  | 64 + n | record header (below), then the n stored bytes                |
/// | trailer | 64     | u64 N, u64 offset of the trailer, 32-byte pack id,            |
/// |         |        | u64 zero, magic `ARTPEND\0`                                   |
///
/// Version 1 packs also hold a footer before the trailer: one 64-byte entry
/// per object (its id, then the fields of its index entry), sorted by id;
/// the trailer's second field is the footer's offset. Version 2 leaves it
/// out (it repeated the index, 64 bytes per object); its id hashes the
/// same entries after a prefix: ``packID(of:version:)``.
///
/// Record header: u32 magic `AREC`, u8 kind, u8 codec, u16 zero, u64 raw
/// length, u64 stored length, 32-byte id, u32 CRC-32 of the stored bytes,
/// u32 CRC-32 of header bytes 0..<60.
public enum PackFormat {
  static let magic: [UInt8] = Array("ARTPACK\0".utf8)
  static let trailerMagic: [UInt8] = Array("ARTPEND\0".utf8)
  static let recordMagic: UInt32 = 0x4345_5241  // "AREC" read little-endian
  /// The format version this build writes (it reads 1 too).
  public static let version: UInt32 = 2
  /// The version of a pack whose index has `indexVersion`: index format 4
  /// marks a version-2 pack.
  static func version(forIndex indexVersion: UInt32) -> UInt32 { indexVersion >= 4 ? 2 : 1 }
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

  /// What a version-2 pack's id hashes before its entries, so that one
  /// name never stands for packs of both versions.
  static let packIDPrefix: [UInt8] = Array("art-pack-2\n".utf8)

  /// The id of a pack of `version` holding `entries` (sorted by id): the
  /// SHA-256 of their 64-byte entries laid end to end, each its id then its
  /// index entry fields (what a version-1 pack stores as its footer),
  /// after ``packIDPrefix`` for version 2.
  static func packID(of entries: [PackEntry], version: UInt32) -> ObjectID {
    packID(footer: footer(entries), version: version)
  }

  /// The id of a pack of `version` whose entries, laid end to end, are
  /// `footer` (see ``packID(of:version:)``).
  static func packID(footer: [UInt8], version: UInt32) -> ObjectID {
    ObjectHasher.id(of: version == 1 ? footer : packIDPrefix + footer)
  }

  /// The entries laid end to end as a version-1 footer.
  static func footer(_ entries: [PackEntry]) -> [UInt8] {
    var footer = [UInt8](repeating: 0, count: entries.count * entrySize)
    footer.withUnsafeMutableBytes { b in
      for (i, entry) in entries.enumerated() {
        let base = i * entrySize
        entry.id.write(to: UnsafeMutableRawBufferPointer(rebasing: b[base..<base + 32]))
        encodeEntryFields(
          entry, into: UnsafeMutableRawBufferPointer(rebasing: b[base + 32..<base + 64]))
      }
    }
    return footer
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
