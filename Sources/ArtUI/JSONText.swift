import ArtCore

/// JSON values as short text.
enum JSONText {
  /// `0.93`, `"text"` shown bare, `[1,2]`, `{"a":1}`.
  static func compact(_ value: JSONValue) -> String {
    switch value {
    case .null: "null"
    case .bool(let flag): flag ? "true" : "false"
    case .integer(let number): "\(number)"
    case .number(let number): "\(number)"
    case .string(let text): text
    case .array(let items): "[" + items.map(quoted).joined(separator: ", ") + "]"
    case .object(let members):
      "{"
        + members.sorted { $0.key < $1.key }.map { "\(quote($0.key)): \(quoted($0.value))" }
        .joined(separator: ", ") + "}"
    }
  }

  private static func quoted(_ value: JSONValue) -> String {
    if case .string(let text) = value { return quote(text) }
    return compact(value)
  }

  private static func quote(_ text: String) -> String {
    var quoted = "\""
    for character in text {
      if character == "\\" || character == "\"" { quoted.append("\\") }
      quoted.append(character)
    }
    return quoted + "\""
  }
}
