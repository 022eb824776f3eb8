import ArtStore
import Foundation
import NIOCore
import Synchronization
public import SystemPackage

/// One stored object of a remote: its key below the remote's prefix, size
/// and when it was written.
public struct RemoteEntry: Sendable, Equatable {
  /// The key, relative to the remote's prefix (`packs/pack-….idx`).
  public var key: String
  /// Size in bytes.
  public var size: UInt64
  /// When it was last written, in milliseconds since 1970 (0 if unknown).
  public var modified: Int64
}

/// What a conditional write asks of the object already there.
public enum WriteCondition: Sendable, Equatable {
  /// Only if no object has the key.
  case absent
  /// Only if the object still has this tag (an ETag, or a file's hash).
  case matches(String)
}

/// Where a remote keeps its objects: an S3 bucket prefix or a folder.
///
/// Keys are relative paths (`refs`, `packs/pack-<id>.pack`). A conditional
/// write that does not hold throws ``ArtError`` with code `.locked`.
public protocol RemoteStorage: Sendable {
  /// The remote as the user wrote it, for messages (`s3://bucket/prefix`).
  var location: String { get }
  /// The object `key` and its tag, or nil if there is none.
  func read(_ key: String) async throws -> (bytes: [UInt8], tag: String)?
  /// Bytes `range` of object `key`.
  func read(_ key: String, range: Range<UInt64>) async throws -> [UInt8]
  /// Writes `bytes` as `key` if `condition` holds; returns the new tag.
  @discardableResult
  func write(_ key: String, _ bytes: [UInt8], condition: WriteCondition?) async throws -> String
  /// Uploads the file at `path` (`size` bytes) as `key`, in parts run at
  /// once when it is large, reusing parts an interrupted upload left.
  /// Returns the bytes that were already there.
  func upload(
    _ key: String, from path: FilePath, size: UInt64, progress: @escaping @Sendable (UInt64) -> Void
  ) async throws -> UInt64
  /// Downloads `key` (`size` bytes) into a new file at `path`.
  func download(
    _ key: String, to path: FilePath, size: UInt64,
    progress: @escaping @Sendable (UInt64) -> Void
  ) async throws
  /// Every object whose key starts with `prefix`.
  func list(_ prefix: String) async throws -> [RemoteEntry]
  /// Deletes `key`; a missing one is fine.
  func delete(_ key: String) async throws
  /// Whether conditional writes are enforced (S3: probed once per call).
  func enforcesConditions() async throws -> Bool
  /// Drops the unfinished uploads (S3 multipart) below `prefix` started at
  /// least `age` milliseconds ago; returns how many (without `dryRun`,
  /// dropped).
  func dropUnfinishedUploads(_ prefix: String, olderThan age: Int64, dryRun: Bool) async throws
    -> Int
}

