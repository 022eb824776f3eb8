import ArtStore
import Foundation
public import SystemPackage

/// One `--reference URI[=PATH]` of `art commit`.
public struct ReferenceRequest: Sendable, Equatable {
  /// `file:///absolute/path`, `http://…`, `https://…` or `s3://bucket/key`.
  public var uri: String
  /// Where the entry goes, as components relative to the version's root.
  public var path: [String]

  /// Parses `URI[=PATH]`; a plain path (absolute, or relative to
  /// `workingDirectory`) means `file://`.
  ///
  /// PATH follows the last `=`, except that a URL whose last query field
  /// has a single `=` has no PATH (`…?v=2` is all URL). PATH defaults to
  /// the URI's last component.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` naming what is wrong.
  public init(parsing text: String, workingDirectory: FilePath) throws {
    var uriText = text
    var pathText: String? = nil
    if let split = try Self.pathSeparator(in: text, workingDirectory: workingDirectory) {
      uriText = String(text[..<split])
      pathText = String(text[text.index(after: split)...])
    }
    let hint =
      "give file:///abs/path, an absolute path, an http(s):// URL or s3://BUCKET/KEY, "
      + "then =PATH if wanted"
    if uriText.hasPrefix("s3://") {
      _ = try RemoteSpec(url: uriText)
      guard uriText.dropFirst(5).split(separator: "/").count >= 1 else {
        throw ArtError(.invalidArgument, "'\(uriText)' names no bucket", hint: hint)
      }
      uri = uriText.hasSuffix("/") ? String(uriText.dropLast()) : uriText
    } else if uriText.hasPrefix("http://") || uriText.hasPrefix("https://") {
      let afterScheme = uriText.split(
        separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
      guard afterScheme.count == 3, !afterScheme[2].isEmpty else {
        throw ArtError(.invalidArgument, "'\(uriText)' is not a URL with a host", hint: hint)
      }
      uri = uriText
    } else if uriText.hasPrefix("file://") {
      let local = String(uriText.dropFirst("file://".count))
      guard local.hasPrefix("/") else {
        throw ArtError(
          .invalidArgument, "'\(uriText)' is not a file URI with an absolute path",
          hint: "write file:///abs/path (three slashes)")
      }
      uri = "file://" + FilePath(local).lexicallyNormalized().string
    } else if !uriText.isEmpty, !uriText.contains("://") {
      uri = "file://" + workingDirectory.pushing(FilePath(uriText)).lexicallyNormalized().string
    } else {
      throw ArtError(.invalidArgument, "'\(uriText)' is not a reference art can fetch", hint: hint)
    }
    path = try Self.components(pathText ?? Self.lastComponent(of: uri), of: text)
  }

  /// The components of the PATH of reference argument `text`, checked.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for an empty path, `..` or
  ///   a name art cannot store.
  public static func components(_ path: String, of text: String) throws -> [String] {
    if path.hasPrefix("/") {
      throw ArtError(
        .invalidArgument, "reference path '\(path)' is absolute",
        hint: "=PATH is where the entry goes in the version, relative to its root, "
          + "e.g. =\(path.split(separator: "/").last.map(String.init) ?? "file.bin")")
    }
    let parts = path.split(separator: "/").map(String.init).filter { $0 != "." }
    guard !parts.isEmpty else {
      throw ArtError(
        .invalidArgument, "'\(text)' names no path in the version",
        hint: "add =PATH, e.g. --reference \(text)=data/file.bin")
    }
    for part in parts {
      if part == ".." {
        throw ArtError(
          .invalidArgument, "reference path '\(path)' leaves the version's root",
          hint: "give a path inside the version, e.g. =external/file.bin")
      }
      if let problem = ManifestEntry.problem(withName: Array(part.utf8)) {
        throw ArtError(.invalidArgument, "reference path '\(path)' has \(problem)")
      }
    }
    return parts
  }

  private static func pathSeparator(in text: String, workingDirectory: FilePath) throws
    -> String.Index?
  {
    guard let last = text.lastIndex(of: "=") else { return nil }
    if !["s3://", "http://", "https://"].contains(where: { text.hasPrefix($0) }) {
      // A local file, whose name may hold `=`.
      return try ArtCore.pathSeparator(in: text) { uri in
        let local = uri.hasPrefix("file://") ? uri.dropFirst("file://".count) : uri
        guard !local.isEmpty else { return false }
        return try Syscalls.linkStatus(workingDirectory.pushing(FilePath(String(local)))) != nil
      }
    }
    if let question = text.firstIndex(of: "?"), question < last {
      let query = text[text.index(after: question)...]
      let field = query.split(separator: "&", omittingEmptySubsequences: false).last ?? query
      if field.count(where: { $0 == "=" }) < 2 { return nil }
    }
    return last
  }

  private static func lastComponent(of uri: String) -> String {
    var rest = Substring(uri)
    if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
    let afterScheme = rest.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
    guard afterScheme.count == 3 else { return "" }
    let path = afterScheme[2].split(separator: "/", omittingEmptySubsequences: true)
    guard path.count > (uri.hasPrefix("file://") ? 0 : 1), let name = path.last else { return "" }
    return String(name)
  }
}

/// An external reference described at commit: the entry's path and what
/// it points to.
public struct DescribedReference: Sendable {
  /// Components relative to the version's root.
  public var path: [String]
  /// The reference object's content.
  public var reference: Reference
  /// Permission bits for the checked-out file.
  public var mode: UInt32
}
