import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtCore

@Suite("Retention planner")
struct RetentionTests {
  /// Writes version records (empty manifest) and their refs; `inputs` names
  /// earlier versions by label.
  private func makeVersions(
    _ repository: Repository, _ specs: [(label: String, created: Int64, inputs: [String])]
  ) throws -> [String: ObjectID] {
    let writer = repository.makeWriter()
    let compressor = Compressor(compression: .none)
    let empty = try writer.write(
      Manifest(entries: []).encoded(), kind: .manifest, compressor: compressor)
    var ids: [String: ObjectID] = [:]
    for spec in specs {
      let parts = spec.label.split(separator: ":")
      let number = UInt64(parts[1].dropFirst()) ?? 0
      let record = VersionRecord(
        artifact: String(parts[0]), type: "dataset", number: number, root: "", manifest: empty,
        created: spec.created, inputs: spec.inputs.compactMap { ids[$0] })
      ids[spec.label] = try writer.write(record.encoded(), kind: .version, compressor: compressor)
    }
    _ = try writer.finish()
    try repository.refs.update { refs in
      for spec in specs {
        guard let id = ids[spec.label] else { continue }
        let artifact = try ArtifactName(String(spec.label.split(separator: ":")[0]))
        let number = VersionNumber(UInt64(spec.label.split(separator: ":")[1].dropFirst()) ?? 0)
        refs[RefName(artifact, .version(number))] = .version(id)
        refs[RefName(artifact, .alias(.latest))] = .version(id)
      }
    }
    return ids
  }

  @Test func inputsOfKeptVersionsAreKeptUnlessDropInputs() throws {
    let folder = FilePath(NSTemporaryDirectory()).appending("art-retention-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(atPath: folder.string) }
    try Repository.initialize(at: folder)
    let repository = try Repository(root: folder)
    let day: Int64 = 86_400_000
    let now: Int64 = 100 * day
    _ = try makeVersions(
      repository,
      [
        ("raw:v0", now - 50 * day, []), ("raw:v1", now - 40 * day, []),
        ("clean:v0", now - 30 * day, ["raw:v0"]), ("raw:v2", now - 20 * day, []),
        ("clean:v1", now - 15 * day, ["raw:v2"]), ("model:v0", now - 10 * day, ["clean:v0"]),
      ])
    var planner = RetentionPlanner(
      settings: GCSettings(), override: RetentionPolicy(keepLast: 1), protectedAliases: [],
      now: now)
    func verdicts() throws -> [String: (Bool, String)] {
      Dictionary(
        uniqueKeysWithValues: try planner.plan(repository.refs.read(), repository: repository).map {
          ($0.version.label, ($0.keep, $0.reason))
        })
    }
    let kept = try verdicts()
    #expect(kept["model:v0"]?.1 == "carries latest (kept by every retention policy, not by a TTL)")
    #expect(kept["clean:v1"]?.0 == true)
    #expect(kept["clean:v0"]?.1 == "input of kept model:v0")
    #expect(kept["raw:v0"]?.1 == "input of kept clean:v0", "transitively")
    #expect(kept["raw:v1"]?.0 == false)
    #expect(kept["raw:v1"]?.1 == "not one of the newest 1")
    #expect(kept["raw:v2"]?.0 == true)

    planner.dropInputs = true
    let dropped = try verdicts()
    #expect(dropped["raw:v0"]?.0 == false)
    #expect(dropped["clean:v0"]?.0 == false)

    planner.dropInputs = false
    planner.override = RetentionPolicy(keepWithin: 25 * day)
    let recent = try verdicts()
    #expect(recent["raw:v1"]?.1 == "older than 25d")
    #expect(recent["raw:v1"]?.0 == false)

    // No policy keeps everything, but an expired TTL still drops.
    planner.override = nil
    let raw = try repository.refs.read().versions(of: ArtifactName("raw"))
    planner.expiryOverrides = [raw[1].id: now - 1000]
    let expired = try verdicts()
    #expect(expired["raw:v1"]?.0 == false)
    #expect(expired["raw:v1"]?.1.hasPrefix("TTL expired") == true)
    #expect(expired["raw:v0"]?.1 == "no retention policy for its type")
  }
}
