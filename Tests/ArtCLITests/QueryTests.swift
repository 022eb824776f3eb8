import ArtCore
import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Bundles (`--reference art:SPEC`) and queries (`log`/`ls` filters,
/// `checkout --match`), run in process.
@Suite("Bundles and queries, in process")
struct QueryTests {
  /// Runs art in process in `folder` (see ``artInProcess(_:in:clockAhead:)``).
  func art(_ arguments: String..., in folder: FilePath) async throws -> ProcessResult {
    await artInProcess(arguments, in: folder)
  }

  func json(_ result: ProcessResult) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(result.standardOutputBytes))
  }

  @Test func bundleChecksOutWholeAndKeepsItsDatasetThroughGC() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try writeFile(.random(count: 300_000, seed: 1), to: folder.appending("data/train.bin"))
      try writeFile(Array("id,label\n".utf8), to: folder.appending("data/labels.csv"))
      #expect(try await art("commit", "ds", "data", "--alias", "candidate", in: folder).status == 0)
      let first = try readFile(folder.appending("data/train.bin"))
      try writeFile(.random(count: 300_000, seed: 2), to: folder.appending("model/model.pt"))
      try writeFile(Array("lr: 0.1\n".utf8), to: folder.appending("model/config.yaml"))
      let bundle = try await art(
        "commit", "bundle", "model", "--type", "model", "--reference", "art:ds:candidate=dataset",
        in: folder)
      #expect(bundle.status == 0, "\(bundle.standardError)")
      // The alias moves on; the bundle keeps the version it was made with.
      try writeFile(.random(count: 300_000, seed: 3), to: folder.appending("data/train.bin"))
      #expect(try await art("commit", "ds", "data", "-q", in: folder).status == 0)
      #expect(try await art("alias", "set", "ds:v1", "candidate", in: folder).status == 0)
      try writeFile(.random(count: 300_000, seed: 4), to: folder.appending("data/train.bin"))
      #expect(try await art("commit", "ds", "data", "-q", in: folder).status == 0)

      let show = try await art("show", "bundle", "--json", in: folder)
      let report = try json(show) as? [String: Any]
      let entries = report?["bundleEntries"] as? [[String: Any]]
      #expect(entries?.first?["path"] as? String == "dataset", "\(show.standardOutput)")
      #expect(entries?.first?["version"] as? String == "ds:v0")
      #expect(
        try await art("show", "bundle", in: folder).standardOutput.contains("dataset -> art:ds:v0"))
      let manifest = report?["manifest"] as? String ?? ""
      let listing = try await art("ls-manifest", manifest, in: folder)
      #expect(listing.standardOutput.contains("version"), "\(listing.standardOutput)")
      #expect(listing.standardOutput.contains("dataset -> art:ds:v0"))
      #expect(
        try await art("lineage", "bundle", in: folder).standardOutput.contains("← ds:v0"))

      // gc with keep-last 1 would drop ds:v0, but the kept bundle needs it.
      let gc = try await art("gc", "--keep-last", "1", "--grace", "0s", "--explain", in: folder)
      #expect(gc.status == 0, "\(gc.standardError)")
      #expect(gc.standardOutput.contains("keep ds:v0"), "\(gc.standardOutput)")
      #expect(try await art("fsck", "--full", in: folder).status == 0)

      let copy = try await art("checkout", "bundle", "--to", "out", in: folder)
      #expect(copy.status == 0, "\(copy.standardError)")
      #expect(try readFile(folder.appending("out/dataset/train.bin")) == first)
      #expect(
        try readFile(folder.appending("out/model.pt"))
          == readFile(folder.appending("model/model.pt")))
      let skipped = try await art(
        "checkout", "bundle", "--to", "out2", "--skip-references", in: folder)
      #expect(skipped.standardOutput.contains("1 reference skipped"), "\(skipped.standardOutput)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("out2/dataset").string))
      #expect(FileManager.default.fileExists(atPath: folder.appending("out2/config.yaml").string))

      // In place, then a commit from the folder: the dataset stays a reference.
      #expect(try await art("checkout", "bundle", in: folder).status == 0)
      #expect(try readFile(folder.appending("model/dataset/train.bin")) == first)
      #expect(try await art("status", "bundle", in: folder).standardOutput.contains("clean"))
      try writeFile(Array("lr: 0.2\n".utf8), to: folder.appending("model/config.yaml"))
      let next = try await art(
        "commit", "bundle", "model", "--reference", "art:ds:v2=dataset", "--json", in: folder)
      #expect(next.status == 0, "\(next.standardError)")
      let nextReport = try json(next) as? [String: Any]
      #expect(nextReport?["files"] as? Int == 2, "\(next.standardOutput)")
      #expect(nextReport?["references"] as? Int == 1)
      let diff = try await art("diff", "bundle:v0", "bundle:v1", in: folder)
      #expect(diff.standardOutput.contains("M  dataset"), "\(diff.standardOutput)")
      #expect(diff.standardOutput.contains("[reference art:ds:v2 "), "\(diff.standardOutput)")
      #expect(diff.standardOutput.contains("M  config.yaml"))

      // A version that does not exist is an error at commit; nothing is made.
      let missing = try await art("commit", "bundle", "--reference", "art:ds:v9", in: folder)
      #expect(missing.status == 1)
      #expect(missing.standardError.contains("no version 'v9' of 'ds'"), "\(missing.standardError)")
      #expect(try await art("log", "bundle", in: folder).lines.count == 2)
      #expect(
        try await art("commit", "b2", "model", "--reference", "art:ds:v0=../x", in: folder).status
          == 64)
    }
  }

  @Test func partitionsAreFoundByMetadata() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      for year in 2020...2024 {
        for month in 1...12 {
          let name = "server_logs_\(year)_\(month < 10 ? "0" : "")\(month)"
          try writeFile(Array("\(year)-\(month)\n".utf8), to: folder.appending("p/\(name)/log.txt"))
          let result = try await art(
            "commit", name, "p/\(name)", "--type", "logs", "--metadata", "year=\(year)",
            "--metadata", "month=\(month)", "--metadata", "partition_key=\(name)", "-q",
            in: folder)
          #expect(result.status == 0, "\(result.standardError)")
        }
      }
      try writeFile(Array("x".utf8), to: folder.appending("m/w.bin"))
      #expect(
        try await art(
          "commit", "model", "m", "--type", "model", "--metadata", "year=2024", in: folder
        )
        .status == 0)

      func names(_ arguments: String...) throws -> [String] {
        let result = try ArtProcess.run(["ls", "--json"] + arguments, in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        let document =
          try JSONSerialization.jsonObject(with: Data(result.standardOutputBytes))
          as? [String: Any]
        let lines = document?["artifacts"] as? [[String: Any]]
        return (lines ?? []).compactMap { $0["name"] as? String }
      }
      #expect(try names("--type", "logs", "--metadata", "year=2022").count == 12)
      #expect(try names("--metadata", "year=2024").count == 13)  // the model too
      #expect(
        try names(
          "--type", "logs", "--metadata", "year=2021", "--metadata", "month>=3",
          "--metadata", "month<6")
          == ["server_logs_2021_03", "server_logs_2021_04", "server_logs_2021_05"])
      #expect(
        try names("--metadata", "month>10", "--metadata", "year<=2021")
          == [
            "server_logs_2020_11", "server_logs_2020_12", "server_logs_2021_11",
            "server_logs_2021_12",
          ])
      #expect(
        try names("--name", "server_logs_2023_*", "--metadata", "month<2") == [
          "server_logs_2023_01"
        ])
      #expect(
        try names("--metadata", "partition_key=server_logs_2020_07") == ["server_logs_2020_07"])
      #expect(try names("--metadata", "year=2030").isEmpty)
      #expect(try names("--since", "1h").count == 61)
      #expect(try names("--until", "2020-01-01").isEmpty)
      #expect(try names("--alias", "latest", "--type", "model") == ["model"])

      let log = try await art(
        "log", "--metadata", "year=2020", "--metadata", "month<=2", in: folder)
      #expect(log.lines.count == 2, "\(log.standardOutput)")
      #expect(log.lines.first?.hasPrefix("server_logs_2020_01:v0") == true)

      let checkout = try await art(
        "checkout", "--match", "--metadata", "year=2024", "--type", "logs", "--to", "out",
        in: folder)
      #expect(checkout.status == 0, "\(checkout.standardError)")
      #expect(checkout.lines.count == 12)
      #expect(
        try readFile(folder.appending("out/server_logs_2024_07/log.txt")) == Array("2024-7\n".utf8))

      for bad in [["--metadata", "year"], ["--metadata", "month>abc"], ["--since", "yesterday"]] {
        let result = try ArtProcess.run(["ls"] + bad, in: folder)
        #expect(result.status == 64, "\(bad): \(result.standardError)")
      }
      #expect(try await art("checkout", "--match", in: folder).status == 64)
      #expect(
        try await art("checkout", "--match", "--metadata", "year=1999", in: folder).status == 1)
    }
  }

  @Test func filteringTenThousandVersions() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      // 100 artifacts × 100 versions, written straight into one pack.
      let repository = try Repository(root: folder)
      let writer = repository.makeWriter()
      let compressor = Compressor(compression: writer.compression)
      let empty = try writer.write(
        Manifest(entries: []).encoded(), kind: .manifest, compressor: compressor)
      var ids: [(ArtifactName, ObjectID)] = []
      for index in 0..<10_000 {
        let artifact = try ArtifactName("part_\(index / 100)")
        let record = VersionRecord(
          artifact: artifact.text, type: "shard", number: UInt64(index % 100), root: "",
          manifest: empty, metadata: #"{"shard":\#(index),"year":\#(2000 + index % 25)}"#,
          created: 1_790_000_000_000 + Int64(index))
        ids.append(
          (artifact, try writer.write(record.encoded(), kind: .version, compressor: compressor)))
      }
      _ = try writer.finish()
      try repository.refs.update { refs in
        for (artifact, id) in ids {
          refs[RefName(artifact, .version(refs.nextNumber(of: artifact)))] = .version(id)
          refs[RefName(artifact, .alias(.latest))] = .version(id)
        }
      }
      let start = ContinuousClock.now
      let result = try await art("log", "--metadata", "shard>=9990", "--json", in: folder)
      let elapsed = ContinuousClock.now - start
      #expect(result.status == 0, "\(result.standardError)")
      let lines = (try json(result) as? [String: Any])?["versions"] as? [[String: Any]]
      #expect(lines?.count == 10)
      let years = try await art("ls", "--metadata", "year=2003", "--json", in: folder)
      #expect(
        ((try json(years) as? [String: Any])?["artifacts"] as? [[String: Any]])?.count == 100)
      // A figure for the record, not a check (timing varies with the machine).
      print("filtering 10,000 versions by metadata: \(elapsed)")
    }
  }
}
