import ArtRemote
import ArtStore
import Foundation
public import SystemPackage

/// Records references (`art commit --reference`) and fetches and checks
/// them (`checkout`, `art verify`).
public struct ReferenceIO: Sendable {
  /// A recorder/fetcher.
  public init() {}

  /// Looks at what `request` points to and records it: for a file, its
  /// size and SHA-256; for a folder, one reference per file below it; for a
  /// URL, size plus `ETag` or `Last-Modified`, and with `checksum` the
  /// SHA-256 of one download.
  ///
  /// - Throws: ``ArtError`` `.notFound` when the file or URL is missing,
  ///   `.invalidArgument` for a URL that gives nothing to detect a change by.
  public func record(_ request: ReferenceRequest, checksum: Bool) async throws
    -> [DescribedReference]
  {
    switch ReferenceScheme(request.uri) {
    case .file:
      return try await recordFiles(request)
    case .http:
      return [try await recordURL(request, checksum: checksum)]
    case .s3:
      return try await recordS3(request)
    case nil:
      throw ArtError(.invalidArgument, "'\(request.uri)' is not a reference art can fetch")
    }
  }

  /// The bucket client and key of an `s3://bucket/key` URI, with
  /// credentials and endpoint from the standard environment variables.
  static func s3(_ uri: String) throws -> (S3Client, String) {
    try RemoteSpec(url: uri).s3Client(environment: ProcessInfo.processInfo.environment)
  }

  /// An S3 object records its size and ETag; a prefix, one reference per
  /// object below it (paths below the request's PATH).
  private func recordS3(_ request: ReferenceRequest) async throws -> [DescribedReference] {
    let (client, key) = try Self.s3(request.uri)
    if !key.isEmpty, let head = try await client.head(key) {
      return [
        DescribedReference(
          path: request.path,
          reference: Reference(uri: request.uri, size: head.size, sha256: nil, etag: head.etag),
          mode: 0o644)
      ]
    }
    let prefix = key.isEmpty ? "" : key + "/"
    let listed = try await client.list(prefix: prefix).filter { !$0.key.hasSuffix("/") }
    guard !listed.isEmpty else {
      throw ArtError(
        .notFound, "\(request.uri) is neither an object nor a prefix with objects below it",
        hint: "check the bucket and key")
    }
    var result: [DescribedReference] = []
    let bucket = request.uri.dropFirst(5).split(separator: "/").first.map(String.init) ?? ""
    for object in listed {
      let relative = String(object.key.dropFirst(prefix.count))
      result.append(
        DescribedReference(
          path: try ReferenceRequest.components(
            (request.path + [relative]).joined(separator: "/"), of: request.uri),
          reference: Reference(
            uri: "s3://\(bucket)/\(object.key)", size: object.size, sha256: nil, etag: object.etag),
          mode: 0o644))
    }
    return result.sorted { $0.path.lexicographicallyPrecedes($1.path) }
  }

  private func recordFiles(_ request: ReferenceRequest) async throws -> [DescribedReference] {
    let top = FilePath(String(request.uri.dropFirst("file://".count)))
    guard let status = try Syscalls.fileStatus(top) else {
      throw ArtError(.notFound, "'\(top)' does not exist", hint: "check the --reference path")
    }
    var files: [(path: [String], file: FilePath, mode: UInt32)] = []
    switch status.kind {
    case .regular:
      files.append((request.path, top, status.permissions))
    case .directory:
      try collect(top, prefix: request.path, into: &files)
    default:
      throw ArtError(.invalidArgument, "'\(top)' is not a file or folder")
    }
    let found = files
    let hashed = try await forEachConcurrently(
      count: found.count, makeState: { [(Int, ObjectID, UInt64)]() },
      { state, index in
        let fd = try openForReading(found[index].file, followingLinks: true)
        defer { try? fd.close() }
        var source = FileSource(descriptor: fd, name: found[index].file.string)
        let (id, size) = try ContentStorer.hash(&source)
        state.append((index, id, size))
      }, finish: { $0 })
    var result: [DescribedReference] = []
    for (index, id, size) in hashed.joined() {
      let item = found[index]
      result.append(
        DescribedReference(
          path: item.path,
          reference: Reference(uri: "file://" + item.file.string, size: size, sha256: id),
          mode: item.mode))
    }
    return result.sorted { $0.path.lexicographicallyPrecedes($1.path) }
  }

