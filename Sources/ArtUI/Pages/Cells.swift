import ArtCore

/// Table cells that sort by their value, not their text.
enum Cells {
  /// `1.5 MiB`, right-aligned, sorting by bytes.
  static func bytes(_ body: inout HTML, _ count: UInt64) {
    body.raw("<td class=\"n\" data-sort=\"\(count)\">")
    body.text(HumanText.bytes(count))
    body.raw("</td>")
  }

  /// `2026-11-30 04:51`, the full time on hover, sorting by the instant;
  /// empty for nil.
  static func time(_ body: inout HTML, _ milliseconds: Int64?) {
    guard let milliseconds else {
      return body.raw("<td class=\"time\" data-sort=\"\(Int64.max)\"></td>")
    }
    let full = HumanText.timestamp(milliseconds)
    body.raw(
      "<td class=\"time\" data-sort=\"\(milliseconds)\" title=\"\(HTML.attribute(full))\">")
    body.text(String(full.prefix(16)).replacingT())
    body.raw("</td>")
  }
}

extension String {
  /// `2026-11-30T04:51` as `2026-11-30 04:51`.
  fileprivate func replacingT() -> String {
    String(map { $0 == "T" ? " " : $0 })
  }
}
