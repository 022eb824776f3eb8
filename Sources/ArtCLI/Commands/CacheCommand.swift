import ArgumentParser
import ArtCore
import ArtStore
import Foundation
import SystemPackage

extension ArtCommand {
  struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cache",
      abstract: "The cache of objects copied from other projects, shared by your repositories.",
      discussion: """
        The cache is ART_CACHE_DIR, else $XDG_CACHE_HOME/art, else \
        ~/.cache/art. Everything in it can be fetched again.

        Examples:
          art cache info
          art cache cleanup 10GB
        """,
      subcommands: [Info.self, Cleanup.self])

    struct Info: ArtSubcommand {
      static let configuration = CommandConfiguration(abstract: "Show the cache's size.")

      @OptionGroup var global: GlobalOptions

      @Flag(help: "Print as JSON.")
      var json = false

      func execute(output: Output) async throws {
        let summary = try ObjectCache.summary(of: ObjectCache.defaultDirectory)
        if json { return output.line(Formatting.document(summary)) }
        output.line(
          "\(summary.directory): \(Formatting.count(summary.objects, "object")), "
            + "\(Formatting.bytes(summary.bytes))"
            + (summary.users > 0
              ? "; \(Formatting.count(summary.users, "command")) using it" : ""))
      }
    }

    struct Cleanup: ArtSubcommand {

      static let printsSummary = true

      static let configuration = CommandConfiguration(
        abstract: "Trim the cache to SIZE, least recently used first.",
        discussion: """
          Objects a running art command has used since it started are never \
          removed, so the cache may stay above SIZE while one runs.
          """)

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The size to trim to: 0, 500MB, 10GB, …")
      var size: String

      @Flag(help: "Print as JSON.")
      var json = false

      func execute(output: Output) async throws {
        let limit = try parseSize(size, allowZero: true)
        let result = try ObjectCache.cleanup(ObjectCache.defaultDirectory, to: limit)
        if json { return output.line(Formatting.document(result)) }
        output.line(
          "removed \(Formatting.count(result.removed, "object")) "
            + "(\(Formatting.bytes(result.bytesRemoved))); "
            + "\(Formatting.bytes(result.bytesLeft)) left"
            + (result.keptInUse > 0
              ? "; kept \(result.keptInUse) in use by running commands" : ""))
      }
    }
  }
}