  /// Regular files below `folder` (links and special files are left out).
  private func collect(
    _ folder: FilePath, prefix: [String],
    into files: inout [(path: [String], file: FilePath, mode: UInt32)]
  ) throws {
    for (name, status) in try directoryEntriesWithStatus(folder) {
      guard let component = pathComponent(name) else { continue }
      if let problem = ManifestEntry.problem(withName: name) {
        throw ArtError(
          .invalidArgument, "cannot reference '\(folder.appending(component))': it has \(problem)")
      }
      let text = String(decoding: name, as: UTF8.self)
      switch status.kind {
      case .regular:
        files.append((prefix + [text], folder.appending(component), status.permissions))
      case .directory:
        try collect(folder.appending(component), prefix: prefix + [text], into: &files)
      default: continue
      }
    }
  }

  private func recordURL(_ request: ReferenceRequest, checksum: Bool) async throws
    -> DescribedReference
  {
    let resource = HTTPResource(url: request.uri)
    if checksum {
      var hasher = ObjectHasher()
      var size: UInt64 = 0
      var head: HTTPResourceHead? = nil
      try await resource.download(
        inspect: { head = $0 },
        consume: { bytes in
          hasher.update(bytes)
          size += UInt64(bytes.count)
        })
      return DescribedReference(
        path: request.path,
        reference: Reference(
          uri: request.uri, size: size, sha256: hasher.finalize(), etag: head?.etag ?? "",
          lastModified: head?.lastModified ?? ""),
        mode: 0o644)
    }
    let head = try await resource.head()
    guard let length = head.length else {
      throw ArtError(
        .invalidArgument, "\(request.uri) has no Content-Length, so art cannot record its size",
        hint: "add --checksum to download it once and record its size and SHA-256")
    }
    guard !head.etag.isEmpty || !head.lastModified.isEmpty else {
      throw ArtError(
        .invalidArgument,
        "\(request.uri) gives neither ETag nor Last-Modified, so a change could not be detected",
        hint: "add --checksum to download it once and record its SHA-256")
    }
    return DescribedReference(
      path: request.path,
      reference: Reference(
        uri: request.uri, size: length, sha256: nil, etag: head.etag,
        lastModified: head.lastModified),
      mode: 0o644)
  }

  /// What ``check(_:)`` found.
  public enum Check: Sendable, Equatable {
    /// Still what was recorded.
    case unchanged
    /// Different: what differs, recorded → now.
    case changed(String)
    /// Gone, or could not be read: why.
    case unavailable(String)
    /// Not looked at: recorded elsewhere and outside the allowed folders.
    case refused(String)
  }

