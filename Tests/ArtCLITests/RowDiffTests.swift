import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// `art diff --rows`, run in process.
@Suite("Row-level diff, in process")
struct RowDiffTests {
  /// Runs art in process in `folder` (see ``artInProcess(_:in:clockAhead:)``).
  func art(_ arguments: String..., in folder: FilePath) async throws -> ProcessResult {
    await artInProcess(arguments, in: folder)
  }

  func rows(_ result: ProcessResult) throws -> [String: Any] {
    let report =
      try JSONSerialization.jsonObject(with: Data(result.standardOutputBytes))
      as? [String: Any]
    let files = report?["files"] as? [[String: Any]]
    return files?.first?["rows"] as? [String: Any] ?? [:]
  }

  @Test func millionRowsWithKnownChangesCountExactly() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      // 1,000,000 rows; then 1% changed, 0.5% removed, 0.5% added.
      var old = "id,name,value,category\n"
      var new = "id,name,value,category\n"
      old.reserveCapacity(40_000_000)
      new.reserveCapacity(40_000_000)
      for i in 0..<1_000_000 {
        let row = "\(i),name\(i % 977),\(i % 10_007),\"cat, \(i % 13)\"\n"
        old += row
        if i % 200 == 7 { continue }  // removed: 5,000
        if i % 100 == 3 {  // changed: 10,000
          new += "\(i),name\(i % 977),\(i % 10_007 + 1),\"cat, \(i % 13)\"\n"
        } else {
          new += row
        }
      }
      for i in 1_000_000..<1_005_000 { new += "\(i),new,\(i),\"cat, 0\"\n" }  // added: 5,000
      try writeFile(Array(old.utf8), to: folder.appending("data/table.csv"))
      try writeFile(Array("readme v1\n".utf8), to: folder.appending("data/README"))
      #expect(try await art("commit", "ds", "data", "-q", in: folder).status == 0)
      try writeFile(Array(new.utf8), to: folder.appending("data/table.csv"))
      try writeFile(Array("readme v2\n".utf8), to: folder.appending("data/README"))
      #expect(try await art("commit", "ds", "data", "-q", in: folder).status == 0)

      let keyed = try await art(
        "diff", "ds:v0", "ds:v1", "--rows", "--key", "id", "--json", in: folder)
      #expect(keyed.status == 0, "\(keyed.standardError)")
      let counts = try rows(keyed)
      #expect(counts["old"] as? Int == 1_000_000)
      #expect(counts["new"] as? Int == 1_000_000)
      #expect(counts["changed"] as? Int == 10_000)
      #expect(counts["added"] as? Int == 5_000)
      #expect(counts["removed"] as? Int == 5_000)
      #expect(counts["unchanged"] as? Int == 985_000)

      let unkeyed = try await art(
        "diff", "ds:v0", "ds:v1", "--rows", "--json", "--limit", "3", in: folder)
      let whole = try rows(unkeyed)
      #expect(whole["added"] as? Int == 15_000)
      #expect(whole["removed"] as? Int == 15_000)

      let text = try await art(
        "diff", "ds:v0", "ds:v1", "--rows", "--key", "id", "--limit", "2", in: folder)
      #expect(text.standardOutput.contains("table.csv (csv, key id)"), "\(text.standardOutput)")
      #expect(
        text.standardOutput.contains(
          "rows: 1000000 -> 1000000; 5000 added, 5000 removed, 10000 changed"))
      #expect(
        text.standardOutput.contains("~ id=3 (line 5 -> 5): value 3 -> 4"), "\(text.standardOutput)"
      )
      #expect(text.standardOutput.contains("- line 9: id=7, name=name7, value=7, category=cat, 7"))
      #expect(!text.standardOutput.contains("README"))
    }
  }

  @Test func againstTheFolderAndBadArguments() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try writeFile(Array("id\tv\n1\ta\n2\tb\n".utf8), to: folder.appending("d/t.tsv"))
      try writeFile(Array("{\"id\":1}\n".utf8), to: folder.appending("d/e.jsonl"))
      #expect(try await art("commit", "ds", "d", "-q", in: folder).status == 0)
      try writeFile(Array("id\tv\n1\ta\n2\tc\n3\td\n".utf8), to: folder.appending("d/t.tsv"))
      try writeFile(Array("{\"id\":2}\n".utf8), to: folder.appending("d/e.jsonl"))
      let result = try await art(
        "diff", "ds", "--rows", "--key", "id", "--path", "*.tsv", in: folder)
      #expect(result.status == 0, "\(result.standardError)")
      #expect(result.standardOutput.contains("rows: 2 -> 3; 1 added, 0 removed, 1 changed"))
      #expect(result.standardOutput.contains("~ id=2 (line 3 -> 3): v b -> c"))
      #expect(!result.standardOutput.contains("e.jsonl"))
      let missingKey = try await art(
        "diff", "ds", "--rows", "--key", "nope", "--path", "*.tsv", in: folder)
      #expect(
        missingKey.standardOutput.contains("cannot compare rows: old version: no column 'nope'"))
      #expect(try await art("diff", "ds", "--key", "id", in: folder).status == 64)
      #expect(try await art("diff", "ds", "--rows", "--format", "xml", in: folder).status == 64)
      let forced = try await art(
        "diff", "ds", "--rows", "--format", "csv", "--path", "*.jsonl", in: folder)
      #expect(forced.status == 0)
      #expect(forced.standardOutput.contains("e.jsonl (csv"))
    }
  }
}
