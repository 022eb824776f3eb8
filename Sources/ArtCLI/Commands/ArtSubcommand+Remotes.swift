import ArgumentParser
import ArtCore
import ArtRemote
import ArtStore
import Foundation
import SystemPackage

extension ArtSubcommand {
  /// Remote `name` of `repository`, or its only remote / `origin` when nil.
  func openRemote(_ name: String?, of repository: Repository) throws -> Remote {
    try Remote(
      name ?? Remote.defaultName(of: repository), of: repository,
      environment: ProcessInfo.processInfo.environment)
  }

  /// The remote at `url` (a relative folder made absolute; one that starts
  /// like a URL, `s3:/bucket`, is refused as a mistyped URL).
  func remoteSpec(_ url: String, endpoint: String?, region: String?) throws -> RemoteSpec {
    let location =
      url.contains("://") || url.isEmpty || RemoteSpec.startsWithScheme(url)
      ? url : try global.resolve(url).string
    return try RemoteSpec(url: location, endpoint: endpoint, region: region)
  }

  /// `N objects in M packs (SIZE, RATE)` for a transfer that took `seconds`.
  func transferSummary(objects: Int, packs: Int, bytes: UInt64, seconds: Double) -> String {
    "\(Formatting.count(objects, "object")) in \(Formatting.count(packs, "pack")) "
      + "(\(Formatting.bytes(bytes)) in \(String(format: "%.2f", seconds)) s, "
      + "\(Formatting.bytes(UInt64(Double(bytes) / max(seconds, 0.001))))/s)"
  }
}

/// Seconds since `start`.
func secondsSince(_ start: ContinuousClock.Instant) -> Double {
  let elapsed = ContinuousClock.now - start
  return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

extension ArtSubcommand {
  func fetchSummary(_ result: FetchResult, seconds: Double) -> String {
    result.packs + result.objects == 0
      ? "nothing new"
      : "\(Formatting.count(result.packs, "pack")) and \(Formatting.count(result.objects, "object")) "
        + "by range (\(Formatting.bytes(result.bytes)) in \(String(format: "%.2f", seconds)) s, "
        + "\(Formatting.bytes(UInt64(Double(result.bytes) / max(seconds, 0.001))))/s)"
  }

  func reportPull(
    _ remote: Remote, _ result: FetchResult, _ changes: RefsMerge.PullChanges, seconds: Double,
    output: Output
  ) {
    output.line("fetched from \(remote.name): " + fetchSummary(result, seconds: seconds))
    if !changes.added.isEmpty {
      output.line("  new: " + changes.added.joined(separator: ", "))
    }
    if !changes.renumbered.isEmpty {
      output.line("  renumbered (made here): " + changes.renumbered.joined(separator: ", "))
    }
    if !changes.aliases.isEmpty {
      output.line("  aliases: " + changes.aliases.joined(separator: ", "))
    }
    if !changes.keptAliases.isEmpty {
      output.line(
        "  kept here (moved on both sides): " + changes.keptAliases.joined(separator: ", "))
    }
    if !changes.deleted.isEmpty {
      output.line("  deleted (removed there): " + changes.deleted.joined(separator: ", "))
    }
    if changes.journal > 0 {
      output.line("  journal: \(Formatting.count(changes.journal, "new event"))")
    }
  }
}

/// What `fetch`, `pull` and `clone` print under `--json`.
struct TransferReport: Encodable {
  var remote: String
  var packs: Int
  var objects: Int
  var bytes: UInt64
  var objectsPresent: Int
  var requests: Int
  var artifactsOnRemote: Int?
  /// The new repository (clone).
  var folder: String?
  var added: [String]?
  var renumbered: [String]?
  var aliases: [String]?
  var keptAliases: [String]?
  /// Versions deleted here because the remote deleted them (pull).
  var deleted: [String]?
  /// Journal events (tags, annotations, uses, renames) taken (pull, clone).
  var journal: Int?
  /// The chunk sizes the new repository took (clone).
  var chunkSizes: ChunkSizes?
  /// Why the remote's `chunking` file was not taken (clone).
  var chunkingWarning: String?

  /// A repository's chunk sizes, as its config names them.
  struct ChunkSizes: Encodable {
    var min: Int
    var avg: Int
    var max: Int
  }

  init(remote: String, _ result: FetchResult, artifactsOnRemote: Int? = nil) {
    self.remote = remote
    packs = result.packs
    objects = result.objects
    bytes = result.bytes
    objectsPresent = result.objectsPresent
    requests = result.requests
    self.artifactsOnRemote = artifactsOnRemote
  }
}

/// The remote a command talks to: its first argument, or `--remote NAME`
/// as in `gc` and `upsert`.
struct RemoteArgument: ParsableArguments {
  @Argument(help: "The remote (default: the only one, or origin); or give --remote NAME.")
  var positional: String?

  @Option(name: .customLong("remote"), help: "The remote, as a flag.")
  var option: String?

  /// The remote named either way; nil for the default.
  var remote: String? { option ?? positional }

  /// Refuses a remote named twice, for commands with no other arguments.
  func validateAlone() throws {
    if option != nil && positional != nil {
      throw ValidationError("name the remote once: as the argument or with --remote")
    }
  }

  /// The remote, and `rest` with the first argument put back in front when
  /// `--remote` named the remote (`push --remote origin ds`).
  func split(_ rest: [String]) -> (remote: String?, rest: [String]) {
    guard let option else { return (positional, rest) }
    return (option, (positional.map { [$0] } ?? []) + rest)
  }
}
