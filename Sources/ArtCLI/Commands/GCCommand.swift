import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct GCCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "gc",
      abstract: "Drop versions by retention policy and delete unreferenced data.",
      usage: """
        art gc [--dry-run] [--explain] [--keep-last N] [--keep-within DURATION] \
        [--protect ALIAS]... [--name GLOB] [--type TYPE] [--grace DURATION] [--drop-inputs] \
        [--force] [--json]
        art gc --remote NAME [--dry-run] [--grace DURATION] [--json]
        """,
      discussion: """
        Per artifact, keeps the newest N versions (--keep-last) and those \
        younger than a duration (--keep-within); drops versions past their \
        TTL; never drops a version carrying a protected alias (latest, \
        aliases.protected in .art/config, --protect) or one that a kept \
        version lists as an input (unless --drop-inputs). With no policy from \
        flags or config, only expired versions are dropped. Then deletes \
        packs with nothing live and rewrites those over the repack threshold \
        dead; packs younger than the grace period (default 1h) are never \
        touched. Policy in .art/config: [gc] keepLast, keepWithin, grace, \
        repackThreshold; [gc "TYPE"] keepLast, keepWithin. Flags override it.

        Examples:
          art gc --dry-run --keep-last 10 --explain
          art gc --keep-within 90d --protect staging
          art gc --type checkpoint --keep-last 5
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print what would be dropped and reclaimed; change nothing.")
    var dryRun = false

    @Option(parsing: .unconditional, help: "Keep the newest N versions of each artifact.")
    var keepLast: Int?

    @Option(help: "Keep versions younger than DURATION (e.g. 30d).")
    var keepWithin: String?

    @Option(help: "Never drop versions carrying ALIAS (repeatable).")
    var protect: [String] = []

    @Option(help: "Apply the policy only to artifacts matching NAME (glob, repeatable).")
    var name: [String] = []

    @Option(help: "Apply the policy only to artifacts of TYPE (repeatable).")
    var type: [String] = []

    @Option(help: "Leave packs younger than DURATION alone (default: config, else 1h).")
    var grace: String?

    @Flag(help: "Allow dropping versions that kept versions list as inputs.")
    var dropInputs = false

    @Flag(help: "Print, for every version, the rule that keeps or drops it.")
    var explain = false

    @Flag(help: "Run even when kept versions reach missing or damaged objects.")
    var force = false

    @Flag(help: "Print as JSON.")
    var json = false

    @Option(
      help: ArgumentHelp(
        "Collect the garbage of remote NAME instead: data no repository pushing to it references.",
        valueName: "NAME"))
    var remote: String?

    struct Line: Encodable {
      var version: String
      var id: String
      var keep: Bool
      var reason: String
    }

    struct RemoteSummary: Encodable {
      var dryRun: Bool
      var versionsKept: Int
      var repositories: Int
      var liveObjects: Int
      var packsDeleted: Int
      var bytesDeleted: UInt64
      var packsCondemned: Int
      var bytesCondemned: UInt64
      var packsRewritten: Int
      var packsMerged: Int
      var packsReprieved: Int
      var orphanPacksDeleted: Int
      var unfinishedUploadsDropped: Int
    }

    /// `art gc --remote NAME`.
    private func collectRemote(_ name: String, output: Output) async throws {
      let repository = try repository()
      let remote = try openRemote(name, of: repository)
      let grace =
        try grace.map { try DurationText.milliseconds($0, allowingZero: true) }
        ?? repository.configuration.gc.grace
      let report = try await remote.collectGarbage(grace: grace, dryRun: dryRun)
      let summary = RemoteSummary(
        dryRun: dryRun, versionsKept: report.versions, repositories: report.repositories,
        liveObjects: report.liveObjects, packsDeleted: report.deletedPacks.count,
        bytesDeleted: report.deletedBytes, packsCondemned: report.condemnedPacks.count,
        bytesCondemned: report.condemnedBytes, packsRewritten: report.rewrittenPacks.count,
        packsMerged: report.mergedPacks, packsReprieved: report.reprieved,
        orphanPacksDeleted: report.orphans,
        unfinishedUploadsDropped: report.abortedUploads)
      if json { return output.line(Formatting.document(summary)) }
      let verb = dryRun ? "would delete" : "deleted"
      output.line(
        "\(remote.name): kept \(Formatting.count(report.versions, "version")) "
          + "(\(Formatting.count(report.liveObjects, "object"))) named by its refs and by the refs "
          + "of the \(report.repositories) \(report.repositories == 1 ? "repository" : "repositories") "
          + "that push to it")
      output.line(
        "\(verb) \(Formatting.count(report.deletedPacks.count, "pack")) "
          + "(\(Formatting.bytes(report.deletedBytes)))"
          + (report.condemnedPacks.isEmpty
            ? ""
            : "; \(dryRun ? "would mark" : "marked") \(Formatting.count(report.condemnedPacks.count, "pack")) "
              + "(\(Formatting.bytes(report.condemnedBytes))) for deletion by a gc after the grace period")
          + (report.rewrittenPacks.count == report.mergedPacks
            ? ""
            : "; \(dryRun ? "would rewrite" : "rewrote") "
              + Formatting.count(
                report.rewrittenPacks.count - report.mergedPacks, "mostly unused pack"))
          + (report.mergedPacks == 0
            ? ""
            : "; \(dryRun ? "would merge" : "merged") \(Formatting.count(report.mergedPacks, "small pack"))")
          + (report.orphans == 0
            ? "" : "; \(verb) \(Formatting.count(report.orphans, "pack")) of interrupted pushes")
          + (report.abortedUploads == 0
            ? ""
            : "; \(dryRun ? "would drop" : "dropped") "
              + "\(Formatting.count(report.abortedUploads, "unfinished upload"))"))
    }

    struct Summary: Encodable {
      var dryRun: Bool
      var versions: [Line]
      var dropped: Int
      var packsDeleted: Int
      var packsRewritten: Int
      var packsInGrace: Int
      var packsBelowThreshold: Int
      var bytesReclaimed: UInt64
      /// Leftover temporary files of interrupted commands removed (dry
      /// run: that would be), and their bytes (not in `bytesReclaimed`).
      var temporaryFilesRemoved: Int
      var temporaryBytesRemoved: UInt64
      /// Artifacts every version of which was dropped: gone from log.
      var artifactsGone: [String]
      /// Kept versions the last gc's mark covered, so not walked again.
      var versionsFromMark: Int
      /// The mark was damaged: deleted, and every kept version walked.
      var markDamaged: Bool
    }

    func validate() throws {
      if let keepLast, keepLast < 0 { throw ValidationError("--keep-last must be 0 or more") }
    }

    func execute(output: Output) async throws {
      if let remote { return try await collectRemote(remote, output: output) }
      let repository = try repository(.exclusive)
      let settings = repository.configuration.gc
      var override: RetentionPolicy? = nil
      if keepLast != nil || keepWithin != nil {
        override = RetentionPolicy(
          keepLast: keepLast, keepWithin: try keepWithin.map { try DurationText.milliseconds($0) })
      }
      for alias in protect { _ = try Alias(alias) }
      var planner = RetentionPlanner(
        settings: settings, override: override,
        protectedAliases: Set(repository.configuration.protectedAliases + protect),
        now: WallClock.milliseconds())
      planner.names = name
      planner.types = type
      planner.dropInputs = dropInputs
      planner.expiryOverrides = try ExpiryOverrides.read(repository)
      var collector = GarbageCollector(
        repository: repository, refStore: refStore(repository, output: output), planner: planner,
        grace: try grace.map { try DurationText.milliseconds($0, allowingZero: true) }
          ?? settings.grace,
        repackThreshold: settings.repackThreshold)
      collector.force = force
      collector.draftExpiry = settings.draftExpiry
      let finalCollector = collector
      let dryRun = self.dryRun
      let report = try await withProgress(
        "gc", unit: "versions", quiet: global.quiet, output: output
      ) { progress in
        var collector = finalCollector
        collector.progress = progress
        return try await collector.run(dryRun: dryRun)
      }
      let lines = report.verdicts.map {
        Line(version: $0.version.label, id: $0.version.id.hex, keep: $0.keep, reason: $0.reason)
      }
      let gone = Dictionary(grouping: report.verdicts, by: \.version.artifact.text)
        .filter { $0.value.allSatisfy { !$0.keep } }.keys.sorted()
      if json {
        return output.line(
          Formatting.document(
            Summary(
              dryRun: dryRun, versions: lines, dropped: report.dropped.count,
              packsDeleted: report.packsDeleted, packsRewritten: report.packsRewritten,
              packsInGrace: report.packsInGrace, packsBelowThreshold: report.packsBelowThreshold,
              bytesReclaimed: report.bytesReclaimed,
              temporaryFilesRemoved: report.temporaryFilesRemoved,
              temporaryBytesRemoved: report.temporaryBytesRemoved, artifactsGone: gone,
              versionsFromMark: report.versionsFromMark, markDamaged: report.markDamaged)))
      }
      if report.markDamaged {
        output.note(
          "art: gc's mark (.art/state/gc-mark) was damaged: it was deleted, every kept version "
            + "walked, and a new mark written")
      }
      if explain {
        for line in lines {
          output.line(
            "\(line.keep ? "keep" : "drop") \(line.version) \(line.id.prefix(12))  \(line.reason)")
        }
      } else {
        // One line per artifact: `drop ds: v0-v189, v195 (191 versions)`.
        var byArtifact: [(String, [UInt64])] = []
        for verdict in report.dropped {
          let name = verdict.version.artifact.text
          if byArtifact.last?.0 != name { byArtifact.append((name, [])) }
          byArtifact[byArtifact.count - 1].1.append(verdict.version.record.number)
        }
        for (name, numbers) in byArtifact {
          output.line(
            "\(dryRun ? "would drop" : "drop") \(name): \(ranges(numbers.sorted())) "
              + "(\(Formatting.count(numbers.count, "version")))")
        }
      }
      for name in gone {
        output.line(
          "\(name): every version \(dryRun ? "would be" : "was") dropped; the artifact "
            + (dryRun ? "would be gone" : "is gone"))
      }
      let verb = dryRun ? "would drop" : "dropped"
      var summary =
        "\(verb) \(Formatting.count(report.dropped.count, "version")) of \(lines.count); "
        + "\(dryRun ? "would reclaim" : "reclaimed") \(Formatting.bytes(report.bytesReclaimed)) "
        + "(\(Formatting.count(report.packsDeleted, "pack")) deleted, "
        + "\(report.packsRewritten) rewritten)"
      if report.packsInGrace > 0 {
        summary +=
          "; \(Formatting.count(report.packsInGrace, "pack")) younger than the grace period left alone"
      }
      if report.packsBelowThreshold > 0 {
        summary +=
          "; \(Formatting.bytes(report.deadBytesKept)) dead in "
          + "\(Formatting.count(report.packsBelowThreshold, "pack")) under the repack threshold kept"
      }
      if report.temporaryFilesRemoved > 0 {
        summary +=
          "; \(dryRun ? "would remove" : "removed") "
          + "\(Formatting.count(report.temporaryFilesRemoved, "leftover temporary file")) "
          + "of interrupted commands (\(Formatting.bytes(report.temporaryBytesRemoved)))"
      }
      output.line(summary)
    }
  }
}
