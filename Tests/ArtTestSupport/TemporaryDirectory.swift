import Foundation
public import SystemPackage

/// Creates a fresh folder, passes it to `body`, and deletes it afterwards.
///
/// Each call gets its own folder, so tests stay independent when Swift
/// Testing runs them in parallel. Tests never change the current folder.
public func withTemporaryDirectory<R>(_ body: (FilePath) async throws -> R) async throws -> R {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("art-test-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
  defer { try? FileManager.default.removeItem(at: url) }
  return try await body(FilePath(url.path))
}

/// Writes `bytes` to `path`, creating parent folders.
public func writeFile(_ bytes: [UInt8], to path: FilePath) throws {
  let url = URL(fileURLWithPath: path.string)
  try FileManager.default.createDirectory(
    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
  try Data(bytes).write(to: url)
}

/// The bytes of the file at `path`.
public func readFile(_ path: FilePath) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: URL(fileURLWithPath: path.string)))
}