/// Limits how many requests run at once, across every transfer.
actor RequestGate {
  private var free: Int
  private var waiting: [CheckedContinuation<Void, Never>] = []

  init(limit: Int) { free = limit }

  func enter() async {
    if free > 0 {
      free -= 1
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  func leave() {
    if waiting.isEmpty {
      free += 1
    } else {
      waiting.removeFirst().resume()
    }
  }

  func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    await enter()
    do {
      let result = try await body()
      leave()
      return result
    } catch {
      leave()
      throw error
    }
  }
}

/// Size of one multipart part and one ranged download request.
let transferPartSize: UInt64 = 8 << 20

/// Parts of one file in flight at once.
let partsInFlight = 8

/// For the test that kills a push half-way: after this many parts have
/// arrived, the process sends itself SIGKILL (`ART_TEST_KILL_AFTER_PARTS`).
let killAfterParts: Int? = Syscalls.environment("ART_TEST_KILL_AFTER_PARTS").flatMap { Int($0) }
let partsUploaded = Atomic<Int>(0)

/// A remote in an S3 bucket under a key prefix.
public struct S3Storage: RemoteStorage {
  /// The bucket's client.
  public let client: S3Client
  /// Keys start with this (no leading or trailing `/`; may be empty).
  public let prefix: String
  private let gate: RequestGate

  /// A remote at `s3://BUCKET/PREFIX` through `client`.
  ///
  /// - Parameters:
  ///   - client: the bucket's client.
  ///   - prefix: the key prefix, without slashes at either end.
  ///   - parallel: how many requests run at once.
  public init(client: S3Client, prefix: String, parallel: Int = 8) {
    self.client = client
    self.prefix = prefix
    gate = RequestGate(limit: parallel)
  }

  public var location: String { "s3://\(client.bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }

  private func full(_ key: String) -> String { prefix.isEmpty ? key : prefix + "/" + key }

  public func read(_ key: String) async throws -> (bytes: [UInt8], tag: String)? {
    try await gate.run { try await client.getTagged(full(key)) }.map { ($0.bytes, $0.etag) }
  }

  public func read(_ key: String, range: Range<UInt64>) async throws -> [UInt8] {
    guard !range.isEmpty else { return [] }
    let bytes = try await gate.run {
      try await client.get(full(key), range: range.lowerBound...(range.upperBound - 1))
    }
    guard let bytes else {
      throw ArtError(
        .notFound, "\(location)/\(key) is missing",
        hint: "another machine may have removed it (art gc --remote); fetch and try again")
    }
    guard bytes.count == range.count else {
      throw ArtError(
        .corruptData,
        "\(location)/\(key) gave \(bytes.count) bytes for a range of \(range.count)")
    }
    return bytes
  }

  @discardableResult
  public func write(_ key: String, _ bytes: [UInt8], condition: WriteCondition?) async throws
    -> String
  {
    let s3Condition: S3Client.Condition? =
      switch condition {
      case .absent: .absent
      case .matches(let tag): .matches(tag)
      case nil: nil
      }
    return try await gate.run { try await client.put(full(key), bytes, condition: s3Condition) }
  }

  public func upload(
    _ key: String, from path: FilePath, size: UInt64, progress: @escaping @Sendable (UInt64) -> Void
  ) async throws -> UInt64 {
    let file = try openForReading(path)
    defer { try? file.close() }
    if size <= transferPartSize {
      let body = try readBuffer(file, path: path, range: 0..<size)
      try await gate.run {
        _ = try await client.put(full(key), buffer: body)
      }
      progress(size)
      return 0
    }
    let key = full(key)
    // An earlier, interrupted push of the same pack (same name, so the same
    // bytes) left parts: keep those of the right size.
    var uploadID: String? = nil
    var done: [Int: String] = [:]
    for pending in try await client.pendingUploads(prefix: key) where pending.key == key {
      let parts = try await client.uploadedParts(key, uploadID: pending.uploadID)
      uploadID = pending.uploadID
      for part in parts where part.size == partRange(part.number, size).count {
        done[part.number] = part.etag
      }
      break
    }
    let id: String
    if let uploadID { id = uploadID } else { id = try await client.createMultipartUpload(key) }
    let count = Int((size + transferPartSize - 1) / transferPartSize)
    let resumed = done.keys.reduce(UInt64(0)) { $0 + UInt64(partRange($1, size).count) }
    if resumed > 0 { progress(resumed) }
    let todo = (1...count).filter { done[$0] == nil }
    let uploaded = try await concurrentMap(count: todo.count, limit: partsInFlight) { index in
      let number = todo[index]
      let range = partRange(number, size)
      let etag = try await gate.run {
        let body = try readBuffer(file, path: path, range: range)
        return try await client.uploadPart(key, uploadID: id, number: number, body: body)
      }
      progress(UInt64(range.count))
      if let killAfterParts, partsUploaded.add(1, ordering: .relaxed).newValue >= killAfterParts {
        kill(getpid(), SIGKILL)
      }
      return (number, etag)
    }
    for (number, etag) in uploaded { done[number] = etag }
    let parts = done.map { (number: $0.key, etag: $0.value) }
    try await gate.run {
      try await client.completeMultipartUpload(key, uploadID: id, parts: parts)
    }
    return resumed
  }

  public func download(
    _ key: String, to path: FilePath, size: UInt64,
    progress: @escaping @Sendable (UInt64) -> Void
  ) async throws {
    let file = try createForWriting(path)
    do {
      // A size from a remote's listing: counted without overflowing.
      let count = Int(size / transferPartSize + (size % transferPartSize == 0 ? 0 : 1))
      _ = try await concurrentMap(count: count, limit: partsInFlight) { index in
        let range = partRange(index + 1, size)
        let received = Mutex<Int>(0)
        try await gate.run {
          try await client.download(full(key), range: range) { buffer, offset in
            try buffer.withUnsafeReadableBytes {
              try writeExactly(file, at: range.lowerBound + UInt64(offset), $0, path: path)
            }
            received.withLock { $0 = max($0, offset + buffer.readableBytes) }
          }
        }
        let count = received.withLock { $0 }
        guard count == range.count else {
          throw ArtError(
            .io, "\(location)/\(key) broke off after \(count) of \(range.count) bytes")
        }
        progress(UInt64(count))
      }
      try Syscalls.sync(file, path: path)
      try file.close()
    } catch {
      try? file.close()
      try? Syscalls.unlink(path)
      throw error
    }
  }

  public func list(_ prefix: String) async throws -> [RemoteEntry] {
    let base = self.prefix.isEmpty ? "" : self.prefix + "/"
    return try await gate.run { try await client.list(prefix: base + prefix) }.map {
      RemoteEntry(
        key: String($0.key.dropFirst(base.count)), size: $0.size,
        modified: parseTimestamp($0.lastModified))
    }
  }

  public func delete(_ key: String) async throws {
    try await gate.run { try await client.delete(full(key)) }
  }

  public func dropUnfinishedUploads(_ prefix: String, olderThan age: Int64, dryRun: Bool)
    async throws -> Int
  {
    let now = WallClock.milliseconds()
    var dropped = 0
    for upload in try await client.pendingUploads(prefix: full(prefix)) {
      let started = parseTimestamp(upload.initiated)
      guard started > 0, now - started >= age else { continue }
      dropped += 1
      if !dryRun { try await client.abortMultipartUpload(upload.key, uploadID: upload.uploadID) }
    }
    return dropped
  }

  /// Writes a probe object twice with `If-None-Match: *` and once with a
  /// wrong `If-Match`; the server enforces conditions if the last two fail.
  public func enforcesConditions() async throws -> Bool {
    let key = "probe/\(UInt64.random(in: 0...UInt64.max))"
    let tag = try await write(key, Array("probe\n".utf8), condition: .absent)
    var enforced = true
    do {
      try await write(key, Array("again\n".utf8), condition: .absent)
      enforced = false
    } catch let error as ArtError where error.code == .locked {}
    do {
      try await write(key, Array("third\n".utf8), condition: .matches("\"0\(tag.dropFirst())"))
      enforced = false
    } catch let error as ArtError where error.code == .locked {}
    try await delete(key)
    return enforced
  }
}

/// Byte range of part `number` (from 1) of a `size`-byte object.
func partRange(_ number: Int, _ size: UInt64) -> Range<UInt64> {
  let start = UInt64(number - 1) * transferPartSize
  return start..<min(size, start + transferPartSize)
}

/// Opens a regular file for reading; a FIFO or device (a folder remote is
/// not ours) is refused without blocking on it.
func openForReading(_ path: FilePath) throws -> SystemPackage.FileDescriptor {
  let file: SystemPackage.FileDescriptor
  do {
    file = try SystemPackage.FileDescriptor.open(
      path, .readOnly, options: [.closeOnExec, .nonBlocking, .noControllingTerminal])
  } catch {
    throw ArtError.io("open", path.string, error)
  }
  do {
    guard try Syscalls.status(file, path: path).kind == .regular else {
      throw ArtError.corrupt(path.string, "it is not a regular file")
    }
  } catch {
    try? file.close()
    throw error
  }
  return file
}

func createForWriting(_ path: FilePath) throws -> SystemPackage.FileDescriptor {
  do {
    return try SystemPackage.FileDescriptor.open(
      path, .readWrite, options: [.create, .truncate, .closeOnExec],
      permissions: [.ownerReadWrite, .groupRead, .otherRead])
  } catch {
    throw ArtError.io("create", path.string, error)
  }
}

func readPart(_ file: SystemPackage.FileDescriptor, path: FilePath, range: Range<UInt64>) throws
  -> [UInt8]
{
  var bytes = [UInt8](repeating: 0, count: range.count)
  try bytes.withUnsafeMutableBytes {
    try readExactly(file, at: Int64(range.lowerBound), into: $0, path: path)
  }
  return bytes
}

/// Bytes `range` of `file` in a new buffer, read straight into it.
func readBuffer(_ file: SystemPackage.FileDescriptor, path: FilePath, range: Range<UInt64>) throws
  -> ByteBuffer
{
  var buffer = ByteBufferAllocator().buffer(capacity: range.count)
  try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: range.count) { target in
    try readExactly(
      file, at: Int64(range.lowerBound),
      into: UnsafeMutableRawBufferPointer(rebasing: target[..<range.count]), path: path)
    return range.count
  }
  return buffer
}

func writeExactly(
  _ file: SystemPackage.FileDescriptor, at offset: UInt64, _ bytes: UnsafeRawBufferPointer,
  path: FilePath
) throws {
  var done = 0
  while done < bytes.count {
    do {
      done += try file.write(
        toAbsoluteOffset: Int64(offset) + Int64(done),
        UnsafeRawBufferPointer(rebasing: bytes[done...]))
    } catch {
      throw ArtError.io("write", path.string, error)
    }
  }
}

/// Milliseconds since 1970 for `2026-11-27T10:00:00.000Z` (0 if unreadable).
func parseTimestamp(_ text: String) -> Int64 {
  let formatter = ISO8601DateFormatter()
  formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
  if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
  formatter.formatOptions = [.withInternetDateTime]
  if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
  return 0
}
