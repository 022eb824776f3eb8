import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct GC: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "gc",
      abstract: "Drop versions by retention policy and delete unreferenced data.",
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

    @Option(help: "Keep the newest N versions of each artifact.")
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
        packsReprieved: report.reprieved, orphanPacksDeleted: report.orphans,
        unfinishedUploadsDropped: report.abortedUploads)
      if json { return output.line(Formatting.json(summary)) }
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
          + (report.rewrittenPacks.isEmpty
            ? ""
            : "; rewrote \(Formatting.count(report.rewrittenPacks.count, "mostly unused pack"))")
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
        now: Syscalls.currentTimeMilliseconds())
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
      let report = try await collector.run(dryRun: dryRun)
      let lines = report.verdicts.map {
        Line(version: $0.version.label, id: $0.version.id.hex, keep: $0.keep, reason: $0.reason)
      }
      if json {
        return output.line(
          Formatting.json(
            Summary(
              dryRun: dryRun, versions: lines, dropped: report.dropped.count,
              packsDeleted: report.packsDeleted, packsRewritten: report.packsRewritten,
              packsInGrace: report.packsInGrace, packsBelowThreshold: report.packsBelowThreshold,
              bytesReclaimed: report.bytesReclaimed)))
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
      output.line(summary)
    }
  }

  struct Fsck: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "fsck",
      abstract: "Check that every ref reaches everything it needs, intact.",
      discussion: """
        Checks that every ref reaches a version record, every record its \
        manifests, every manifest its blobs and chunks. --full also reads \
        every pack and re-hashes every object and every chunked file. \
        Prints each problem with where it is; objects no ref reaches \
        (dangling, removed by gc) are counted, not errors. Exit status 0 \
        when clean, 2 when anything is missing or damaged.

        Examples:
          art fsck
          art fsck --full --json
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Also verify every pack and every object's bytes.")
    var full = false

    @Flag(name: .shortAndLong, help: "List dangling objects one by one.")
    var verbose = false

    @Flag(help: "Print as JSON.")
    var json = false

    struct Dangling: Encodable {
      var id: String
      var kind: String
      var pack: String
    }

    struct Summary: Encodable {
      var clean: Bool
      var errors: [String]
      /// At most 10,000; `danglingObjects` counts them all.
      var dangling: [Dangling]
      var versions: Int
      var reachableObjects: Int
      var packs: Int
      var objectsVerified: Int
      var danglingObjects: Int
      var danglingBytes: UInt64
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let report = try await ArtCore.Fsck(repository: repository).run(full: full)
      if json {
        output.line(
          Formatting.json(
            Summary(
              clean: report.isClean, errors: report.errors,
              dangling: report.dangling.map {
                Dangling(id: $0.id.hex, kind: "\($0.kind)", pack: $0.pack)
              }, versions: report.versions,
              reachableObjects: report.reachableObjects, packs: report.packs,
              objectsVerified: report.objectsVerified, danglingObjects: report.danglingObjects,
              danglingBytes: report.danglingBytes)))
      } else {
        for error in report.errors { output.line("error: \(error)") }
        if verbose {
          for item in report.dangling {
            output.line("dangling \(item.kind) \(item.id) in \(item.pack)")
          }
        }
        var summary =
          "\(Formatting.count(report.versions, "version")), "
          + "\(Formatting.count(report.reachableObjects, "reachable object")), "
          + "\(Formatting.count(report.packs, "pack"))"
        if full { summary += ", \(report.objectsVerified) objects re-hashed" }
        if report.danglingObjects > 0 {
          summary +=
            "; \(report.danglingObjects) dangling (\(Formatting.bytes(report.danglingBytes)), "
            + "removed by 'art gc')"
        }
        output.line(summary)
        output.line(
          report.isClean ? "clean" : "\(Formatting.count(report.errors.count, "problem")) found")
      }
      if !report.isClean { throw ExitCode(ExitStatus.corrupt.rawValue) }
    }
  }

  struct Repack: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Merge packs into fewer, optionally recompressing everything.",
      discussion: """
        Copies every object into new packs of at most --max-pack-size \
        (default pack.maxSize), then deletes the old packs. Objects keep \
        their compression unless --compression is given (zlib archives \
        tighter; lz4 reads faster). Unreferenced objects are kept: that is \
        gc's job.

        Examples:
          art repack
          art repack --compression zlib
          art repack --max-pack-size 256MiB
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Recompress every object: lz4, zlib or none.", transform: parseCodec)
    var compression: Codec?

    @Option(help: "Start a new pack at this size (bytes, or with KiB/MiB/GiB).")
    var maxPackSize: String?

    func execute(output: Output) async throws {
      let repository = try repository(.exclusive)
      let size =
        try maxPackSize.map { try parseSize($0) } ?? repository.configuration.maximumPackSize
      let report = try await Repacker(
        repository: repository, codec: compression, maximumPackSize: size
      ).run()
      if report.packsBefore <= 1 && compression == nil {
        return output.line(
          "nothing to repack: \(Formatting.count(report.packsBefore, "pack")) "
            + "(give --compression to recompress)")
      }
      output.line(
        "repacked \(Formatting.count(report.objects, "object")): "
          + "\(Formatting.count(report.packsBefore, "pack")) (\(Formatting.bytes(report.bytesBefore))) → "
          + "\(Formatting.count(report.packsAfter, "pack")) (\(Formatting.bytes(report.bytesAfter)))"
      )
    }
  }

  struct Du: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Show logical and stored size per artifact and version.",
      discussion: """
        For every version: its logical size (the files as checked out), the \
        stored bytes only it references (what dropping it alone would free) \
        and the stored bytes it shares with other versions. Totals give the \
        deduplication ratio: logical bytes of all versions / stored bytes.

        Examples:
          art du
          art du imagenet_train --json
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this artifact.")
    var name: String?

    @Flag(help: "Print as JSON.")
    var json = false

    struct VersionLine: Encodable {
      var version: String
      var id: String
      var logical: UInt64
      var unique: UInt64
      var shared: UInt64
    }

    struct Summary: Encodable {
      var versions: [VersionLine]
      var logicalBytes: UInt64
      var referencedBytes: UInt64
      var packBytes: UInt64
      var deduplicationRatio: Double
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      var only: Set<ArtifactName>? = nil
      if let name {
        let artifact = try ArtifactName(name)
        _ = try repository.resolve(.label(artifact, nil), in: repository.refs.read())
        only = [artifact]
      }
      let report = try DiskUsage.measure(repository, artifacts: only)
      let lines = report.versions.map {
        VersionLine(
          version: $0.version.label, id: $0.version.id.hex, logical: $0.logical, unique: $0.unique,
          shared: $0.shared)
      }
      let ratio =
        report.referencedBytes > 0
        ? Double(report.logicalBytes) / Double(report.referencedBytes) : 0
      if json {
        return output.line(
          Formatting.json(
            Summary(
              versions: lines, logicalBytes: report.logicalBytes,
              referencedBytes: report.referencedBytes, packBytes: report.packBytes,
              deduplicationRatio: (ratio * 100).rounded() / 100)))
      }
      let width = max(7, lines.map(\.version.count).max() ?? 0)
      func pad(_ text: String, _ count: Int) -> String {
        String(repeating: " ", count: max(0, count - text.count)) + text
      }
      output.line(
        "version" + String(repeating: " ", count: width - 7) + pad("logical", 12)
          + pad("unique", 12) + pad("shared", 12))
      for line in lines {
        output.line(
          line.version + String(repeating: " ", count: width - line.version.count)
            + pad(Formatting.bytes(line.logical), 12) + pad(Formatting.bytes(line.unique), 12)
            + pad(Formatting.bytes(line.shared), 12))
      }
      output.line(
        "\(Formatting.count(lines.count, "version")): \(Formatting.bytes(report.logicalBytes)) logical, "
          + "\(Formatting.bytes(report.referencedBytes)) stored (dedup \(String(format2: ratio))×); "
          + "packs \(Formatting.bytes(report.packBytes)) with garbage")
    }
  }

  struct TTL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "ttl",
      abstract: "Set or clear the time-to-live of a version.",
      subcommands: [Set.self])

    struct Set: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Make a version expire DURATION after it was created, or never ('none').",
        discussion: """
          An expired version is dropped by the next 'art gc' unless it \
          carries a protected alias or is an input of a kept version.

          Examples:
            art ttl set checkpoints:v3 30d
            art ttl set checkpoints:v3 none
          """)

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The version.")
      var spec: String

      @Argument(help: "A duration (90s, 12h, 30d, 2w, 1y) from the version's creation, or 'none'.")
      var duration: String

      func execute(output: Output) async throws {
        let repository = try repository()
        let spec = try Spec(spec)
        let ttl = duration == "none" ? nil : try DurationText.milliseconds(duration)
        let line = try refStore(repository, output: output).update { refs -> String in
          let version = try repository.resolve(spec, in: refs)
          var overrides = try ExpiryOverrides.read(repository)
          let expiry = ttl.map { version.record.created.addingSaturating($0) }
          overrides[version.id] = .some(expiry)
          try ExpiryOverrides.write(overrides, to: repository)
          return expiry.map { "\(version.label) expires \(Formatting.time($0))" }
            ?? "\(version.label) never expires"
        }
        output.line(line)
      }
    }
  }
}

/// `v0-v3, v7, v9-v10` for sorted version numbers.
func ranges(_ numbers: [UInt64]) -> String {
  var parts: [String] = []
  var start = numbers.first
  var previous = numbers.first
  for number in numbers.dropFirst() + [UInt64.max] {
    guard let first = start, let last = previous else { break }
    if number == last + 1 {
      previous = number
      continue
    }
    parts.append(first == last ? "v\(first)" : "v\(first)-v\(last)")
    start = number
    previous = number
  }
  return parts.joined(separator: ", ")
}

extension String {
  /// `value` with two decimals.
  init(format2 value: Double) {
    let scaled = (value * 100).rounded()
    // Crafted sizes can make ratios no Int holds.
    guard scaled.isFinite, abs(scaled) < 1e18 else {
      self = "\(value)"
      return
    }
    let hundredths = Int(scaled)
    let fraction = hundredths % 100
    self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
  }
}

/// Parses `1073741824`, `256MiB`, `1GiB`, `10GB`, `512K` (every unit is
/// a power of 1024); 0 only when `allowZero`.
func parseSize(_ text: String, allowZero: Bool = false) throws -> UInt64 {
  let units: [(String, UInt64)] = [
    ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
    ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("TB", 1 << 40),
    ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40), ("B", 1),
  ]
  let minimum: UInt64 = allowZero ? 0 : 1
  for (suffix, scale) in units where text.hasSuffix(suffix) {
    if let number = UInt64(text.dropLast(suffix.count)), number >= minimum {
      let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
      guard !overflow, bytes <= UInt64(Int64.max) else {
        throw ArtError(
          .invalidArgument, "'\(text)' is too large a size",
          hint: "give at most 8 EiB (9223372036854775807 bytes)")
      }
      return bytes
    }
  }
  if let number = UInt64(text), number >= minimum, number <= UInt64(Int64.max) { return number }
  throw ArtError(
    .invalidArgument, "'\(text)' is not a size",
    hint: "use bytes or KiB/MiB/GiB (also KB/MB/GB, all powers of 1024), e.g. 256MiB")
}