  /// Checks `reference` without downloading.
  ///
  /// A file is stat'ed and hashed (size first), a URL asked for its head.
  /// With `folders`, a `file` reference outside them is not looked at
  /// (``Check/refused(_:)``).
  public func check(_ reference: Reference, within folders: [FilePath]? = nil) async -> Check {
    do {
      switch ReferenceScheme(reference.uri) {
      case .file:
        let path = FilePath(reference.filePath ?? "")
        if let folders, !ReferenceTrust.allows(path, below: folders) {
          return .refused(
            "recorded elsewhere, outside the folders of [references] allow: not read")
        }
        guard let status = try Syscalls.fileStatus(path), status.kind == .regular else {
          return .unavailable("'\(path)' does not exist or is not a regular file")
        }
        if UInt64(status.size) != reference.size {
          return .changed("size \(reference.size) -> \(status.size) bytes")
        }
        let fd = try openRegularFile(path)
        defer { try? fd.close() }
        if let folders {
          // Where it really is; unknown counts as outside.
          guard let real = Syscalls.realPath(of: fd), ReferenceTrust.allows(real, below: folders)
          else { return .refused("it leads outside the folders of [references] allow: not read") }
        }
        var source = FileSource(descriptor: fd, name: path.string)
        let (id, hashed) = try ContentStorer.hash(&source)
        if hashed != reference.size { return .changed("size changed while it was read") }
        if let sha = reference.sha256, sha != id {
          return .changed("sha256 \(sha.prefix(12)) -> \(id.prefix(12))")
        }
        return .unchanged
      case .http:
        let head = try await HTTPResource(url: reference.uri).head()
        if let difference = difference(reference, head) { return .changed(difference) }
        return .unchanged
      case .s3:
        let (client, key) = try Self.s3(reference.uri)
        guard let head = try await client.head(key) else {
          return .unavailable("\(reference.uri) does not exist")
        }
        if let difference = s3Difference(reference, head) { return .changed(difference) }
        return .unchanged
      case nil:
        return .unavailable("'\(reference.uri)' is not a reference art can fetch")
      }
    } catch {
      return .unavailable((error as? ArtError)?.message ?? "\(error)")
    }
  }

  /// How an S3 object differs from what was recorded, or nil.
  private func s3Difference(_ reference: Reference, _ head: S3Client.ObjectInfo) -> String? {
    if head.size != reference.size { return "size \(reference.size) -> \(head.size) bytes" }
    if !reference.etag.isEmpty, head.etag != reference.etag {
      return "ETag \(reference.etag) -> \(head.etag)"
    }
    return nil
  }

  /// How the server's head differs from what was recorded, or nil.
  private func difference(_ reference: Reference, _ head: HTTPResourceHead) -> String? {
    if let length = head.length, length != reference.size {
      return "size \(reference.size) -> \(length) bytes"
    }
    if !reference.etag.isEmpty, head.etag != reference.etag {
      return "ETag \(reference.etag) -> \(head.etag.isEmpty ? "(none)" : head.etag)"
    }
    if reference.etag.isEmpty, !reference.lastModified.isEmpty,
      head.lastModified != reference.lastModified
    {
      return "Last-Modified \(reference.lastModified) -> "
        + (head.lastModified.isEmpty ? "(none)" : head.lastModified)
    }
    return nil
  }

