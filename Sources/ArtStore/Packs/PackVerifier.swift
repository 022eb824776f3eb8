import Dispatch
import Synchronization
import SystemPackage

/// What ``Pack/verify(checkedElsewhere:each:)`` found in a sound pack.
public struct PackReport: Sendable {
  /// The pack's id.
  public var packID: ObjectID
  /// Objects in the pack.
  public var objects = 0
  /// Objects by kind.
  public var objectsByKind: [ObjectKind: Int] = [:]
  /// Sum of raw lengths.
  public var rawBytes: UInt64 = 0
  /// Sum of stored lengths.
  public var storedBytes: UInt64 = 0
  /// Size of the `.pack` file.
  public var packBytes: UInt64 = 0
}

extension Pack {
  /// Checks everything about this pack: the index checksum and order, the
  /// trailer (and a version-1 pack's footer) against the index, that the
  /// index entries hash to the pack id, that records tile the file, and
  /// every object's header, CRC, decoded length and SHA-256 (but those of
  /// `checkedElsewhere`).
  ///
  /// Without `decoding`, records are checked only to their header and
  /// CRC-32 (what a copy of the stored bytes checks).
  ///
  /// Calls `each` for every object, in pack order, once it is verified.
  /// Objects in `checkedElsewhere` are only placed (offset and length) and
  /// then passed to `each`: the caller reads each of them with
  /// ``readChecked(_:)`` (a fetch, as it checks the chunk lists that name
  /// them).
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming the pack and the
  ///   first bad object.
  public func verify(
    checkedElsewhere: Set<ObjectID> = [], decoding: Bool = true,
    each: (PackEntry) -> Void = { _ in }
  ) throws -> PackReport {
    try index.verifyChecksum()
    let descriptor = try descriptor()
    let packSize = index.packSize
    guard packSize >= UInt64(PackFormat.headerSize + PackFormat.trailerSize) else {
      throw ArtError.corrupt(path.string, "too short for a pack")
    }
    var trailer = [UInt8](repeating: 0, count: PackFormat.trailerSize)
    try trailer.withUnsafeMutableBytes { (b) throws in
      try readExactly(
        descriptor, at: Int64(packSize) - Int64(PackFormat.trailerSize), into: b,
        path: path)
    }
    var reader = ByteReader(trailer, subject: self.path.string)
    let count = try reader.uint64()
    // Where the records end: the footer of a version-1 pack, the trailer
    // of a version-2 one.
    let recordsEnd = try reader.uint64()
    let trailerPackID = try reader.objectID()
    let reserved = try reader.uint64()
    guard try reader.bytes(8) == PackFormat.trailerMagic, reserved == 0 else {
      throw ArtError.corrupt(path.string, "bad trailer magic number")
    }
    // A version-1 pack stores its entries again as a footer; version 2
    // only commits to them, through the pack id in its trailer.
    let version = PackFormat.version(forIndex: index.version)
    guard count == UInt64(index.count), trailerPackID == index.packID, recordsEnd <= packSize,
      packSize - recordsEnd
        == (version == 1 ? count * UInt64(PackFormat.entrySize) : 0)
        + UInt64(PackFormat.trailerSize)
    else {
      throw ArtError.corrupt(path.string, "its trailer does not match its index")
    }
    var entries: [PackEntry] = []
    entries.reserveCapacity(index.count)
    for position in 0..<index.count { entries.append(try index.entry(at: position)) }
    let expected = PackFormat.footer(entries)
    if version == 1 {
      // The footer, read back, must be these entries.
      var footer = [UInt8](repeating: 0, count: expected.count)
      try footer.withUnsafeMutableBytes { (b) throws in
        try readExactly(descriptor, at: Int64(recordsEnd), into: b, path: path)
      }
      guard ObjectHasher.id(of: footer) == index.packID else {
        throw ArtError.corrupt(path.string, "its footer does not hash to the pack id")
      }
      if let position = (0..<index.count).first(where: {
        let range = $0 * PackFormat.entrySize..<($0 + 1) * PackFormat.entrySize
        return !footer[range].elementsEqual(expected[range])
      }) {
        throw ArtError.corrupt(path.string, "footer entry \(position) does not match the index")
      }
    }
    guard PackFormat.packID(footer: expected, version: version) == index.packID else {
      throw ArtError.corrupt(path.string, "its index entries do not hash to the pack id")
    }
    entries.sort { $0.offset < $1.offset }
    var report = PackReport(packID: index.packID)
    report.packBytes = packSize
    var expectedOffset = UInt64(PackFormat.headerSize)
    for entry in entries {
      guard entry.offset == expectedOffset else {
        throw ArtError.corrupt(
          path.string, "object \(entry.id) is at offset \(entry.offset), expected \(expectedOffset)"
        )
      }
      expectedOffset = entry.offset + UInt64(PackFormat.recordHeaderSize) + entry.storedLength
      report.objects += 1
      report.objectsByKind[entry.kind, default: 0] += 1
      report.rawBytes += entry.rawLength
      report.storedBytes += entry.storedLength
    }
    guard expectedOffset == recordsEnd else {
      throw ArtError.corrupt(path.string, "bytes between the last object and the trailer or footer")
    }
    try checkRecords(entries.filter { !checkedElsewhere.contains($0.id) }, decoding: decoding)
    for entry in entries { each(entry) }
    return report
  }

  /// Reads every record of `entries` (in pack order) with
  /// ``readChecked(_:)`` (without `decoding`, ``readStored(_:)``), on every
  /// core; throws the error of the first one, in that order, that fails.
  private func checkRecords(_ entries: [PackEntry], decoding: Bool) throws {
    let next = Atomic<Int>(0)
    let failure = Mutex<(position: Int, error: any Error)?>(nil)
    DispatchQueue.concurrentPerform(iterations: min(Syscalls.processorCount, entries.count)) { _ in
      while true {
        let position = next.add(1, ordering: .relaxed).oldValue
        // Positions are claimed in order: every one before a failure is
        // still checked, so the first failure is the one reported.
        guard position < entries.count,
          failure.withLock({ $0.map { position < $0.position } ?? true })
        else { return }
        do {
          if decoding {
            _ = try readChecked(entries[position])
            if entries[position].kind == .dictionary { _ = try dictionary() }
          } else {
            _ = try readStored(entries[position])
          }
        } catch {
          failure.withLock {
            if $0.map({ position < $0.position }) ?? true { $0 = (position, error) }
          }
        }
      }
    }
    if let failure = failure.withLock({ $0 }) { throw failure.error }
  }
}
