import Synchronization
public import SystemPackage

/// One published pack: its mapped index, and the `.pack` file read with
/// `pread` (never mapped, so reading a large pack does not grow the
/// process's resident memory).
///
/// The `.pack` file is opened on first read, so a repository with many packs
/// holds descriptors only for those a command reads.
///
/// Safe to share across tasks: the index is immutable and the descriptor is
/// opened once under a mutex and never closed before deinit.
public final class Pack: Sendable {
  /// The mapped index.
  public let index: PackIndex
  /// The `.pack` file.
  public let path: FilePath
  private let indexPath: FilePath
  private let opened = Mutex<Result<FileDescriptor, ArtError>?>(nil)
  /// ``fileLooksWhole``, once known: 1 whole, 2 not.
  private let wholeness = Atomic<UInt8>(0)
  private let loadedDictionary = Mutex<ZstdDictionary?>(nil)

  /// The pack's id.
  public var id: ObjectID { index.packID }

  /// Maps and checks the index at `indexPath`; the pack itself is opened
  /// and checked on first read.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` or `.unsupportedFormat`
  ///   for a damaged or newer index.
  public init(indexPath: FilePath) throws {
    index = try PackIndex(path: indexPath)
    self.indexPath = indexPath
    var folder = indexPath
    folder.removeLastComponent()
    path = folder.appending(PackFormat.packName(index.packID))
  }

  /// A pack not published yet, at temporary names: what a fetch checks
  /// before it renames the two files into place.
  public init(indexPath: FilePath, packPath: FilePath) throws {
    index = try PackIndex(path: indexPath)
    self.indexPath = indexPath
    path = packPath
  }

  deinit {
    if case .success(let descriptor) = opened.withLock({ $0 }) { try? descriptor.close() }
  }

  /// The open `.pack` file, opened and checked on first use.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` when the pack is missing,
  ///   is not the size its index records (truncated or grown), or has a bad
  ///   header; the same error on every later call.
  func descriptor() throws -> FileDescriptor {
    try opened.withLock { state in
      if state == nil {
        do {
          state = .success(try openAndCheck())
        } catch {
          state = .failure((error as? ArtError) ?? ArtError.io("open", path.string, error))
        }
      }
      guard let state else { throw ArtError.corrupt(path.string, "cannot be opened") }
      return try state.get()
    }
  }

