import Crypto
import SystemPackage

/// Appends records to one new pack and publishes it with its index.
///
/// The pack is written to `tmp-<pid>-<random>.pack` in the pack folder, then
/// synced and renamed to `pack-<id>.pack`; the index follows the same way and
/// its rename is what makes the pack visible. A crash before that leaves only
/// a temporary file, which nothing reads.
///
/// Used by one task at a time, under the ``ObjectWriter`` lock.
final class PackWriter: @unchecked Sendable {
  // @unchecked: every use is inside `ObjectWriter.state.withLock`, so the
  // mutable buffer and entry list are never touched by two tasks at once.
  let directory: FilePath
  let temporaryPath: FilePath
  private let fd: FileDescriptor
  private var buffer: [UInt8] = []
  private(set) var entries: [PackEntry] = []
  /// Bytes in the pack so far, including buffered ones.
  private(set) var size: UInt64 = UInt64(PackFormat.headerSize)
  private var closed = false

  private static let bufferLimit = 1 << 20

  init(directory: FilePath) throws {
    self.directory = directory
    temporaryPath = directory.appending(
      "tmp-\(Syscalls.processID)-\(UInt64.random(in: 0...UInt64.max)).pack")
    do {
      fd = try FileDescriptor.open(
        temporaryPath, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
        permissions: [.ownerRead, .groupRead, .otherRead, .ownerWrite])
    } catch {
      throw ArtError.io("create", temporaryPath.string, error)
    }
    buffer.reserveCapacity(Self.bufferLimit)
    buffer += PackFormat.magic
    withUnsafeBytes(of: PackFormat.version.littleEndian) { buffer += $0 }
    buffer += [0, 0, 0, 0]
  }

  deinit {
    if !closed { abandon() }
  }

  /// Appends one object's record.
  func append(
    id: ObjectID, kind: ObjectKind, codec: Codec, rawLength: Int, stored: UnsafeRawBufferPointer
  ) throws {
    let entry = PackEntry(
      id: id, offset: size, rawLength: UInt64(rawLength), storedLength: UInt64(stored.count),
      crc: crc32(stored), kind: kind, codec: codec)
    buffer += PackFormat.recordHeader(entry)
    if buffer.count + stored.count > Self.bufferLimit { try flush() }
    if stored.count >= Self.bufferLimit / 2 {
      try writeAll(fd, stored, path: temporaryPath)
    } else {
      buffer += stored
    }
    entries.append(entry)
    size += UInt64(PackFormat.recordHeaderSize + stored.count)
  }

  private func flush() throws {
    if buffer.isEmpty { return }
    try buffer.withUnsafeBytes { (b) throws in try writeAll(fd, b, path: temporaryPath) }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Writes footer and trailer, syncs, and publishes pack and index.
  ///
  /// Returns the pack id, or nil when no object was appended (nothing is
  /// published then).
  func finish() throws -> ObjectID? {
    if entries.isEmpty {
      abandon()
      return nil
    }
    entries.sort { $0.id < $1.id }
    var footer = [UInt8](repeating: 0, count: entries.count * PackFormat.entrySize)
    footer.withUnsafeMutableBytes { b in
      for (i, entry) in entries.enumerated() {
        let base = i * PackFormat.entrySize
        entry.id.write(to: UnsafeMutableRawBufferPointer(rebasing: b[base..<base + 32]))
        PackFormat.encodeEntryFields(
          entry, into: UnsafeMutableRawBufferPointer(rebasing: b[base + 32..<base + 64]))
      }
    }
    let packID = ObjectHasher.id(of: footer)
    let footerOffset = size
    buffer += footer
    var trailer = ByteWriter(capacity: PackFormat.trailerSize)
    trailer.append(UInt64(entries.count))
    trailer.append(footerOffset)
    trailer.append(packID)
    trailer.append(UInt64(0))
    trailer.append(PackFormat.trailerMagic)
    buffer += trailer.bytes
    size += UInt64(footer.count + PackFormat.trailerSize)
    try flush()
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
