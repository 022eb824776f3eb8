public import SystemPackage

/// Durable, all-or-nothing replacement of small files (config, refs).
public enum AtomicFile {
  /// What a temporary file's name has between the file's and `PID-N`.
  static let temporaryMarker = ".tmp-"

  /// Whether `name` is one of ``write(_:to:durable:)``'s temporary files,
  /// `NAME.tmp-PID-N`: what a write interrupted by a crash leaves.
  public static func isTemporaryName(_ name: String) -> Bool {
    // The last two `-`-separated parts are PID and N, after `NAME.tmp`.
    let parts = name.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
    guard parts.count >= 3,
      parts.suffix(2).allSatisfy({ !$0.isEmpty && $0.allSatisfy { (0x30...0x39).contains($0) } })
    else { return false }
    let stem = name.utf8.dropLast(parts.suffix(2).reduce(2) { $0 + $1.count })
    let suffix = temporaryMarker.utf8.dropLast()  // ".tmp"
    return stem.count > suffix.count && stem.suffix(suffix.count).elementsEqual(suffix)
  }

  /// Writes `bytes` to a temporary file beside `path`, syncs it, renames it
  /// over `path` and syncs the folder: readers see the old or the new content,
  /// never a mix, and after return the new content survives a crash.
  ///
  /// Without `durable` the syncs are left out (for caches, whose content
  /// is checked when read): still all-or-nothing, but a crash may lose it.
  ///
  /// - Throws: ``ArtError`` with code `.io`; `path` is then unchanged.
  public static func write(_ bytes: [UInt8], to path: FilePath, durable: Bool = true) throws {
    var folder = path
    folder.removeLastComponent()
    let temporary = FilePath(
      path.string + "\(temporaryMarker)\(Syscalls.processID)-\(UInt32.random(in: 0...UInt32.max))")
    let fd: FileDescriptor
    do {
      fd = try FileDescriptor.open(
        temporary, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
        permissions: [.ownerReadWrite, .groupRead, .otherRead])
    } catch {
      throw ArtError.io("create", temporary.string, error)
    }
    do {
      try bytes.withUnsafeBytes { (buffer) throws in
        try writeAll(fd, buffer, path: temporary)
      }
      if durable { try Syscalls.sync(fd, path: temporary) }
      try? fd.close()
      try Syscalls.rename(temporary, to: path)
      if durable { try Syscalls.syncDirectory(folder.isEmpty ? "." : folder) }
    } catch {
      try? fd.close()
      try? Syscalls.unlink(temporary)
      throw error
    }
  }

  /// Reads a whole small file, or returns nil if it does not exist.
  public static func read(_ path: FilePath, limit: Int = 64 << 20) throws -> [UInt8]? {
    let fd: FileDescriptor
    do {
      // Without blocking: a FIFO put where a file belongs (on a folder
      // remote, say) must not hang the command.
      fd = try FileDescriptor.open(
        path, .readOnly, options: [.closeOnExec, .nonBlocking, .noControllingTerminal])
    } catch {
      if (error as? Errno) == .noSuchFileOrDirectory { return nil }
      throw ArtError.io("open", path.string, error)
    }
    defer { try? fd.close() }
    let status = try Syscalls.status(fd, path: path)
    guard status.kind == .regular else {
      throw ArtError.corrupt(path.string, "it is not a regular file")
    }
    return try readAll(fd, name: path.string, limit: limit, size: Int(status.size))
  }

  /// Reads what is left of the open file `fd` (`name` in messages).
  ///
  /// `size`, what fstat gave (0 when unknown), is a hint: that many bytes
  /// are read straight into the array (a file of megabytes is not copied
  /// chunk by chunk) unless it is over `limit`; fewer mean the file shrank
  /// since, and what it grew by is read after them.
  ///
  /// - Throws: ``ArtError`` `.corruptData` past `limit` bytes, `.io`.
  package static func readAll(_ fd: FileDescriptor, name: String, limit: Int, size: Int = 0)
    throws -> [UInt8]
  {
    var source = FileSource(descriptor: fd, name: name)
    var result: [UInt8] = []
    if size > 0, size <= limit {
      result = try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        initialized = try source.readFully(into: UnsafeMutableRawBufferPointer(buffer))
      }
      if result.count < size { return result }
    }
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let count = try chunk.withUnsafeMutableBytes { (b) throws in try source.read(into: b) }
      if count == 0 { return result }
      result += chunk[0..<count]
      if result.count > limit {
        throw ArtError.corrupt(name, "it is larger than the \(limit) bytes art reads")
      }
    }
  }
}
