/// Which slice of a long list one page shows: pages of `size` items,
/// numbered from 1, so no page holds more than `size` rows however long
/// the list is.
struct Pager: Equatable, Sendable {
  /// Items per page.
  let size: Int
  /// The page shown, from 1, clamped to the last page when the total is
  /// known.
  let page: Int
  /// How many items there are, when known (a table read as a stream
  /// knows only whether more follow).
  let total: Int?

  /// Page `page` of `total` items (nil: not known) in pages of `size`.
  init(page: Int, size: Int, total: Int?) {
    precondition(size > 0)
    self.size = size
    self.total = total
    let last = total.map { Self.pages($0, size) } ?? Int.max
    self.page = min(max(1, page), last)
  }

  /// The pages there are, when the total is known (1 for an empty list).
  var pageCount: Int? { total.map { Self.pages($0, size) } }

  /// Pages of `size` that `total` items fill, at least 1 (no overflow).
  private static func pages(_ total: Int, _ size: Int) -> Int {
    max(1, total / size + (total % size == 0 ? 0 : 1))
  }

  /// The indexes of the items this page shows.
  var range: Range<Int> {
    let start = (page - 1).multipliedReportingOverflow(by: size)
    guard !start.overflow else { return Int.max..<Int.max }
    let end = start.partialValue.addingReportingOverflow(size)
    let upper = end.overflow ? Int.max : end.partialValue
    return start.partialValue..<min(upper, total ?? upper)
  }

  /// Whether a page comes after this one (`more`: whether a stream had
  /// items past this page, for an unknown total).
  func hasNext(more: Bool = false) -> Bool {
    if let pageCount { return page < pageCount }
    return more
  }

  /// `‹ previous · 21–40 of 95 · next ›`, linking with `location(page)`.
  func controls(
    _ linker: Linker, more: Bool = false, shown: Int? = nil, _ location: (Int) -> Location
  ) -> String {
    if page == 1, !hasNext(more: more) { return "" }
    // Past every item (a page number typed by hand): back to the start.
    if range.lowerBound == Int.max {
      return
        "<div class=\"pager\"><a href=\"\(HTML.escape(linker.href(location(1))))\">first page</a></div>"
    }
    var html = HTML()
    html.raw("<div class=\"pager\">")
    if page > 1 { html.link(linker.href(location(page - 1)), "‹ previous") }
    let count = shown ?? range.count
    let first = range.lowerBound + 1
    html.text(
      count == 0
        ? "page \(page)"
        : "\(first)–\(range.lowerBound + count)" + (total.map { " of \($0)" } ?? ""))
    if hasNext(more: more) { html.link(linker.href(location(page + 1)), "next ›") }
    html.raw("</div>")
    return html.markup
  }
}
