import ArtStore

/// An artifact's name: `[A-Za-z0-9][A-Za-z0-9._-]*`, at most 128 characters.
public struct ArtifactName: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The name as typed.
  public let text: String

  /// Checks `text`.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument` naming the rule.
  public init(_ text: String) throws {
    guard isValidLabel(text) else {
      throw ArtError(
        .invalidArgument, "'\(text)' is not a valid artifact name",
        hint: "use letters, digits, '.', '_' and '-', starting with a letter or digit")
    }
    self.text = text
  }

  public var description: String { text }
  public static func < (a: ArtifactName, b: ArtifactName) -> Bool { a.text < b.text }
}

/// A movable label on one version of an artifact: same characters as a name,
/// but not `vN` (that is a version number) and not 4 or more hex digits
/// alone (that reads as an id).
public struct Alias: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The alias as typed.
  public let text: String

  /// `latest`, which art moves to every new version.
  public static let latest = Alias(unchecked: "latest")

  /// Checks `text`.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument` naming the rule.
  public init(_ text: String) throws {
    guard isValidLabel(text), VersionNumber(text) == nil,
      !(text.utf8.count >= 4 && text.utf8.allSatisfy { hexValue($0) != nil })
    else {
      throw ArtError(
        .invalidArgument, "'\(text)' is not a valid alias",
        hint: "use letters, digits, '.', '_' and '-'; 'v3' and hex ids are reserved")
    }
    self.text = text
  }

  private init(unchecked text: String) { self.text = text }

  public var description: String { text }
  public static func < (a: Alias, b: Alias) -> Bool { a.text < b.text }
}

/// The N of `vN`.
public struct VersionNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The number.
  public let value: UInt64

  /// A number.
  public init(_ value: UInt64) { self.value = value }

  /// The largest number a version may have: 2^53, so that the next one
  /// can always be counted and every number is exact in JSON.
  public static let maximum: UInt64 = 1 << 53

  /// Parses `v0`, `v12`; nil for anything else (no sign, no leading zeros,
  /// nothing above ``maximum``).
  public init?(_ text: String) {
    let digits = text.utf8.dropFirst()
    guard text.utf8.first == UInt8(ascii: "v"), let first = digits.first,
      first != UInt8(ascii: "0") || digits.count == 1, digits.count <= 16
    else { return nil }
    var value: UInt64 = 0
    for digit in digits {
      guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
      value = value * 10 + UInt64(digit - UInt8(ascii: "0"))
    }
    guard value <= Self.maximum else { return nil }
    self.value = value
  }

  public var description: String { "v\(value)" }
  public static func < (a: VersionNumber, b: VersionNumber) -> Bool { a.value < b.value }
}

func isValidLabel(_ text: String) -> Bool {
  let bytes = Array(text.utf8)
  guard let first = bytes.first, bytes.count <= 128, isAlphanumeric(first) else { return false }
  return bytes.allSatisfy {
    isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
      || $0 == UInt8(ascii: "-")
  }
}

private func isAlphanumeric(_ c: UInt8) -> Bool {
  (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
    || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
}