  private func openAndCheck() throws(ArtError) -> FileDescriptor {
    let descriptor: FileDescriptor
    do {
      // Non-blocking: a FIFO in the pack's place must not hang the open
      // (it is refused below); reads of a regular file ignore the flag.
      descriptor = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .nonBlocking])
    } catch {
      if (error as? Errno) == .noSuchFileOrDirectory {
        throw ArtError(
          .corruptData, "pack '\(path)' is missing but its index '\(indexPath)' exists",
          hint: "run 'art fsck -v' to see the versions that need it; 'art fetch REMOTE' "
            + "brings it back if a remote has them, and a commit of the files stores them "
            + "again; once no version needs it, 'art repack' drops its index; commands that "
            + "do not need it still work")
      }
      throw ArtError.io("open", path.string, error)
    }
    do {
      let status = try Syscalls.status(descriptor, path: path)
      guard status.kind == .regular else {
        throw ArtError.corrupt(path.string, "it is not a regular file")
      }
      let size = status.size
      guard UInt64(size) == index.packSize else {
        throw ArtError.corrupt(
          path.string, "it is \(size) bytes but its index says \(index.packSize) (truncated?)")
      }
      var header = [UInt8](repeating: 0, count: PackFormat.headerSize)
      try header.withUnsafeMutableBytes { b in
        try readExactly(descriptor, at: 0, into: b, path: path)
      }
      guard header.prefix(8).elementsEqual(PackFormat.magic),
        header[12..<16].allSatisfy({ $0 == 0 })
      else {
        throw ArtError.corrupt(path.string, "bad header")
      }
      let version = header.withUnsafeBytes { $0.littleEndian(at: 8, as: UInt32.self) }
      // A newer pack comes with a newer index, which was refused already.
      let expected = PackFormat.version(forIndex: index.version)
      guard version == expected else {
        throw ArtError.corrupt(
          path.string,
          "its header says pack format \(version), but its index (format \(index.version)) "
            + "is for pack format \(expected)")
      }
      return descriptor
    } catch {
      try? descriptor.close()
      throw (error as? ArtError) ?? ArtError.io("read", path.string, error)
    }
  }

  /// Checks that the `.pack` file is there, the size its index records,
  /// with a sound header (what every read checks first).
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming the pack.
  public func checkFile() throws {
    _ = try descriptor()
  }

  /// Whether the `.pack` file is a regular file of the size its index
  /// records: what an object a writer skips must be in (a deleted or cut
  /// short pack leaves an index that still lists its objects).
  ///
  /// One `stat`, once per process; it opens nothing, so it holds no
  /// descriptor. The header is checked by reads.
  public var fileLooksWhole: Bool {
    switch wholeness.load(ordering: .relaxed) {
    case 1: return true
    case 2: return false
    default:
      let status = try? Syscalls.fileStatus(path)
      let whole = status.map { $0.kind == .regular && UInt64($0.size) == index.packSize } ?? false
      wholeness.store(whole ? 1 : 2, ordering: .relaxed)
      return whole
    }
  }

  /// Reads, decompresses and verifies the object at `entry`.
  ///
  /// Checks the record header against the index, the decoded length, and
  /// the SHA-256 of the result against the id (a chunk list's id is its
  /// file's hash, which is checked as the file is read).
  ///
  /// Without `verifyingHash` the SHA-256 is left to the caller, who must
  /// check the bytes some other way before using them (checkout hashes a
  /// chunked file whole before the file gets its name).
  ///
  /// The CRC-32 of the stored bytes is not checked here: the SHA-256 of
  /// the result covers every byte, and the decoders are bounded by the raw
  /// length whatever they are fed. Copies of stored bytes, which are not
  /// decoded, check it (``readStored(_:)``, ``checkRecord(_:_:subject:)``);
  /// dropping it here took a sixth of checkout's CPU time.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming this pack and the id.
  public func read(_ entry: PackEntry, verifyingHash: Bool = true) throws -> [UInt8] {
    let subject =
      "\(path.string)' \(entry.kind == .dictionary ? "dictionary" : "object") '\(entry.id)"
    try checkBounds(entry, subject: subject)
    let file = try descriptor()
    let headerSize = PackFormat.recordHeaderSize
    // A small record (a version record, a manifest) is read with its
    // header in one call: a history's records cost one `pread` each.
    if entry.storedLength <= 64 << 10 {
      let record = try [UInt8](unsafeUninitializedCapacity: headerSize + Int(entry.storedLength)) {
        buffer, count in
        try readExactly(
          file, at: Int64(entry.offset), into: UnsafeMutableRawBufferPointer(buffer), path: path)
        count = buffer.count
      }
      guard record[..<headerSize].elementsEqual(PackFormat.recordHeader(entry)) else {
        throw ArtError.corrupt(subject, "its record header does not match the index")
      }
      return try record.withUnsafeBytes {
        try Self.decoded(
          entry, UnsafeRawBufferPointer(rebasing: $0[headerSize...]), subject: subject,
          verifyingHash: verifyingHash,
          dictionary: entry.codec == .zstdDictionary ? try self.dictionary() : nil,
          rescue: rescueDictionary(for: entry)
        ).raw
      }
    }
    var header = [UInt8](repeating: 0, count: headerSize)
    try header.withUnsafeMutableBytes { (b) throws in
      try readExactly(file, at: Int64(entry.offset), into: b, path: path)
    }
    guard header == PackFormat.recordHeader(entry) else {
      throw ArtError.corrupt(subject, "its record header does not match the index")
    }
    let storedOffset = Int64(entry.offset) + Int64(PackFormat.recordHeaderSize)
    // Read straight into the result when it is stored raw: no copy, no
    // zero fill.
    let stored = try [UInt8](unsafeUninitializedCapacity: Int(entry.storedLength)) {
      buffer, count in
      try readExactly(
        file, at: storedOffset, into: UnsafeMutableRawBufferPointer(buffer), path: path)
      count = buffer.count
    }
    // A raw record of the right length is the object itself; any other
    // goes through the codec, which refuses a length mismatch.
    if entry.codec == .none && entry.storedLength == entry.rawLength {
      return try Self.checked(entry, stored, subject: subject, verifyingHash: verifyingHash)
    }
    let dictionary = entry.codec == .zstdDictionary ? try self.dictionary() : nil
    return try stored.withUnsafeBytes {
      try Self.decoded(
        entry, $0, subject: subject, verifyingHash: verifyingHash, dictionary: dictionary,
        rescue: rescueDictionary(for: entry)
      ).raw
    }
  }

  /// Whether plain zstd records of this pack may have been compressed
  /// against its dictionary.
  ///
  /// Only packs of index format 3 may, which the build of 2026-11-30 wrote
  /// (see ``decoded(_:_:subject:verifyingHash:dictionary:rescue:)``); packs
  /// of index format 4 never hold such records.
  public var mayHoldMislabelledRecords: Bool { index.version == 3 }

  /// The dictionary to read `entry` against should it fail as labelled: this
  /// pack's, for a plain zstd record when ``mayHoldMislabelledRecords``;
  /// nil otherwise, or when the dictionary is damaged (then the record
  /// reads as labelled or not at all).
  func rescueDictionary(for entry: PackEntry) -> ZstdDictionary? {
    guard entry.codec == .zstd, mayHoldMislabelledRecords else { return nil }
    return try? dictionary()
  }

  /// Whether the plain zstd record at `entry` was in fact compressed against
  /// this pack's dictionary.
  ///
  /// False when it decodes as labelled, and at once for any record not of
  /// a pack that ``mayHoldMislabelledRecords``; otherwise it costs a read,
  /// a decode and a hash of the record.
  ///
  /// - Throws: ``ArtError`` `.corruptData` when it decodes neither way.
  public func isMislabelled(_ entry: PackEntry) throws -> Bool {
    guard entry.codec == .zstd, mayHoldMislabelledRecords else { return false }
    let subject = "\(path.string)' object '\(entry.id)"
    let stored = try readStored(entry)
    return try stored.withUnsafeBytes {
      try Self.decoded(
        entry, $0, subject: subject, verifyingHash: true, dictionary: nil,
        rescue: rescueDictionary(for: entry)
      ).rescued
    }
  }

  /// The raw object of a record's stored bytes: exactly its raw length, and
  /// hashing to its id when `verifyingHash` or when `rescue` is given.
  ///
  /// `dictionary` is the pack's, for a codec-4 record. `rescue` is the
  /// pack's dictionary for a plain zstd record of a pack that may hold
  /// mislabelled ones: the build of 2026-11-30, after a small object that
  /// did not shrink, kept the dictionary attached to its compressor and
  /// compressed the next object against it while labelling it plain zstd.
  /// Such a record, failing as labelled, is decoded again against `rescue`
  /// and kept only if it hashes to its id; `rescued` says so.
  ///
  /// - Throws: the error of the labelled decoding when both fail.
  public static func decoded(
    _ entry: PackEntry, _ stored: UnsafeRawBufferPointer, subject: String, verifyingHash: Bool,
    dictionary: ZstdDictionary?, rescue: ZstdDictionary?
  ) throws -> (raw: [UInt8], rescued: Bool) {
    do {
      let raw = try decompressed(entry, stored, subject: subject, dictionary: dictionary)
      let checked = try checked(
        entry, raw, subject: subject, verifyingHash: verifyingHash || rescue != nil)
      return (checked, false)
    } catch {
      guard entry.codec == .zstd, let rescue else { throw error }
      var relabelled = entry
      relabelled.codec = .zstdDictionary
      guard
        let raw = try? checked(
          entry, decompressed(relabelled, stored, subject: subject, dictionary: rescue),
          subject: subject, verifyingHash: true)
      else { throw error }
      return (raw, true)
    }
  }

  /// The pack's zstd dictionary, read, checked against its id and digested
  /// on first use.
  ///
  /// - Throws: ``ArtError`` `.corruptData` naming the pack when it has no
  ///   dictionary entry, or that entry does not read as one.
  public func dictionary() throws -> ZstdDictionary {
    if let loaded = loadedDictionary.withLock({ $0 }) { return loaded }
    guard let position = index.dictionaryPosition else {
      throw ArtError.corrupt(path.string, "it has records compressed against a dictionary but none")
    }
    // The index entry is checked to be raw and at most 64 KiB.
    let entry = try index.entry(at: position)
    let dictionary = try ZstdDictionary(
      bytes: read(entry), id: entry.id, subject: "\(path.string)' dictionary '\(entry.id)")
    loadedDictionary.withLock { $0 = $0 ?? dictionary }
    return dictionary
  }

  /// The raw object decoded from its stored bytes, exactly its raw length.
  static func decompressed(
    _ entry: PackEntry, _ stored: UnsafeRawBufferPointer, subject: String,
    dictionary: ZstdDictionary?
  ) throws -> [UInt8] {
    try [UInt8](unsafeUninitializedCapacity: Int(entry.rawLength)) { buffer, count in
      try entry.codec.decompress(
        stored, into: UnsafeMutableRawBufferPointer(buffer), subject: subject,
        dictionary: dictionary)
      count = buffer.count
    }
  }

  /// `raw`, once it starts with its kind's magic number and its SHA-256 is
  /// the id (unless not `verifyingHash`; a chunk list's id is its file's
  /// hash, checked when the file is).
  static func checked(
    _ entry: PackEntry, _ raw: [UInt8], subject: String, verifyingHash: Bool
  ) throws -> [UInt8] {
    guard verifyingHash else { return raw }
    if let magic = entry.kind.magic, !raw.starts(with: magic) {
      throw ArtError.corrupt(subject, "it is no \(entry.kind): it lacks the magic number")
    }
    if entry.kind == .chunkList { return raw }
    let id = entry.kind == .dictionary ? ZstdDictionary.id(of: raw) : ObjectHasher.id(of: raw)
    if id != entry.id {
      throw ArtError.corrupt(subject, "its content does not hash to its id")
    }
    return raw
  }

  /// Decompresses a record read from elsewhere (a remote's pack): checks
  /// its header and CRC-32 against `entry`, and the SHA-256 of the result
  /// against the id unless `verifyingHash` is false or it is a chunk list.
  ///
  /// - Parameters:
  ///   - entry: the object's index entry.
  ///   - record: the record header and stored bytes.
  ///   - subject: names the object in errors.
  ///   - verifyingHash: whether to hash the result.
  ///   - dictionary: the dictionary of the record's pack, for a
  ///     ``Codec/zstdDictionary`` record; for a plain zstd one only when
  ///     its pack ``mayHoldMislabelledRecords``, to read it against
  ///     should it fail as labelled.
  /// - Returns: the raw object.
  /// - Throws: ``ArtError`` with code `.corruptData` naming `subject`.
  public static func decode(
    _ entry: PackEntry, record: UnsafeRawBufferPointer, subject: String, verifyingHash: Bool = true,
    dictionary: ZstdDictionary? = nil
  ) throws -> [UInt8] {
    try checkRecord(entry, record, subject: subject)
    return try decoded(
      entry, UnsafeRawBufferPointer(rebasing: record[PackFormat.recordHeaderSize...]),
      subject: subject, verifyingHash: verifyingHash,
      dictionary: entry.codec == .zstdDictionary ? dictionary : nil,
      rescue: entry.codec == .zstd ? dictionary : nil
    ).raw
  }

  /// Checks a record's header and the CRC-32 of its stored bytes against
  /// `entry`.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming `subject`.
  public static func checkRecord(
    _ entry: PackEntry, _ record: UnsafeRawBufferPointer, subject: String
  ) throws {
    guard record.count == PackFormat.recordHeaderSize + Int(entry.storedLength),
      record.prefix(PackFormat.recordHeaderSize).elementsEqual(PackFormat.recordHeader(entry))
    else {
      throw ArtError.corrupt(subject, "its record header does not match the index")
    }
    guard
      crc32(UnsafeRawBufferPointer(rebasing: record[PackFormat.recordHeaderSize...])) == entry.crc
    else {
      throw ArtError.corrupt(subject, "its stored bytes fail their CRC-32 check")
    }
  }

  /// The stored (possibly compressed) bytes of `entry`, without its record
  /// header, with the header and the CRC-32 checked: what
  /// ``ObjectWriter/copy(_:from:)`` copies into a new pack unchanged.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming this pack and the id.
  func readStored(_ entry: PackEntry) throws -> [UInt8] {
    let subject = "\(path.string)' object '\(entry.id)"
    return Array(try readStored(entry, subject: subject)[PackFormat.recordHeaderSize...])
  }

  /// The record header and stored bytes of `entry`, with the header and the
  /// stored bytes' CRC checked.
  func readStored(_ entry: PackEntry, subject: String) throws -> [UInt8] {
    try checkBounds(entry, subject: subject)
    var bytes = [UInt8](
      repeating: 0, count: PackFormat.recordHeaderSize + Int(entry.storedLength))
    try bytes.withUnsafeMutableBytes { (b) throws in
      try readExactly(descriptor(), at: Int64(entry.offset), into: b, path: path)
    }
    try bytes.withUnsafeBytes { try Self.checkRecord(entry, $0, subject: subject) }
    return bytes
  }

  /// The object `entry`, checked as `verify-pack` checks it: record
  /// header, CRC-32 of the stored bytes, decoded length and SHA-256.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming this pack and the id.
  public func readChecked(_ entry: PackEntry) throws -> [UInt8] {
    let subject = "\(path.string)' object '\(entry.id)"
    // A plain zstd record of an older pack is read against the pack's
    // dictionary should it fail as labelled, as reads do.
    let dictionary = entry.codec == .zstdDictionary ? try self.dictionary() : nil
    return try readStored(entry, subject: subject).withUnsafeBytes {
      try Self.decoded(
        entry, UnsafeRawBufferPointer(rebasing: $0[PackFormat.recordHeaderSize...]),
        subject: subject, verifyingHash: true, dictionary: dictionary,
        rescue: rescueDictionary(for: entry)
      ).raw
    }
  }

  /// Checks that the record of `entry` lies inside the pack, before its
  /// trailer.
  private func checkBounds(_ entry: PackEntry, subject: String) throws {
    // Each term is bounded first, so the sum cannot overflow.
    guard entry.storedLength <= PackFormat.maximumObjectSize,
      entry.rawLength <= PackFormat.maximumObjectSize,
      entry.offset >= UInt64(PackFormat.headerSize), entry.offset <= index.packSize,
      entry.offset + UInt64(PackFormat.recordHeaderSize) + entry.storedLength
        + UInt64(PackFormat.trailerSize) <= index.packSize
    else {
      throw ArtError.corrupt(subject, "its index entry points outside the pack")
    }
  }
}
