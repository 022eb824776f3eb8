import ArtCore
import ArtStore

/// A CSV, TSV or JSON Lines file as a table, one page of rows at a time:
/// the file is read as a stream up to the page's last row, so memory is
/// one page whatever the file's size.
enum TablePreview {
  private struct Enough: Error {}

  /// The rows of page `page` (from 1) of a table: its columns, the rows,
  /// whether more follow, and whether the scan stopped at
  /// ``FilePage/tableScanLimit`` before reaching them.
  struct Slice: Equatable {
    var columns: [String] = []
    var rows: [[String]] = []
    var more = false
    var stoppedEarly = false
    /// The file line of each row.
    var lines: [Int] = []
  }

  /// Writes page `page` of the table `entry` into `body`, with its pager.
  ///
  /// - Throws: ``ArtError`` for damaged content.
  static func render(
    _ body: inout HTML, _ context: PageContext, entry: TreeEntry, format: TableFormat, page: Int,
    location: (Int) -> Location
  ) throws {
    let pager = Pager(page: page, size: FilePage.rowsPerPage, total: nil)
    let slice = try read(
      pieces: { body in try ContentReader.read(entry.id, from: context.repository.store, body) },
      format: format, pager: pager, limit: FilePage.tableScanLimit)
    let controls = FilePage.controls(
      context, pager, more: slice.more, shown: slice.rows.count, location)
    body.raw(controls)
    if slice.stoppedEarly {
      body.raw("<p class=\"error\">")
      body.text(
        "stopped after reading \(HumanText.bytes(FilePage.tableScanLimit)) of the file: "
          + "download it to see rows this far in, or records this long")
      body.raw("</p>")
    }
    body.raw("<table class=\"sortable\"><thead><tr><th class=\"n\">line</th>")
    for column in slice.columns { body.element("th", column) }
    body.raw("</tr></thead><tbody>")
    for (row, line) in zip(slice.rows, slice.lines) {
      body.raw("<tr><td class=\"n muted\">\(line)</td>")
      for cell in row { body.element("td", cell) }
      body.raw("</tr>")
    }
    body.raw("</tbody></table>")
    if slice.rows.isEmpty { body.raw("<p class=\"muted\">no rows on this page</p>") }
    body.raw(controls)
  }

  /// Page `pager.page` of the table read from `pieces`.
  ///
  /// Reading stops once the page and one row past it are in, or `limit`
  /// bytes are read.
  /// Bytes of a cell shown; a longer one is cut, marked with `…`.
  static let cellLimit = 2000

  /// A cell's text, cut at ``cellLimit`` bytes.
  static func cell(_ bytes: ArraySlice<UInt8>) -> String {
    guard bytes.count > cellLimit else { return String(decoding: bytes, as: UTF8.self) }
    return String(decoding: bytes.prefix(cellLimit), as: UTF8.self) + "…"
  }

  static func read(
    pieces: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void, format: TableFormat,
    pager: Pager, limit: UInt64
  ) throws -> Slice {
    var slice = Slice()
    var header: [String]? = format == .jsonl ? [] : nil
    var index = 0
    var jsonRows: [[String: JSONValue]] = []
    let wanted = pager.range
    var parser = RowParser(format: format) { record in
      if header == nil {
        header = record.headerNames
        return
      }
      defer { index += 1 }
      if index < wanted.lowerBound { return }
      if index >= wanted.upperBound {
        slice.more = true
        throw Enough()
      }
      slice.lines.append(record.line)
      if format == .jsonl {
        let values =
          (try? Metadata.parse(record.bytes, source: "")) ?? [
            "(not a JSON object)": .string(String(decoding: record.bytes, as: UTF8.self))
          ]
        jsonRows.append(values)
      } else {
        slice.rows.append((0..<record.fields.count).map { cell(record.field($0)) })
      }
    }
    var read: UInt64 = 0
    do {
      try pieces { piece in
        try parser.feed(piece)
        read += UInt64(piece.count)
        // A page reads at most `limit` bytes, however far in it is and
        // however long a record runs (an unclosed quote, a huge line).
        if read >= limit {
          slice.stoppedEarly = true
          throw Enough()
        }
      }
      try parser.finish()
    } catch is Enough {}
    if format == .jsonl {
      jsonRows = jsonRows.map {
        $0.mapValues { value in
          if case .string(let text) = value, text.utf8.count > cellLimit {
            return .string(cell(Array(text.utf8)[...]))
          }
          return value
        }
      }
      var columns: [String] = []
      var seen: Set<String> = []
      for row in jsonRows {
        for key in row.keys.sorted() where seen.insert(key).inserted { columns.append(key) }
      }
      slice.columns = columns
      slice.rows = jsonRows.map { row in columns.map { row[$0].map(JSONText.compact) ?? "" } }
    } else {
      slice.columns = header ?? []
      // A row with more fields than the header gets unnamed columns.
      let widest = slice.rows.map(\.count).max() ?? 0
      while slice.columns.count < widest { slice.columns.append("") }
    }
    return slice
  }
}
