import ArgumentParser
import ArtCore
import ArtStore
import Foundation
import SystemPackage

extension ArtSubcommand {
  /// The locator of versions named `[PROJECT/]SPEC` from `repository`.
  func locator(_ repository: Repository) -> VersionLocator {
    VersionLocator(
      repository: repository, projectLock: lockRequest(.shared, purpose: " (from another project)"),
      environment: ProcessInfo.processInfo.environment)
  }

  /// The version `text` names, in this repository, a project or a remote.
  func locate(_ text: String, in repository: Repository) async throws -> LocatedVersion {
    let found = try await locator(repository).locate(text)
    if let note = found.note { Output.current.note(note) }
    return found
  }

  /// Makes `located` a version of this repository's store (see
  /// ``VersionLocator/bring(_:full:patterns:progress:refStore:)``), saying
  /// what was copied.
  func bring(
    _ located: LocatedVersion, into repository: Repository, full: Bool,
    patterns: [PathPattern] = [], output: Output
  ) async throws -> ResolvedVersion {
    let start = ContinuousClock.now
    let store = refStore(repository, output: output)
    let locator = locator(repository)
    let brought =
      located.remote == nil
      ? try await locator.bring(
        located, full: full, patterns: patterns, progress: nil, refStore: store)
      : try await withProgress("download", quiet: global.quiet, output: output) {
        try await locator.bring(
          located, full: full, patterns: patterns, progress: $0, refStore: store)
      }
    if let result = brought.download, result.objects > 0 {
      output.note(
        "art: downloaded \(Formatting.count(result.objects, "object")) of \(located.label) "
          + "in \(Formatting.count(result.requests, "request")) "
          + "(\(Formatting.bytes(result.bytes)), \(String(format: "%.2f", secondsSince(start))) s)"
      )
    }
    if let result = brought.copy, result.objectsCopied > 0 {
      output.note(
        "art: copied \(located.label) into this repository: \(result.objectsCopied) objects "
          + "(\(result.fromCache) from the cache \(brought.cache?.directory.string ?? ""), "
          + "\(result.alreadyHere) already here)")
    }
    return brought.version
  }
}

/// `name:vN` of every version of `repository`, and `project/name:vN` of
/// the versions copied in from other projects: how ids are shown.
func versionLabels(_ repository: Repository) throws -> [ObjectID: String] {
  var labels: [ObjectID: String] = [:]
  for entry in try Imports.read(repository).entries { labels[entry.id] = entry.label }
  let refs = try repository.refs.read()
  for artifact in refs.artifacts {
    for (number, id) in refs.versions(of: artifact) { labels[id] = "\(artifact):\(number)" }
  }
  return labels
}

/// A file of a version, named `SPEC:PATH`.
struct LocatedFile {
  /// Where the version was found.
  var located: LocatedVersion
  /// The version, now in this repository's store (the file's objects too).
  var version: ResolvedVersion
  /// The path, relative to the version's root.
  var path: String
  /// Its entry.
  var entry: TreeEntry
}

extension ArtSubcommand {
  /// The file `SPEC:PATH` names (`ds:v3:images/a.jpg`, `ds:labels.csv`,
  /// `vision/imagenet:production:labels.csv`, `origin/ds:v1:a.txt`), its
  /// objects brought into `repository`: from a remote only that file's.
  ///
  /// The spec is the longest prefix before a `:` that names a version.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` when no prefix is a
  ///   version, `.notFound` when the version has no such path.
  func locateFile(_ text: String, in repository: Repository, output: Output) async throws
    -> LocatedFile
  {
    var located: LocatedVersion?
    var path = ""
    var firstError: ArtError?
    for colon in text.indices.reversed() where text[colon] == ":" {
      let rest = String(text[text.index(after: colon)...])
      guard !rest.isEmpty else { continue }
      do {
        located = try await locate(String(text[..<colon]), in: repository)
        path = rest
        break
      } catch let error as ArtError {
        firstError = firstError ?? error
      }
    }
    guard let located else {
      throw firstError.map { error in
        ArtError(
          error.code, error.message,
          hint: (error.hint.map { $0 + "; " } ?? "") + "give SPEC:PATH, e.g. ds:v3:images/a.jpg")
      }
        ?? ArtError(
          .invalidArgument, "'\(text)' is not SPEC:PATH",
          hint: "for example ds:v3:images/a.jpg, or ds:labels.csv for the latest version")
    }
    let components = path.split(separator: "/").map(String.init).filter { $0 != "." }
    let pattern = try PathPattern(path)
    let version = try await bring(
      located, into: repository, full: true, patterns: [pattern], output: output)
    guard !components.contains(".."),
      let entry = try TreeListing.entry(
        at: components, of: version.record.manifest, in: repository.store)
    else {
      throw ArtError(
        .notFound, "\(located.label) has no path '\(path)'",
        hint: "list its files with 'art ls-files \(located.label)'")
    }
    return LocatedFile(
      located: located, version: version, path: components.joined(separator: "/"), entry: entry)
  }
}
