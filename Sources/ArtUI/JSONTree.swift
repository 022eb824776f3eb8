import ArtCore

/// Metadata as nested lists: the top level open, nested objects and
/// arrays folded under `<details>`.
enum JSONTree {
  /// Keys or items shown per object or array; the page says how many more.
  static let shown = 1000

  /// `value` as HTML, every key and value escaped.
  static func html(_ value: JSONValue) -> String {
    var html = HTML()
    add(&html, value)
    return html.markup
  }

  private static func add(_ html: inout HTML, _ value: JSONValue) {
    switch value {
    case .object(let members):
      if members.isEmpty { return html.raw("<span class=\"mono\">{}</span>") }
      html.raw("<dl class=\"facts json\">")
      for (key, member) in members.sorted(by: { $0.key < $1.key }).prefix(shown) {
        html.raw("<dt class=\"mono\">")
        html.text(key)
        html.raw("</dt><dd>")
        nested(&html, member)
        html.raw("</dd>")
      }
      more(&html, members.count)
      html.raw("</dl>")
    case .array(let items):
      if items.isEmpty { return html.raw("<span class=\"mono\">[]</span>") }
      html.raw("<dl class=\"facts json\">")
      for (index, item) in items.prefix(shown).enumerated() {
        html.raw("<dt class=\"mono\">[\(index)]</dt><dd>")
        nested(&html, item)
        html.raw("</dd>")
      }
      more(&html, items.count)
      html.raw("</dl>")
    default:
      html.raw("<span class=\"mono\">")
      html.text(JSONText.compact(value))
      html.raw("</span>")
    }
  }

  /// `… 12 more`, when `count` is past ``shown``.
  private static func more(_ html: inout HTML, _ count: Int) {
    guard count > shown else { return }
    html.raw("<dt class=\"muted\">…</dt><dd class=\"muted\">")
    html.text("\(count - shown) more ('art show --json' has them all)")
    html.raw("</dd>")
  }

  private static func nested(_ html: inout HTML, _ value: JSONValue) {
    let folded: (count: Int, noun: String)? =
      switch value {
      case .object(let members) where !members.isEmpty: (members.count, "key")
      case .array(let items) where !items.isEmpty: (items.count, "item")
      default: nil
      }
    guard let folded else { return add(&html, value) }
    html.raw("<details><summary>")
    html.text(HumanText.count(folded.count, folded.noun))
    html.raw("</summary>")
    add(&html, value)
    html.raw("</details>")
  }
}
