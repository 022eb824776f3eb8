import ArtCore
import ArtStore

/// Metadata as nested lists, objects and arrays folded under `<details>`.
enum JSONTree {
  static func html(_ value: JSONValue, open: Bool = false) -> String {
    var html = HTML()
    add(&html, value, open: open)
    return html.markup
  }

  private static func add(_ html: inout HTML, _ value: JSONValue, open: Bool) {
    switch value {
    case .object(let members):
      if members.isEmpty { return html.raw("<span class=\"mono\">{}</span>") }
      html.raw("<dl class=\"facts json\">")
      for (key, member) in members.sorted(by: { $0.key < $1.key }) {
        html.raw("<dt class=\"mono\">")
        html.text(key)
        html.raw("</dt><dd>")
        nested(&html, member)
        html.raw("</dd>")
      }
      html.raw("</dl>")
    case .array(let items):
      if items.isEmpty { return html.raw("<span class=\"mono\">[]</span>") }
      html.raw("<dl class=\"facts json\">")
      for (index, item) in items.enumerated() {
        html.raw("<dt class=\"mono\">[\(index)]</dt><dd>")
        nested(&html, item)
        html.raw("</dd>")
      }
      html.raw("</dl>")
    default:
      html.raw("<span class=\"mono\">")
      html.text(JSONText.compact(value))
      html.raw("</span>")
    }
  }

  private static func nested(_ html: inout HTML, _ value: JSONValue) {
    switch value {
    case .object(let members) where !members.isEmpty:
      html.raw("<details><summary>")
      html.text(HumanText.count(members.count, "key"))
      html.raw("</summary>")
      add(&html, value, open: false)
      html.raw("</details>")
    case .array(let items) where !items.isEmpty:
      html.raw("<details><summary>")
      html.text(HumanText.count(items.count, "item"))
      html.raw("</summary>")
      add(&html, value, open: false)
      html.raw("</details>")
    default:
      add(&html, value, open: false)
    }
  }
}
