/// HTML text with every untrusted value escaped where it is added.
///
/// Names, paths, metadata and table cells come from versions that another
/// project or a remote may have written: they reach a page only through
/// ``text(_:)`` or ``attribute(_:)``, never as markup.
struct HTML: Sendable {
  /// The markup so far.
  private(set) var markup = ""

  /// Appends markup written in this module (never data).
  mutating func raw(_ markup: String) { self.markup += markup }

  /// Appends `value` as text.
  mutating func text(_ value: String) { markup += HTML.escape(value) }

  /// Appends an element holding `value` as text: `<td class="n">12</td>`.
  mutating func element(_ tag: String, _ value: String, class name: String? = nil) {
    markup += "<\(tag)\(name.map { " class=\"\($0)\"" } ?? "")>\(HTML.escape(value))</\(tag)>"
  }

  /// Appends a link to `href` (already a URL this module made) with text `value`.
  mutating func link(_ href: String, _ value: String, class name: String? = nil) {
    markup +=
      "<a href=\"\(HTML.escape(href))\"\(name.map { " class=\"\($0)\"" } ?? "")>"
      + "\(HTML.escape(value))</a>"
  }

  /// `value` safe as element text and as a quoted attribute value: `&`,
  /// `<`, `>`, `"` and `'` become character references, and U+FFFD
  /// replaces controls other than tab, newline and carriage return (which
  /// HTML must not hold) and the bidirectional overrides and isolates
  /// (U+202A–U+202E, U+2066–U+2069), which could show a name reversed.
  static func escape(_ value: String) -> String {
    var result = ""
    result.reserveCapacity(value.utf8.count)
    for scalar in value.unicodeScalars {
      switch scalar {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
      default:
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
          || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        {
          result += "\u{FFFD}"
        } else {
          result.unicodeScalars.append(scalar)
        }
      }
    }
    return result
  }

  /// `value` escaped as an attribute: the same as ``escape(_:)``.
  static func attribute(_ value: String) -> String { escape(value) }
}
