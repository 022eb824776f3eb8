import ArgumentParser
import ArtCore
import ArtRemote
import ArtStore
import Foundation
import SystemPackage

extension ArtSubcommand {
  /// Remote `name` of `repository`, or its only remote / `origin` when nil.
  func openRemote(_ name: String?, of repository: Repository) throws -> Remote {
    let remotes = repository.configuration.remotes.keys.sorted()
    guard
      let chosen = name ?? (remotes.count == 1 ? remotes[0] : nil)
        ?? (remotes.contains("origin") ? "origin" : nil)
    else {
      throw ArtError(
        .notFound,
        remotes.isEmpty
          ? "this repository has no remote"
          : "name the remote (remotes: \(remotes.joined(separator: ", ")))",
        hint: remotes.isEmpty
          ? "add one with 'art remote add origin s3://BUCKET/PREFIX'"
          : "for example: art push \(remotes[0])")
    }
    return try Remote(chosen, of: repository, environment: ProcessInfo.processInfo.environment)
  }

  /// The remote at `url` (a relative folder made absolute).
  func remoteSpec(_ url: String, endpoint: String?, region: String?) throws -> RemoteSpec {
    let location = url.contains("://") || url.isEmpty ? url : try global.resolve(url).string
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

extension ArtCommand {
  struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remote",
      abstract: "Name the S3 buckets and shared folders this repository pushes to.",
      discussion: """
        Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY \\
        (and AWS_SESSION_TOKEN), or AWS_PROFILE with ~/.aws/credentials; \\
        they are never written to .art/config. The endpoint defaults to \\
        AWS_ENDPOINT_URL, else AWS S3 in the region (AWS_REGION, else \\
        us-east-1).

        Examples:
          art remote add origin s3://ml-data/vision --endpoint http://127.0.0.1:8333
          art remote add backup /mnt/shared/art-vision
          art push origin
        """,
      subcommands: [Add.self, List.self, Remove.self])

    struct Add: ArtSubcommand {
      static let configuration = CommandConfiguration(
        abstract: "Add remote NAME at s3://BUCKET/PREFIX or a folder.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The remote's name (letters, digits, '.', '_', '-').")
      var name: String

      @Argument(help: "s3://BUCKET/PREFIX, or a folder on a shared disk.")
      var url: String

      @Option(
        help: "The S3 endpoint, e.g. http://127.0.0.1:8333 (default: AWS_ENDPOINT_URL or AWS).")
      var endpoint: String?

      @Option(help: "The S3 region (default: AWS_REGION, else us-east-1).")
      var region: String?

      func execute(output: Output) async throws {
        let repository = try repository()
        let spec = try remoteSpec(url, endpoint: endpoint, region: region)
        try repository.addRemote(name, spec)
        output.line("added remote \(name) at \(spec.url)")
      }
    }

    struct List: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List remotes.")

      @OptionGroup var global: GlobalOptions

      @Flag(help: "Print as JSON.")
      var json = false

      struct Line: Encodable {
        var name: String
        var url: String
        var endpoint: String?
        var region: String?
      }

      func execute(output: Output) async throws {
        let repository = try repository()
        let lines = repository.configuration.remotes.sorted { $0.key < $1.key }.map {
          Line(
            name: $0.key, url: $0.value.url, endpoint: $0.value.endpoint, region: $0.value.region)
        }
        if json { return output.line(Formatting.json(lines)) }
        if lines.isEmpty { output.line("no remotes (add one with 'art remote add NAME URL')") }
        for line in lines {
          output.line(
            "\(line.name)\t\(line.url)" + (line.endpoint.map { "\t\($0)" } ?? "")
              + (line.region.map { "\t\($0)" } ?? ""))
        }
      }
    }

