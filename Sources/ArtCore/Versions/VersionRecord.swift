public import ArtStore

/// One immutable version of an artifact.
///
/// Its object id is the SHA-256 of ``encoded()``, and equal records encode
/// to equal bytes.
///
/// Layout, format version 1 (little-endian; "string" is a u32 byte length
/// then UTF-8; "id?" is a u8 0/1 flag then 32 bytes if 1):
///
/// | field            | encoding                                   |
/// |------------------|--------------------------------------------|
/// | magic            | `ARTV`                                     |
/// | version          | u8 = 1, then 3 zero bytes                  |
/// | artifact         | string                                     |
/// | type             | string                                     |
/// | number           | u64 (the N of `vN`)                        |
/// | root             | string (folder relative to the repository) |
/// | manifest         | 32-byte id of the top manifest             |
/// | files            | u64: files in the version                  |
/// | size             | u64: bytes of those files                  |
/// | previous         | id?                                        |
/// | description      | string                                     |
/// | metadata         | string: a JSON object, keys sorted         |
/// | created          | i64 milliseconds since 1970 UTC            |
/// | inputs           | u32 count, then count × 32-byte ids        |
/// | job              | string                                     |
/// | expires          | u8 0/1, then i64 milliseconds since 1970   |
/// | distributed id   | string                                     |
/// | run              | string, layout versions 2 and 3 (in 2 never empty) |
/// | references       | u64 count, then u64 bytes; layout version 3 only (count > 0) |
public struct VersionRecord: Sendable, Equatable {
  /// The artifact's name.
  public var artifact: String
  /// The artifact's type (`dataset`, `model`, …).
  public var type: String
  /// The version number: 0 for `v0`.
  public var number: UInt64
  /// The folder, relative to the repository's top, that paths are relative to.
  public var root: String
  /// The top manifest.
  public var manifest: ObjectID
  /// Files in the version.
  public var files: UInt64
  /// Bytes of those files (logical, before dedup and compression).
  public var size: UInt64
  /// The version this one was made after, if any.
  public var previous: ObjectID?
  /// A description for people.
  public var description: String
  /// A JSON object, serialized with sorted keys.
  public var metadata: String
  /// When the version was made, in milliseconds since 1970 UTC.
  public var created: Int64
  /// The versions this one was made from.
  public var inputs: [ObjectID]
  /// The job that made it.
  public var job: String
  /// When the version may be dropped, in milliseconds since 1970 UTC.
  public var expires: Int64?
  /// The distributed id it was assembled under, or empty.
  public var distributedID: String
  /// The run that made it (`commit --run`); only in layout versions 2 and 3.
  public var run: String = ""
  /// Reference entries in the version (files kept outside the store).
  ///
  /// Only in layout version 3; not counted in ``files`` and ``size``.
  public var referenceCount: UInt64 = 0
  /// Bytes of those references, as recorded.
  public var referenceBytes: UInt64 = 0

  static let magic: [UInt8] = Array("ARTV".utf8)

  /// A record with every field given.
  public init(
    artifact: String, type: String, number: UInt64, root: String, manifest: ObjectID,
    files: UInt64 = 0, size: UInt64 = 0, previous: ObjectID? = nil, description: String = "",
    metadata: String = "{}",
    created: Int64, inputs: [ObjectID] = [], job: String = "", expires: Int64? = nil,
    distributedID: String = ""
  ) {
    self.artifact = artifact
    self.type = type
    self.number = number
    self.root = root
    self.manifest = manifest
    self.files = files
    self.size = size
    self.previous = previous
    self.description = description
    self.metadata = metadata
    self.created = created
    self.inputs = inputs
    self.job = job
    self.expires = expires
    self.distributedID = distributedID
  }

