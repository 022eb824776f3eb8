/// Aliases and tags as pills.
enum Pills {
  static func aliases(_ names: [String]) -> String {
    names.map { "<span class=\"pill\">\(HTML.escape($0))</span>" }.joined()
  }
  static func tags(_ names: [String]) -> String {
    names.map { "<span class=\"pill tag\">\(HTML.escape($0))</span>" }.joined()
  }
}