    struct Remove: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove a remote (nothing on it is deleted).")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The remote's name.")
      var name: String

      func execute(output: Output) async throws {
        try repository().removeRemote(name)
        output.line("removed remote \(name)")
      }
    }
  }

  struct Push: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Upload versions to a remote.",
      discussion: """
        Sends the objects the versions need that the remote lacks, then \\
        updates the remote's refs with a compare-and-swap, so two pushes \\
        racing from two clones both land or one is told to pull first. An \\
        interrupted push sends only what did not arrive when run again.

        Examples:
          art push
          art push origin imagenet
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The remote (default: the only one, or origin).")
    var remote: String?

    @Argument(help: "Artifacts to push (default: all).")
    var artifacts: [String] = []

    func execute(output: Output) async throws {
      let repository = try repository()
      let remote = try openRemote(self.remote, of: repository)
      let refs = try repository.refs.read()
      var names: [ArtifactName]? = nil
      if !artifacts.isEmpty {
        names = try artifacts.map { text in
          let name = try ArtifactName(text.split(separator: ":").first.map(String.init) ?? text)
          guard !refs.versions(of: name).isEmpty else {
            throw ArtError(
              .notFound, "no artifact '\(name)' to push", hint: "list artifacts with 'art ls'")
          }
          return name
        }
      }
      let start = ContinuousClock.now
      let chosen = names
      let result = try await withProgress("push", quiet: global.quiet, output: output) {
        try await remote.push(artifacts: chosen, progress: $0)
      }
      let seconds = secondsSince(start)
      let changes = result.changes
      var line = "pushed to \(remote.name) (\(remote.storage.location)): "
      line +=
        result.packs == 0
        ? "nothing to upload"
        : transferSummary(
          objects: result.objects, packs: result.packs, bytes: result.bytes, seconds: seconds)
      line += "; \(Formatting.count(result.objectsPresent, "object")) already there"
      if result.resumedBytes > 0 {
        line += "; resumed: \(Formatting.bytes(result.resumedBytes)) had arrived before"
      }
      output.line(line)
      if !changes.added.isEmpty { output.line("  new: " + changes.added.joined(separator: ", ")) }
      if !changes.deleted.isEmpty {
        output.line("  deleted: " + changes.deleted.joined(separator: ", "))
      }
      if !changes.aliases.isEmpty {
        output.line("  aliases: " + changes.aliases.joined(separator: ", "))
      }
    }
  }

  struct Fetch: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Download a remote's refs and the objects this repository lacks.",
      discussion: """
        Local aliases do not move; 'art pull' does that. Fetched versions are \\
        kept by gc until pulled.

        Example:
          art fetch origin
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The remote (default: the only one, or origin).")
    var remote: String?

    func execute(output: Output) async throws {
      let repository = try repository()
      let remote = try openRemote(self.remote, of: repository)
      let start = ContinuousClock.now
      let (result, refs) = try await withProgress("fetch", quiet: global.quiet, output: output) {
        try await remote.fetch(progress: $0)
      }
      output.line(
        "fetched from \(remote.name): "
          + fetchSummary(result, seconds: secondsSince(start)) + "; "
          + Formatting.count(refs.artifacts.count, "artifact") + " on the remote")
    }
  }

  struct Pull: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Fetch, then take the remote's versions and aliases here.",
      discussion: """
        A version made here under a number the remote gave to another \\
        version is renumbered after the remote's; an alias moved both here \\
        and on the remote stays as it is here.

        Example:
          art pull origin
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The remote (default: the only one, or origin).")
    var remote: String?

    func execute(output: Output) async throws {
      let repository = try repository()
      let remote = try openRemote(self.remote, of: repository)
      let start = ContinuousClock.now
      let refStore = refStore(repository, output: output)
      let (result, changes) = try await withProgress(
        "pull", quiet: global.quiet, output: output
      ) { try await remote.pull(refStore: refStore, progress: $0) }
      reportPull(remote, result, changes, seconds: secondsSince(start), output: output)
    }
  }

  struct Clone: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Make a new repository from a remote.",
      discussion: """
        Downloads every pack and takes the remote's refs; the remote is \\
        added as 'origin'. Then check versions out with 'art checkout'.

        Examples:
          art clone s3://ml-data/vision vision --endpoint http://127.0.0.1:8333
          cd vision && art checkout imagenet:production
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "s3://BUCKET/PREFIX, or a folder.")
    var url: String

    @Argument(help: "The new repository's folder (default: the URL's last part).")
    var directory: String?

    @Option(help: "The S3 endpoint (default: AWS_ENDPOINT_URL or AWS).")
    var endpoint: String?

    @Option(help: "The S3 region (default: AWS_REGION, else us-east-1).")
    var region: String?

    func execute(output: Output) async throws {
      let spec = try remoteSpec(url, endpoint: endpoint, region: region)
      let name = directory ?? String(spec.url.split(separator: "/").last ?? "repository")
      let root = try global.resolve(name)
      try ConfinedWriter.refuseInsideRepositoryFolder(root)
      if try Syscalls.linkStatus(root) != nil,
        !(try directoryEntries(root).isEmpty)
      {
        throw ArtError(
          .invalidArgument, "'\(root)' exists and is not empty",
          hint: "give a new folder: art clone \(url) NEW_FOLDER")
      }
      // Refuse before making anything when the remote cannot be read.
      let storage = try spec.open(environment: ProcessInfo.processInfo.environment)
      guard try await storage.read("refs") != nil else {
        throw ArtError(
          .notFound, "\(storage.location) holds no art repository (it has no refs)",
          hint: "check the URL, or push to it first")
      }
      try Syscalls.makeDirectories(root)
      _ = try Repository.initialize(at: root)
      do {
        try Repository(root: root).addRemote("origin", spec)
        let repository = try Repository(root: root, lock: lockRequest(.shared))
        let remote = try openRemote("origin", of: repository)
        let start = ContinuousClock.now
        let refStore = refStore(repository, output: output)
        let (result, changes) = try await withProgress(
          "clone", quiet: global.quiet, output: output
        ) { try await remote.pull(refStore: refStore, progress: $0) }
        output.line("cloned \(storage.location) into \(root)")
        reportPull(remote, result, changes, seconds: secondsSince(start), output: output)
      } catch {
        try? removeFolder(root)
        throw error
      }
    }
  }
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
  }
}

/// Removes a folder made by a command that failed.
func removeFolder(_ path: FilePath) throws {
  for (raw, status) in try directoryEntriesWithStatus(path) {
    let name = String(decoding: raw, as: UTF8.self)
    if status.kind == .directory {
      try removeFolder(path.appending(name))
    } else {
      try Syscalls.unlink(path.appending(name))
    }
  }
  try Syscalls.removeDirectory(path)
}
