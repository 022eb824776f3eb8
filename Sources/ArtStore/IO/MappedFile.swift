public import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file that art wrote and never
/// changes (a pack index); a small file is read into memory instead.
///
/// Never map working-folder files: another program may truncate them and a
/// read past the new end raises SIGBUS.
public final class MappedFile: @unchecked Sendable {
  // @unchecked: the only stored state is an immutable, read-only mapping (or
  // buffer) and its length, set once in init and released in deinit.
  /// The file that is mapped.
  public let path: FilePath
  private let base: UnsafeMutableRawPointer?
  /// The file's length in bytes.
  public let count: Int
  /// Whether `base` is a buffer of ours rather than a mapping.
  private let isRead: Bool

  /// Files up to this size are read, not mapped: a command that opens a
  /// thousand small indexes (a remote's, one per push) saves the page faults
  /// and the unmapping.
  static let readLimit = 256 << 10

  /// Maps the file at `path`, or reads it when it is at most ``readLimit``.
  ///
  /// - Throws: ``ArtError`` with code `.io` when the file cannot be opened,
  ///   read or mapped, `.corruptData` when it is shorter than its size.
  public init(path: FilePath) throws {
    self.path = path
    let fd: FileDescriptor
    do {
      // Non-blocking, so a FIFO in its place cannot hang the open.
      fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .nonBlocking])
    } catch {
      throw ArtError.io("open", path.string, error)
    }
    defer { try? fd.close() }
    let status = try Syscalls.status(fd, path: path)
    guard status.kind == .regular else {
      throw ArtError.corrupt(path.string, "it is not a regular file")
    }
    let size = status.size
    count = Int(size)
    isRead = count <= Self.readLimit
    if count == 0 {
      base = nil
      return
    }
    if isRead {
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
      do {
        var done = 0
        while done < count {
          let read = try fd.read(
            fromAbsoluteOffset: Int64(done),
            into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
          // The file is art's and never changes: shorter than its size is damage.
          guard read > 0 else { throw ArtError.corrupt(path.string, "it ended while it was read") }
          done += read
        }
      } catch {
        buffer.deallocate()
        throw (error as? ArtError) ?? ArtError.io("read", path.string, error)
      }
      base = buffer.baseAddress
      return
    }
    let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd.rawValue, 0)
    if mapped == MAP_FAILED {
      throw ArtError.io("map", path.string, Errno(rawValue: errno))
    }
    base = mapped
  }

  deinit {
    guard let base else { return }
    if isRead { base.deallocate() } else { munmap(base, count) }
  }

  /// Calls `body` with the mapped bytes; the pointer must not escape.
  public func withUnsafeBytes<R, E: Error>(
    _ body: (UnsafeRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    try body(UnsafeRawBufferPointer(start: base, count: count))
  }
}
