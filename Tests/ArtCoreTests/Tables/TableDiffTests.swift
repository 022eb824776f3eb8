import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtCore

@Suite("Row parser")
struct RowParserTests {
  /// Every record as (line, fields, problem), fed in pieces of `piece` bytes.
  func parse(_ text: String, _ format: TableFormat = .csv, piece: Int = 3) throws
    -> [(Int, [String], String?)]
  {
    try parseWithOffsets(text, format, piece: piece).map { ($0.0, $0.1, $0.2) }
  }

  func parseWithOffsets(_ text: String, _ format: TableFormat = .csv, piece: Int = 3) throws
    -> [(Int, [String], String?, UInt64)]
  {
    var records: [(Int, [String], String?, UInt64)] = []
    var parser = RowParser(format: format) { record in
      records.append(
        (
          record.line,
          (0..<record.fields.count).map { String(decoding: record.field($0), as: UTF8.self) },
          record.problem, record.offset
        ))
    }
    let bytes = Array(text.utf8)
    var start = 0
    while start < bytes.count {
      let end = min(bytes.count, start + piece)
      try bytes[start..<end].withUnsafeBytes { try parser.feed($0) }
      start = end
    }
    try parser.finish()
    return records
  }

  @Test func readsRFC4180() throws {
    let records = try parse(
      "id,text,n\r\n1,\"a, b\",2\r\n2,\"say \"\"hi\"\"\",3\r\n3,\"two\nlines\",4\n\n4,,5")
    #expect(records.map(\.0) == [1, 2, 3, 4, 7])
    #expect(records[1].1 == ["1", "a, b", "2"])
    #expect(records[2].1 == ["2", "say \"hi\"", "3"])
    #expect(records[3].1 == ["3", "two\nlines", "4"])
    #expect(records[4].1 == ["4", "", "5"])
    #expect(records.allSatisfy { $0.2 == nil })
    // Each record's byte offset, where reading it back starts.
    let text = "a,b\r\n1,\"x\ny\"\n\n2,z\n"
    let offsets = try parseWithOffsets(text, piece: 2).map(\.3)
    #expect(offsets == [0, 5, 14])
    let jsonOffsets = try parseWithOffsets("{}\n\n{\"a\":1}\n", .jsonl, piece: 1).map(\.3)
    #expect(jsonOffsets == [0, 4])
  }

  @Test func reportsMalformedRecordsWithTheirLine() throws {
    let records = try parse("a,b\n1,\"x\"y\n2,\"open\n3,4\n")
    #expect(records[1].0 == 2)
    #expect(records[1].2?.contains("after the closing quote") == true)
    #expect(records[2].0 == 3)
    #expect(records[2].2?.contains("not closed") == true)
  }

  @Test func readsTSVAndJSONLines() throws {
    let tsv = try parse("a\tb\n\"x\ty\n", .tsv)
    #expect(tsv[1].1 == ["\"x", "y"])
    let jsonl = try parse("{\"a\":1}\r\n\n{\"a\":2}", .jsonl)
    #expect(jsonl.map(\.0) == [1, 3])
    #expect(jsonl[1].1 == ["{\"a\":2}"])
  }
}

@Suite("Table diff")
struct TableDiffTests {
  func diff(
    _ old: String, _ new: String, format: TableFormat = .csv, key: [String] = [],
    partitionBytes: UInt64? = nil, in folder: FilePath
  ) async throws -> TableDiffReport {
    try writeFile(Array(old.utf8), to: folder.appending("old"))
    try writeFile(Array(new.utf8), to: folder.appending("new"))
    var diff = TableDiff(
      path: "t", format: format, key: key, limit: 10, scratch: folder.appending("scratch"))
    if let partitionBytes { diff.bytesPerPartition = partitionBytes }
    return try await diff.run(
      old: .file(folder.appending("old")), new: .file(folder.appending("new")),
      sizes: (UInt64(old.utf8.count), UInt64(new.utf8.count)))
  }