  /// Writes the bytes of `reference` into `staged`, checked against what
  /// was recorded; the caller names the file only if this returns.
  ///
  /// At most the recorded size is read (one byte more, to notice growth),
  /// from a regular file only: a FIFO, a device or a file that keeps
  /// growing cannot fill the disk.
  ///
  /// With `folders`, a `file` reference is read only when the file it
  /// opens really lies below one of them.
  ///
  /// - Throws: ``ArtError`` `.referenceChanged` naming `label` and what
  ///   differs (unless `allowChanged`; growth past the recorded size is
  ///   refused even then), `.referenceRefused` outside `folders`,
  ///   `.notFound` when the source is gone,
  ///   `.invalidArgument` for a source that is not a regular file, `.io`
  ///   when a download breaks off.
  public func fetch(
    _ reference: Reference, label: String, into staged: StagedFile, allowChanged: Bool,
    within folders: [FilePath]? = nil
  ) async throws -> UInt64 {
    let fd = staged.descriptor
    let temporary = staged.path
    var hasher = ObjectHasher()
    var size: UInt64 = 0
    func changed(_ what: String) -> ArtError {
      ArtError(
        .referenceChanged,
        "reference '\(label)' (\(reference.uri)) changed since it was recorded: \(what)",
        hint: "commit it again with --reference to record the new data, or pass "
          + "--allow-changed to take it as it is now (or --skip-references)")
    }
    // One byte past the recorded size is enough to know it changed.
    let limit = reference.size == .max ? reference.size : reference.size + 1
    func take(_ bytes: UnsafeRawBufferPointer) throws {
      guard size + UInt64(bytes.count) <= reference.size else {
        throw ArtError(
          .referenceChanged,
          "reference '\(label)' (\(reference.uri)) is larger than the \(reference.size) bytes "
            + "recorded; art reads no more than that",
          hint: "commit it again with --reference to record the new data")
      }
      hasher.update(bytes)
      try writeAll(fd, bytes, path: temporary)
      size += UInt64(bytes.count)
    }
    switch ReferenceScheme(reference.uri) {
    case .file:
      let source = FilePath(reference.filePath ?? "")
      // Not even opened outside the allowed folders: opening a device or a
      // FIFO can act, and errors would tell what exists.
      if let folders, !ReferenceTrust.allows(source, below: folders) {
        throw ReferenceTrust.refused(["\(label) (\(reference.uri))"])
      }
      let input: FileDescriptor
      do {
        input = try openRegularFile(source)
      } catch let error as ArtError where error.code == .notFound {
        throw ArtError(
          .notFound, "reference '\(label)': '\(source)' is gone",
          hint: "restore it, or check out the rest with --skip-references")
      }
      defer { try? input.close() }
      if let folders {
        // Where the opened file really is, links resolved.
        guard let real = Syscalls.realPath(of: input), ReferenceTrust.allows(real, below: folders)
        else {
          throw ReferenceTrust.refused(["\(label) (\(reference.uri))"])
        }
      }
      var reader = FileSource(descriptor: input, name: source.string)
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
      defer { buffer.deallocate() }
      var remaining = limit
      while remaining > 0 {
        let wanted = Int(min(UInt64(buffer.count), remaining))
        let count = try reader.read(
          into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
        if count == 0 { break }
        remaining -= UInt64(count)
        try take(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
      }
    case .http:
      try await HTTPResource(url: reference.uri).download(
        inspect: { head in
          if !allowChanged, let what = difference(reference, head) { throw changed(what) }
        },
        consume: { bytes in try take(bytes) })
    case .s3:
      // 16 MiB ranges one after another: memory stays bounded, and the
      // ETag is checked first so a changed object is not downloaded.
      let (client, key) = try Self.s3(reference.uri)
      guard let head = try await client.head(key) else {
        throw ArtError(
          .notFound, "reference '\(label)': \(reference.uri) is gone",
          hint: "restore it, or check out the rest with --skip-references")
      }
      if !allowChanged, let what = s3Difference(reference, head) { throw changed(what) }
      let end = min(head.size, limit)
      var offset: UInt64 = 0
      while offset < end {
        let last = min(end, offset + (16 << 20)) - 1
        guard let bytes = try await client.get(key, range: offset...last),
          bytes.count == Int(last - offset + 1)
        else {
          throw ArtError(
            .io, "download of \(reference.uri) broke off after \(offset) of \(head.size) bytes")
        }
        try bytes.withUnsafeBytes { try take($0) }
        offset = last + 1
      }
    case nil:
      throw ArtError(.corruptData, "reference '\(label)' has an unknown scheme: \(reference.uri)")
    }
    let id = hasher.finalize()
    if !allowChanged {
      if size != reference.size { throw changed("size \(reference.size) -> \(size) bytes") }
      if let sha = reference.sha256, sha != id {
        throw changed("sha256 \(sha.prefix(12)) -> \(id.prefix(12))")
      }
    }
    return size
  }

  /// Opens `path` (links followed: the data may live anywhere) if it is a
  /// regular file, without blocking on a FIFO.
  private func openRegularFile(_ path: FilePath) throws -> FileDescriptor {
    let fd = try openForReading(path, followingLinks: true, nonBlocking: true)
    do {
      guard try Syscalls.status(fd, path: path).kind == .regular else {
        throw ArtError(
          .invalidArgument,
          "'\(path)' is not a regular file (a FIFO, device or folder); art does not read it",
          hint: "point the reference at a regular file")
      }
      return fd
    } catch {
      try? fd.close()
      throw error
    }
  }
}
