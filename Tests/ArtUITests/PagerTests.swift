import ArtCore
import Testing

@testable import ArtUI

@Suite("Table pager")
struct PagerTests {
  @Test func pagesSplitAKnownTotal() {
    let pager = Pager(page: 2, size: 10, total: 25)
    #expect(pager.range == 10..<20)
    #expect(pager.pageCount == 3)
    #expect(pager.hasNext())
    #expect(Pager(page: 3, size: 10, total: 25).range == 20..<25)
    #expect(!Pager(page: 3, size: 10, total: 25).hasNext())
  }

  @Test func aPageBeyondTheEndShowsTheLastOne() {
    #expect(Pager(page: 99, size: 10, total: 25).page == 3)
    #expect(Pager(page: 0, size: 10, total: 25).page == 1)
    #expect(Pager(page: -5, size: 10, total: 25).range == 0..<10)
  }

  @Test func anEmptyListHasOneEmptyPage() {
    let pager = Pager(page: 4, size: 10, total: 0)
    #expect(pager.page == 1)
    #expect(pager.range.isEmpty)
    #expect(pager.pageCount == 1)
  }

  @Test func anUnknownTotalPagesOnWhileMoreFollow() {
    let pager = Pager(page: 7, size: 100, total: nil)
    #expect(pager.range == 600..<700)
    #expect(pager.hasNext(more: true))
    #expect(!pager.hasNext(more: false))
  }

  @Test func aHugePageNumberDoesNotOverflow() {
    let pager = Pager(page: Int.max, size: 1000, total: nil)
    #expect(pager.range.isEmpty)
  }

  @Test func noPageHoldsMoreThanItsSize() {
    for total in [0, 1, 99, 100, 101, 12_345] {
      let size = 100
      let count = Pager(page: 1, size: size, total: total).pageCount!
      var seen = 0
      for page in 1...count {
        let range = Pager(page: page, size: size, total: total).range
        #expect(range.count <= size)
        #expect(range.lowerBound == seen)
        seen = range.upperBound
      }
      #expect(seen == total)
    }
  }

  @Test func tablePagesReadOnlyUpToThePage() throws {
    var csv = "id,name\n"
    for row in 0..<1000 { csv += "\(row),n\(row)\n" }
    let bytes = Array(csv.utf8)
    var fed = 0
    let slice = try TablePreview.read(
      pieces: { body in
        // In pieces of 100 bytes, counting what was read.
        var start = 0
        while start < bytes.count {
          let end = min(start + 100, bytes.count)
          fed = end
          try bytes[start..<end].withUnsafeBytes { try body($0) }
          start = end
        }
      }, format: .csv, pager: Pager(page: 3, size: 10, total: nil), limit: 1 << 30)
    #expect(slice.columns == ["id", "name"])
    #expect(slice.rows.map { $0[0] } == (20..<30).map(String.init))
    #expect(slice.lines.first == 22)
    #expect(slice.more)
    #expect(fed < bytes.count / 10, "read \(fed) of \(bytes.count) bytes for page 3")
  }

  @Test func jsonLinesBecomeColumnsByKey() throws {
    let text = #"{"b":1,"a":"x"}"# + "\n" + #"{"c":[1,2]}"# + "\nnot json\n"
    let bytes = Array(text.utf8)
    let slice = try TablePreview.read(
      pieces: { body in try bytes.withUnsafeBytes { try body($0) } }, format: .jsonl,
      pager: Pager(page: 1, size: 10, total: nil), limit: 1 << 30)
    #expect(slice.columns == ["a", "b", "c", "(not a JSON object)"])
    #expect(slice.rows[0] == ["x", "1", "", ""])
    #expect(slice.rows[1] == ["", "", "[1, 2]", ""])
    #expect(slice.rows[2].last == "not json")
    #expect(!slice.more)
  }
}

@Suite("Pager bounds")
struct PagerBoundsTests {
  @Test func controlsForAPagePastEverythingDoNotTrap() {
    let linker = Linker(.server(base: ""))
    let pager = Pager(page: Int.max, size: 100, total: nil)
    let html = pager.controls(linker, more: false) {
      Location.file("ds", 1, path: "t.csv", page: $0)
    }
    #expect(html.contains("first page"))
  }

  @Test func aHugeTotalCountsItsPagesWithoutOverflow() {
    let pager = Pager(page: 1, size: 256 << 10, total: Int.max)
    #expect(pager.pageCount == Int.max / (256 << 10) + 1)
    #expect(Pager(page: Int.max, size: 4096, total: Int.max).range.upperBound == Int.max)
  }
}
