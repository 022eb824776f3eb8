import ArtStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A JSON value, as stored in a version's metadata.
public enum JSONValue: Codable, Sendable, Equatable {
  case null
  case bool(Bool)
  case integer(Int64)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int64.self) {
      self = .integer(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let value): try container.encode(value)
    case .integer(let value): try container.encode(value)
    case .number(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .array(let value): try container.encode(value)
    case .object(let value): try container.encode(value)
    }
  }

  /// `value` typed as JSON when it parses as a number, boolean or null
  /// (`42`, `0.5`, `true`, `null`), otherwise kept as a string.
  public static func typed(_ value: String) -> JSONValue {
    switch value {
    case "true": return .bool(true)
    case "false": return .bool(false)
    case "null": return .null
    default:
      if let integer = Int64(value) { return .integer(integer) }
      if let number = Double(value), number.isFinite, value.first != "+",
        value.allSatisfy({ "0123456789.eE+-".contains($0) })
      {
        return .number(number)
      }
      return .string(value)
    }
  }
}

/// A version's metadata: a JSON object, serialized with sorted keys so that
/// equal metadata gives equal records.
public enum Metadata {
  /// Canonical text of `object`.
  public static func canonical(_ object: [String: JSONValue]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(object) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  /// Parses a JSON object (from `--metadata-file` or a stored record).
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument` naming `source`.
  public static func parse(_ bytes: [UInt8], source: String) throws -> [String: JSONValue] {
    let object: [String: JSONValue]
    do {
      object = try JSONDecoder().decode([String: JSONValue].self, from: Data(bytes))
    } catch {
      throw ArtError(
        .invalidArgument, "\(source) is not a JSON object",
        hint: "write it as {\"key\": value, …}", underlying: error)
    }
    // A decoder keeps one of two equal keys without a word: refused instead.
    if let key = duplicateKey(in: bytes) {
      throw ArtError(
        .invalidArgument, "\(source) has the key '\(key)' twice in one object",
        hint: "keep one of them")
    }
    return object
  }

  /// The first key that appears twice in one object of the JSON text
  /// `bytes` (compared as written), if any.
  static func duplicateKey(in bytes: [UInt8]) -> String? {
    // Per open object or array: whether it is an object, its keys so far,
    // and whether the next string is a key.
    var stack: [(isObject: Bool, keys: Set<ArraySlice<UInt8>>, expectsKey: Bool)] = []
    var index = 0
    while index < bytes.count {
      switch bytes[index] {
      case UInt8(ascii: "{"): stack.append((true, [], true))
      case UInt8(ascii: "["): stack.append((false, [], false))
      case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
      case UInt8(ascii: ","):
        if stack.last?.isObject == true { stack[stack.count - 1].expectsKey = true }
      case UInt8(ascii: "\""):
        var end = index + 1
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
          end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
        }
        if let top = stack.last, top.isObject, top.expectsKey {
          let key = bytes[min(index + 1, bytes.count)..<min(end, bytes.count)]
          if !stack[stack.count - 1].keys.insert(key).inserted {
            return String(decoding: key, as: UTF8.self)
          }
          stack[stack.count - 1].expectsKey = false
        }
        index = end
      default: break
      }
      index += 1
    }
    return nil
  }

  /// `metadata` with each `KEY=VALUE` of `pairs` set, later ones winning.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public static func adding(_ pairs: [String], to metadata: [String: JSONValue]) throws
    -> [String: JSONValue]
  {
    var result = metadata
    for text in pairs {
      let (key, value) = try pair(text)
      result[key] = value
    }
    return result
  }

  /// Parses `KEY=VALUE`.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public static func pair(_ text: String) throws -> (String, JSONValue) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
      throw ArtError(
        .invalidArgument, "metadata '\(text)' is not KEY=VALUE",
        hint: "for example --metadata rows=1200 or --metadata source=s3")
    }
    return (String(text[..<equals]), JSONValue.typed(String(text[text.index(after: equals)...])))
  }
}

/// Parses durations such as `90s`, `45m`, `12h`, `30d`, `2w`, `1y` (365 days).
public enum DurationText {
  /// Milliseconds in `text`; zero only when `allowingZero`.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public static func milliseconds(_ text: String, allowingZero: Bool = false) throws -> Int64 {
    // "0" and "0s", "0h", … are no time at all, where zero makes sense.
    if allowingZero, text == "0" || (text.count > 1 && text.dropLast().allSatisfy { $0 == "0" }),
      let unit = text.last, unit == "0" || "smhdwy".contains(unit)
    {
      return 0
    }
    let units: [Character: Int64] = [
      "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
      "y": 31_536_000_000,
    ]
    guard let unit = text.last, let scale = units[unit], let count = Int64(text.dropLast()),
      count > 0, count < Int64.max / scale
    else {
      throw ArtError(
        .invalidArgument, "'\(text)' is not a duration",
        hint: "use a positive number and a unit: 90s, 45m, 12h, 30d, 2w, 1y")
    }
    return count * scale
  }

  /// `ms` as the largest unit that divides it (`30d`, `12h`, `90s`); whole
  /// seconds otherwise.
  public static func text(_ ms: Int64) -> String {
    let units: [(Character, Int64)] = [
      ("y", 31_536_000_000), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000),
      ("m", 60_000), ("s", 1000),
    ]
    for (unit, scale) in units where ms >= scale && ms % scale == 0 {
      return "\(ms / scale)\(unit)"
    }
    return "\(ms / 1000)s"
  }
}

extension Int64 {
  /// `self + other`, held at `Int64.max` / `.min` instead of overflowing
  /// (a TTL of a billion years after a creation time).
  public func addingSaturating(_ other: Int64) -> Int64 {
    let (sum, overflow) = addingReportingOverflow(other)
    return overflow ? (other > 0 ? .max : .min) : sum
  }

  /// `self - other`, held at `Int64.max` / `.min` instead of overflowing
  /// (the age of a time a crafted record or part says).
  public func subtractingSaturating(_ other: Int64) -> Int64 {
    let (difference, overflow) = subtractingReportingOverflow(other)
    return overflow ? (other < 0 ? .max : .min) : difference
  }
}

/// One metadata key that differs between two versions: the metrics and
/// params diff (`acc: 0.91 -> 0.93`).
public struct MetadataChange: Sendable, Equatable, Encodable {
  /// The key; nested keys by dotted path (`aug.rotation`).
  public var key: String
  /// The value before; nil when the key was added.
  public var old: JSONValue?
  /// The value after; nil when the key was removed.
  public var new: JSONValue?
}

extension Metadata {
  /// The keys whose values differ from `old` to `new`, sorted by key.
  ///
  /// Objects are compared key by key (dotted paths); any other value,
  /// arrays included, as a whole.
  public static func changes(from old: [String: JSONValue], to new: [String: JSONValue])
    -> [MetadataChange]
  {
    var result: [MetadataChange] = []
    func compare(_ a: JSONValue?, _ b: JSONValue?, _ key: String) {
      if case .object(let x)? = a, case .object(let y)? = b {
        for name in Set(x.keys).union(y.keys) {
          compare(x[name], y[name], key.isEmpty ? name : key + "." + name)
        }
      } else if a != b {
        result.append(MetadataChange(key: key, old: a, new: b))
      }
    }
    compare(.object(old), .object(new), "")
    return result.sorted { $0.key < $1.key }
  }
}

extension JSONValue {
  /// What kind of value this is, for messages: `number`, `string`, ….
  public var kind: String {
    switch self {
    case .null: "null"
    case .bool: "boolean"
    case .integer, .number: "number"
    case .string: "string"
    case .array: "list"
    case .object: "object"
    }
  }
}

extension Metadata {
  /// The value at `key` in `metadata`: the top-level key when there is
  /// one, else the dotted path through nested objects (`aug.rotation`).
  public static func value(at key: String, in metadata: [String: JSONValue]) -> JSONValue? {
    if let value = metadata[key] { return value }
    let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard parts.count > 1, var current = metadata[parts[0]] else { return nil }
    for part in parts.dropFirst() {
      guard case .object(let object) = current, let next = object[part] else { return nil }
      current = next
    }
    return current
  }

  /// Sets (or with nil, removes) `key` in `metadata`: the top-level key
  /// when it exists or has no dot, else the dotted path, making the
  /// objects on the way (a value in the way is replaced by an object).
  public static func set(
    _ key: String, to value: JSONValue?, in metadata: inout [String: JSONValue]
  ) {
    let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    if metadata[key] != nil || parts.count == 1 || parts.contains("") {
      metadata[key] = value
      return
    }
    func apply(_ object: inout [String: JSONValue], _ path: ArraySlice<String>) {
      guard let first = path.first else { return }
      if path.count == 1 {
        object[first] = value
        return
      }
      var inner: [String: JSONValue] = [:]
      if case .object(let existing)? = object[first] { inner = existing }
      if value == nil, object[first] == nil { return }
      apply(&inner, path.dropFirst())
      // Removing the last key of an object removes the object.
      object[first] = value == nil && inner.isEmpty ? nil : .object(inner)
    }
    apply(&metadata, parts[...])
  }
}
