import Crypto
import SystemPackage

/// Appends records to one new pack and publishes it with its index.
///
/// The pack is written to `tmp-<pid>-<random>.pack` in the pack folder, then
/// synced and renamed to `pack-<id>.pack`; the index follows the same way and
/// its rename is what makes the pack visible. A crash before that leaves only
/// a temporary file, which nothing reads.
///
/// The file is written as aligned 1 MiB blocks with `O_DIRECT` where the file
/// system allows it (buffered otherwise): pack data is not read back soon, and
/// skipping the page cache saves copying every byte once more. Records are
/// placed under the ``ObjectWriter`` lock; a block that fills up is handed
/// back as a ``PendingWrite`` for the caller to write *outside* the lock, and
/// then returns to a pool, so the same few buffers are reused.
final class PackWriter: @unchecked Sendable {
  // @unchecked: every mutable property is used only under
  // `ObjectWriter.state.withLock`; `write(_:)` runs outside it and touches
  // only the immutable descriptor and the block it was handed.
  let directory: FilePath
  let temporaryPath: FilePath
  private let fd: FileDescriptor
  /// Whether `fd` was opened with O_DIRECT.
  let isDirect: Bool
  private var block: UnsafeMutableRawBufferPointer
  /// Index of `block` in the file (its offset is `blockIndex * blockSize`).
  private var blockIndex: UInt64 = 0
  private var blockFill = 0
  private var freeBlocks: [UnsafeMutableRawBufferPointer] = []
  private(set) var entries: [PackEntry] = []
  /// The id of the dictionary record this pack holds, once appended.
  var dictionary: ObjectID?
  /// Bytes in the pack so far, including buffered and in-flight ones.
  private(set) var size: UInt64 = 0
  /// Pending writes handed out and not yet completed.
  private(set) var inFlight = 0
  private var closed = false

  static let blockSize = 1 << 20
  static let alignment = 4096

  /// One full block to write at its offset, outside the writer's lock.
  struct PendingWrite: @unchecked Sendable {
    // @unchecked: the block belongs to this write alone until
    // `PackWriter.completed(_:)` takes it back.
    let pack: PackWriter
    let offset: UInt64
    let block: UnsafeMutableRawBufferPointer
  }

  init(directory: FilePath) throws {
    self.directory = directory
    temporaryPath = directory.appending(
      "tmp-\(Syscalls.processID)-\(UInt64.random(in: 0...UInt64.max)).pack")
    (fd, isDirect) = try Syscalls.createForDirectWriting(temporaryPath)
    block = Self.allocateBlock()
    var header = ByteWriter(capacity: PackFormat.headerSize)
    header.append(PackFormat.magic)
    header.append(PackFormat.version)
    header.append(UInt32(0))
    _ = header.bytes.withUnsafeBytes { append(bytes: $0) }
  }

  deinit {
    if !closed { abandon() }
    block.deallocate()
    for free in freeBlocks { free.deallocate() }
  }

