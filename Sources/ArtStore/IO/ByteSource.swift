public import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something that yields bytes in order: an open file or standard input.
public protocol ByteSource {
  /// A name for messages: the path, or `<stdin>`.
  var name: String { get }
  /// Reads up to `buffer.count` bytes; returns 0 only at the end.
  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a file from the start with `read(2)`; never maps it.
public struct FileSource: ByteSource {
  /// The descriptor read from; owned by the caller.
  public let descriptor: FileDescriptor
  public let name: String

  /// Wraps an open descriptor.
  public init(descriptor: FileDescriptor, name: String) {
    self.descriptor = descriptor
    self.name = name
  }

  /// Standard input.
  public static var standardInput: FileSource {
    FileSource(descriptor: .standardInput, name: "<stdin>")
  }

  public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    do {
      return try descriptor.read(into: buffer, retryOnInterrupt: true)
    } catch {
      throw ArtError.io("read", name, error)
    }
  }
}

extension ByteSource {
  /// Reads until `buffer` is full or the source ends; returns the bytes read.
  public mutating func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var filled = 0
    while filled < buffer.count {
      let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
      if count == 0 { break }
      filled += count
    }
    return filled
  }
}

/// Opens `path` for reading, mapping failures to ``ArtError``.
///
/// A final symbolic link is refused unless `followingLinks` (data kept
/// outside the working folder, such as reference entries, may go through
/// links). `nonBlocking` opens a FIFO without waiting for a writer (and a
/// terminal without making it this process's), so the caller can look at
/// what it opened before reading.
package func openForReading(
  _ path: FilePath, followingLinks: Bool = false, nonBlocking: Bool = false
) throws -> FileDescriptor {
  var options: FileDescriptor.OpenOptions =
    followingLinks ? [.closeOnExec] : [.closeOnExec, .noFollow]
  if nonBlocking { options.formUnion([.nonBlocking, .noControllingTerminal]) }
  do {
    return try FileDescriptor.open(path, .readOnly, options: options)
  } catch {
    if (error as? Errno) == .noSuchFileOrDirectory {
      throw ArtError(.notFound, "no file '\(path.string)'")
    }
    throw ArtError.io("open", path.string, error)
  }
}

/// Writes all of `bytes` at the current position.
package func writeAll(
  _ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, path: FilePath
) throws {
  do {
    _ = try fd.writeAll(bytes)
  } catch {
    throw ArtError.io("write", path.string, error)
  }
}

/// Reads exactly `buffer.count` bytes at `offset` (`pread(2)`).
package func readExactly(
  _ fd: FileDescriptor, at offset: Int64, into buffer: UnsafeMutableRawBufferPointer,
  path: FilePath
) throws {
  var filled = 0
  while filled < buffer.count {
    let count: Int
    do {
      count = try fd.read(
        fromAbsoluteOffset: offset + Int64(filled),
        into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
    } catch {
      throw ArtError.io("read", path.string, error)
    }
    if count == 0 {
      throw ArtError.corrupt(
        path.string, "ends at byte \(offset + Int64(filled)), before the data it lists")
    }
    filled += count
  }
}
