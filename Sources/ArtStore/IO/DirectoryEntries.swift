package import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The names in one folder, read with `opendir`/`readdir`, without `.` and
/// `..`, as raw bytes (names need not be valid UTF-8 on disk).
package func directoryEntries(_ path: FilePath) throws -> [[UInt8]] {
  guard let dir = path.withPlatformString({ opendir($0) }) else {
    throw ArtError.io("list folder", path.string, Errno(rawValue: errno))
  }
  defer { closedir(dir) }
  return try names(of: dir, path: path)
}

/// Where the name starts in a `dirent`.
private let nameOffset: Int = {
  guard let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name) else {
    preconditionFailure("dirent.d_name is a stored field")
  }
  return offset
}()

/// The NUL-terminated name of `entry`, read in place.
///
/// A `dirent` from `readdir` is only as long as its name needs
/// (`d_reclen`), so copying the struct's 256-byte `d_name` reads past it:
/// past the end of the buffer when it is the last one there, which can be
/// an unmapped page.
private func entryName(_ entry: UnsafeMutablePointer<dirent>) -> UnsafePointer<CChar> {
  UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self)
}

/// The bytes of `name`, up to its NUL.
private func bytes(of name: UnsafePointer<CChar>) -> [UInt8] {
  Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
}

/// The names an open folder stream lists from where it is, without `.`
/// and `..`; `path` names it in errors.
package func names(of dir: OpaquePointer, path: FilePath) throws -> [[UInt8]] {
  var names: [[UInt8]] = []
  while true {
    errno = 0
    guard let entry = readdir(dir) else {
      if errno != 0 { throw ArtError.io("list folder", path.string, Errno(rawValue: errno)) }
      return names
    }
    let name = bytes(of: entryName(entry))
    if name == [0x2E] || name == [0x2E, 0x2E] { continue }
    names.append(name)
  }
}

/// The names in one folder with their `lstat` status.
///
/// Uses `fstatat` relative to the open folder, so there is no path walk per
/// entry. An entry that vanished between `readdir` and `fstatat` is left out.
package func directoryEntriesWithStatus(_ path: FilePath) throws -> [([UInt8], FileStatus)] {
  guard let dir = path.withPlatformString({ opendir($0) }) else {
    throw ArtError.io("list folder", path.string, Errno(rawValue: errno))
  }
  defer { closedir(dir) }
  let fd = dirfd(dir)
  var result: [([UInt8], FileStatus)] = []
  while true {
    errno = 0
    guard let entry = readdir(dir) else {
      if errno != 0 { throw ArtError.io("list folder", path.string, Errno(rawValue: errno)) }
      return result
    }
    var info = stat()
    let raw = entryName(entry)
    let name = bytes(of: raw)
    if name == [0x2E] || name == [0x2E, 0x2E] { continue }
    if fstatat(fd, raw, &info, AT_SYMLINK_NOFOLLOW) == 0 { result.append((name, FileStatus(info))) }
  }
}

/// A path component from raw name bytes, or nil for an empty name or one
/// holding `/` or NUL.
package func pathComponent(_ name: [UInt8]) -> FilePath.Component? {
  if name.isEmpty || name.contains(0) || name.contains(0x2F) { return nil }
  let text = name.map { CChar(bitPattern: $0) } + [0]
  return text.withUnsafeBufferPointer { buffer in
    guard let base = buffer.baseAddress else { return nil }
    return FilePath.Component(platformString: base)
  }
}