  @Test func keyedRowsAddedRemovedAndChangedWithCells() async throws {
    try await withTemporaryDirectory { folder in
      let report = try await diff(
        "id,name,score,old\n1,a,0.5,x\n2,b,0.6,x\n3,c,0.7,x\n",
        "score,id,name,new\n0.5,1,a,y\n0.9,2,bb,y\n0.1,4,d,y\n", key: ["id"], in: folder)
      #expect(report.schema.added == ["new"])
      #expect(report.schema.removed == ["old"])
      #expect(report.schema.reordered)
      #expect(report.rows.old == 3 && report.rows.new == 3)
      // Rows are compared on the columns both sides have: the dropped
      // "old" and the added "new" change no row.
      #expect(report.rows.added == 1 && report.rows.removed == 1 && report.rows.changed == 1)
      #expect(report.rows.unchanged == 1)
      #expect(report.examples.added.first?.values["id"] == "4")
      #expect(report.examples.added.first?.line == 4)
      #expect(report.examples.removed.first?.values["name"] == "c")
      let second = report.examples.changed.first { $0.key["id"] == "2" }
      #expect(second?.cells.map(\.column) == ["name", "score"])
      #expect(second?.cells.first?.old == "b")
      #expect(second?.cells.first?.new == "bb")
    }
  }

  @Test func reorderedColumnsAloneChangeNoRow() async throws {
    try await withTemporaryDirectory { folder in
      let report = try await diff("a,b\n1,2\n3,4\n", "b,a\n2,1\n4,3\n", in: folder)
      #expect(report.schema.reordered)
      #expect(report.rows.unchanged == 2 && report.rows.added == 0 && report.rows.removed == 0)
    }
  }

  @Test func withoutAKeyRowsAreAMultiset() async throws {
    try await withTemporaryDirectory { folder in
      let report = try await diff(
        "a,b\n1,x\n1,x\n2,y\n", "a,b\n1,x\n2,y\n2,y\n3,z\n", in: folder)
      #expect(report.rows.removed == 1)  // one of the two 1,x
      #expect(report.rows.added == 2)  // a second 2,y and 3,z
      #expect(report.rows.unchanged == 2)
    }
  }

  @Test func duplicateKeysMalformedRowsAndCompoundKeys() async throws {
    try await withTemporaryDirectory { folder in
      let report = try await diff(
        "k1,k2,v\na,1,x\na,2,y\n", "k1,k2,v\na,1,x\na,1,z\n\"bad\"x,2,1\na,2,w\n",
        key: ["k1", "k2"], in: folder)
      #expect(report.duplicateKeyCount == 1)
      #expect(report.duplicateKeys.first?.version == "new")
      #expect(report.duplicateKeys.first?.lines == [2, 3])
      #expect(report.duplicateKeys.first?.key == ["k1": "a", "k2": "1"])
      #expect(report.malformedCount == 1)
      #expect(report.malformed.first?.line == 4)
      #expect(report.rows.changed == 1)  // a,2: y -> w
      let missing = try await diff("a\n1\n", "a\n2\n", key: ["id"], in: folder)
      #expect(missing.error?.contains("no column 'id'") == true)
    }
  }

  @Test func jsonLinesCompareByKeys() async throws {
    try await withTemporaryDirectory { folder in
      let report = try await diff(
        "{\"id\":1,\"v\":\"x\"}\n{\"id\":2,\"v\":[1,2]}\n",
        "{\"v\":\"x\",\"id\":1}\n{\"id\":2,\"v\":[1,3],\"w\":true}\nnope\n", format: .jsonl,
        key: ["id"], in: folder)
      #expect(report.schema.added == ["w"])
      #expect(report.rows.unchanged == 1 && report.rows.changed == 1)
      #expect(report.examples.changed.first?.cells.first?.new == "[1,3]")
      #expect(report.malformed.first?.line == 3)
    }
  }

  @Test func spilledPartitionsGiveTheSameCounts() async throws {
    try await withTemporaryDirectory { folder in
      var old = "id,v\n"
      var new = "id,v\n"
      for i in 0..<20_000 {
        old += "\(i),\(i % 7)\n"
        if i % 100 == 0 { continue }  // removed
        new += "\(i),\(i % 50 == 1 ? 99 : i % 7)\n"
      }
      for i in 20_000..<20_150 { new += "\(i),1\n" }
      let inMemory = try await diff(old, new, key: ["id"], in: folder)
      let spilled = try await diff(old, new, key: ["id"], partitionBytes: 16 << 10, in: folder)
      for report in [inMemory, spilled] {
        #expect(report.rows.removed == 200)
        #expect(report.rows.added == 150)
        #expect(report.rows.changed == 400)  // i % 50 == 1 (never a multiple of 100)
        #expect(report.examples.added.map(\.line) == Array(19_802..<19_812))
        #expect(report.examples.added.first?.values == ["id": "20000", "v": "1"])
        #expect(report.examples.removed.first?.values == ["id": "0", "v": "0"])
        #expect(report.examples.changed.first?.cells.first?.new == "99")
      }
      #expect(!FileManager.default.fileExists(atPath: folder.appending("scratch").string))
    }
  }
}