  private static func allocateBlock() -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: alignment)
  }

  /// Gives one object's record its offset and copies it into blocks.
  ///
  /// Returns the blocks it filled; the caller must ``write(_:)`` each and
  /// then call ``completed(_:)`` under the lock.
  func append(
    id: ObjectID, kind: ObjectKind, codec: Codec, rawLength: Int, stored: UnsafeRawBufferPointer
  ) -> [PendingWrite] {
    let entry = PackEntry(
      id: id, offset: size, rawLength: UInt64(rawLength), storedLength: UInt64(stored.count),
      crc: crc32(stored), kind: kind, codec: codec)
    entries.append(entry)
    var pending = PackFormat.recordHeader(entry).withUnsafeBytes { append(bytes: $0) }
    pending += append(bytes: stored)
    return pending
  }

  private func append(bytes: UnsafeRawBufferPointer) -> [PendingWrite] {
    var pending: [PendingWrite] = []
    var done = 0
    while done < bytes.count {
      let count = min(bytes.count - done, Self.blockSize - blockFill)
      if let source = bytes.baseAddress, let target = block.baseAddress {
        (target + blockFill).copyMemory(from: source + done, byteCount: count)
      }
      blockFill += count
      done += count
      if blockFill == Self.blockSize {
        pending.append(
          PendingWrite(pack: self, offset: blockIndex * UInt64(Self.blockSize), block: block))
        inFlight += 1
        block = freeBlocks.popLast() ?? Self.allocateBlock()
        blockIndex += 1
        blockFill = 0
      }
    }
    size += UInt64(bytes.count)
    return pending
  }

  /// Writes a full block at its offset; safe outside the lock.
  func write(_ pending: PendingWrite) throws {
    try writeAt(pending.offset, UnsafeRawBufferPointer(pending.block))
  }

  private func writeAt(_ offset: UInt64, _ bytes: UnsafeRawBufferPointer) throws {
    var done = 0
    while done < bytes.count {
      do {
        done += try fd.write(
          toAbsoluteOffset: Int64(offset) + Int64(done),
          UnsafeRawBufferPointer(rebasing: bytes[done...]))
      } catch {
        throw ArtError.io("write", temporaryPath.string, error)
      }
    }
  }

  /// Takes back the block of a finished write (under the lock).
  func completed(_ pending: PendingWrite) {
    inFlight -= 1
    freeBlocks.append(pending.block)
  }

  /// Writes the last blocks and the trailer, syncs, and publishes pack
  /// and index.
  ///
  /// Call only when no write is in flight.
  ///
  /// Returns the pack id, or nil when no object was appended (nothing is
  /// published then).
  func finish() throws -> ObjectID? {
    precondition(inFlight == 0, "finish() while writes are in flight")  // ObjectWriter waits
    if entries.isEmpty {
      abandon()
      return nil
    }
    entries.sort { $0.id < $1.id }
    // The pack id commits to every entry; the index holds them, so the
    // pack does not again (format 2: no footer).
    let packID = PackFormat.packID(of: entries, version: PackFormat.version)
    var trailer = ByteWriter(capacity: PackFormat.trailerSize)
    trailer.append(UInt64(entries.count))
    trailer.append(size)
    trailer.append(packID)
    trailer.append(UInt64(0))
    trailer.append(PackFormat.trailerMagic)
    let pending = trailer.bytes.withUnsafeBytes { append(bytes: $0) }
    for write in pending {
      try self.write(write)
      completed(write)
    }
    if blockFill > 0 {
      // O_DIRECT writes whole aligned blocks; the padding is cut off after.
      let aligned = (blockFill + Self.alignment - 1) / Self.alignment * Self.alignment
      let length = isDirect ? aligned : blockFill
      if length > blockFill, let target = block.baseAddress {
        (target + blockFill).initializeMemory(
          as: UInt8.self, repeating: 0, count: length - blockFill)
      }
      try writeAt(
        blockIndex * UInt64(Self.blockSize),
        UnsafeRawBufferPointer(rebasing: block[0..<length]))
      if length > blockFill { try Syscalls.truncate(fd, to: size, path: temporaryPath) }
    }
    try Syscalls.sync(fd, path: temporaryPath)
    try? fd.close()
    closed = true

    let packPath = directory.appending(PackFormat.packName(packID))
    let indexPath = directory.appending(PackFormat.indexName(packID))
    if (try? Syscalls.linkStatus(indexPath)) != nil {
      // The same objects at the same offsets are already published.
      try Syscalls.unlink(temporaryPath)
      return packID
    }
    do {
      try Syscalls.rename(temporaryPath, to: packPath)
      let index = PackIndexWriter.encode(entries: entries, packID: packID, packSize: size)
      let indexTemporary = directory.appending(
        "tmp-\(Syscalls.processID)-\(UInt64.random(in: 0...UInt64.max)).idx")
      try writeNewFile(index, at: indexTemporary)
      try Syscalls.rename(indexTemporary, to: indexPath)
      try Syscalls.syncDirectory(directory)
    } catch {
      try? Syscalls.unlink(temporaryPath)
      throw error
    }
    return packID
  }

  /// Deletes the temporary pack.
  func abandon() {
    if !closed {
      try? fd.close()
      closed = true
    }
    try? Syscalls.unlink(temporaryPath)
  }
}

/// Creates `path` (which must not exist) holding `bytes`, synced.
func writeNewFile(_ bytes: [UInt8], at path: FilePath) throws {
  let fd: FileDescriptor
  do {
    fd = try FileDescriptor.open(
      path, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
      permissions: [.ownerRead, .groupRead, .otherRead, .ownerWrite])
  } catch {
    throw ArtError.io("create", path.string, error)
  }
  defer { try? fd.close() }
  do {
    try bytes.withUnsafeBytes { (b) throws in try writeAll(fd, b, path: path) }
    try Syscalls.sync(fd, path: path)
  } catch {
    try? Syscalls.unlink(path)
    throw error
  }
}
