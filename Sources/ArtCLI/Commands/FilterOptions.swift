import ArgumentParser
import ArtCore
import ArtStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The filters of `log`, `ls` and `checkout --match`.
struct FilterOptions: ParsableArguments {
  @Option(help: "Only artifacts of this type.")
  var type: String?

  @Option(
    name: .customLong("name"), help: "Only artifacts whose name matches this glob, repeatable.")
  var names: [String] = []

  @Option(name: .customLong("alias"), help: "Only versions carrying this alias, repeatable.")
  var aliases: [String] = []

  @Option(name: .customLong("tag"), help: "Only versions carrying this tag, repeatable.")
  var tags: [String] = []

  @Option(
    name: .customLong("metadata"),
    help: ArgumentHelp(
      "Only versions whose metadata matches, repeatable: KEY=VALUE, KEY>N, KEY>=N, KEY<N, KEY<=N.",
      valueName: "CONDITION"))
  var conditions: [String] = []

  @Option(help: "Only versions made at or after this time (2024-01-31, …T12:00, or 7d ago).")
  var since: String?

  @Option(help: "Only versions made at or before this time.")
  var until: String?

  /// The filter, checked.
  func filter() throws -> VersionFilter {
    try VersionFilter(
      type: type, names: names, aliases: aliases, tags: tags, conditions: conditions,
      since: since, until: until, now: WallClock.milliseconds())
  }
}