  /// The canonical bytes.
  public func encoded() -> [UInt8] {
    var out = ByteWriter()
    out.append(Self.magic)
    // Layout 2 only adds `run` and layout 3 the reference counts: records
    // without them keep layout 1 bytes, so their ids never change.
    let layout: UInt8 = referenceCount > 0 ? 3 : run.isEmpty ? 1 : 2
    out.append([layout, 0, 0, 0])
    out.append(string: artifact)
    out.append(string: type)
    out.append(number)
    out.append(string: root)
    out.append(manifest)
    out.append(files)
    out.append(size)
    if let previous {
      out.append(UInt8(1))
      out.append(previous)
    } else {
      out.append(UInt8(0))
    }
    out.append(string: description)
    out.append(string: metadata)
    out.append(UInt64(bitPattern: created))
    out.append(UInt32(inputs.count))
    for input in inputs { out.append(input) }
    out.append(string: job)
    if let expires {
      out.append(UInt8(1))
      out.append(UInt64(bitPattern: expires))
    } else {
      out.append(UInt8(0))
    }
    out.append(string: distributedID)
    if layout >= 2 { out.append(string: run) }
    if layout == 3 {
      out.append(referenceCount)
      out.append(referenceBytes)
    }
    return out.bytes
  }

  /// Parses a record; errors name `id`.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData`, or `.unsupportedFormat`.
  public init(decoding bytes: [UInt8], id: ObjectID) throws {
    // Made only for an error: a history's records are decoded by the thousand.
    var subject: String { "version \(id)" }
    var r = ByteReader(bytes, subject: subject)
    guard try r.bytes(4) == Self.magic else { throw ArtError.corrupt(subject, "bad magic number") }
    let layout = try r.uint8()
    guard (1...3).contains(layout) else { throw ArtError.newerFormat(subject, layout) }
    guard try r.bytes(3) == [0, 0, 0] else { throw ArtError.corrupt(subject, "bad header") }
    artifact = try r.string()
    type = try r.string()
    number = try r.uint64()
    root = try r.string()
    // Wherever the record came from (a remote, a project, a draft part),
    // its root must stay inside the repository and out of `.art`.
    if let problem = VersionRecord.rootProblem(root) {
      throw ArtError.corrupt(subject, "its root folder '\(root)' has \(problem)")
    }
    manifest = try r.objectID()
    files = try r.uint64()
    size = try r.uint64()
    previous = try r.uint8() == 1 ? try r.objectID() : nil
    description = try r.string()
    metadata = try r.string()
    created = Int64(bitPattern: try r.uint64())
    let count = try r.uint32()
    guard UInt64(count) * 32 <= UInt64(r.remaining) else {
      throw ArtError.corrupt(subject, "input count \(count) does not fit its size")
    }
    inputs = try (0..<count).map { _ in try r.objectID() }
    job = try r.string()
    expires = try r.uint8() == 1 ? Int64(bitPattern: try r.uint64()) : nil
    distributedID = try r.string()
    if layout >= 2 {
      run = try r.string()
      guard !run.isEmpty || layout == 3 else {
        throw ArtError.corrupt(subject, "layout 2 with an empty run")
      }
    }
    if layout == 3 {
      referenceCount = try r.uint64()
      referenceBytes = try r.uint64()
      guard referenceCount > 0 else {
        throw ArtError.corrupt(subject, "layout 3 without references")
      }
    }
    guard r.remaining == 0 else {
      throw ArtError.corrupt(subject, "\(r.remaining) bytes after the last field")
    }
  }
}

extension VersionRecord {
  /// Why `root` cannot be a version's root folder, or nil when it can: it
  /// must be relative and normalized (`a/b`, or empty for the repository's
  /// top), each component a name a manifest may hold (so never `..` or
  /// `.art`).
  public static func rootProblem(_ root: String) -> String? {
    if root.hasPrefix("/") { return "a leading '/'" }
    return ConfinedPath.problem(root)
  }

  /// The root folder as a confined path below the repository's top.
  public func rootPath() throws -> ConfinedPath { try ConfinedPath(root) }
}

extension ObjectStore {
  /// Reads and parses the version record `id`, its root checked.
  ///
  /// - Throws: ``ArtError`` with code `.notFound` or `.corruptData`.
  public func versionRecord(_ id: ObjectID) throws -> VersionRecord {
    try VersionRecord(decoding: read(id, as: .version), id: id)
  }
}
