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
