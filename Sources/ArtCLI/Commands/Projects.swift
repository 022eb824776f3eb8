import ArgumentParser
import ArtCore
import ArtStore
import Foundation
import SystemPackage

/// A version found by `[PROJECT/]SPEC`: the repository that holds it.
struct LocatedVersion {
  /// Where the version is: this repository or the project's.
  var repository: Repository
  /// The version.
  var version: ResolvedVersion
  /// The project, or nil for this repository.
  var project: String?
  /// Whether it is a copy already in this repository (the project no
  /// longer has it).
  var copied = false
  /// The remote it is on (`project` is then the remote's name); its
  /// record and manifests are here, its data is fetched by ``bring``.
  var remote: Remote? = nil

  /// `name:vN`, or `project/name:vN`.
  var label: String { (project.map { $0 + "/" } ?? "") + version.label }
}

extension ArtSubcommand {
  /// The version `text` names, in this repository or in a project added
  /// with `art project add` (opened with a shared lock).
  func locate(_ text: String, in repository: Repository) async throws -> LocatedVersion {
    let spec = try ProjectSpec(text)
    guard let project = spec.project else {
      do {
        return LocatedVersion(
          repository: repository,
          version: try repository.resolve(spec.spec, in: repository.refs.read()),
          project: nil)
      } catch let error as ArtError where error.code == .notFound {
        // A version fetched from a remote but not pulled: its refs as last
        // fetched name it (no network is asked when nothing does).
        for name in repository.configuration.remotes.keys.sorted() {
          guard let tracking = try? Remote.trackingRefs(name, of: repository),
            (try? repository.versionID(spec.spec, in: tracking)) != nil,
            let found = try? await locate("\(name)/\(text)", in: repository)
          else { continue }
          Output.current.note("art: \(text) is not here; using \(found.label) from remote \(name)")
          return found
        }
        throw error
      }
    }
    if repository.configuration.remotes[project] != nil {
      let remote = try openRemote(project, of: repository)
      let (id, artifact) = try repository.versionID(spec.spec, in: try await remote.readRefs().refs)
      // The record, manifests and chunk lists (what show, log and diff
      // read); data waits for ``bring``.
      _ = try await remote.fetch(version: id, patterns: [], data: false, progress: nil)
      return LocatedVersion(
        repository: repository, version: try repository.loadVersion(id, artifact: artifact),
        project: project, remote: remote)
    }
    let output = Output.current
    do {
      let other = try repository.project(
        project, lock: lockRequest(.shared, purpose: " (from another project)"))
      return LocatedVersion(
        repository: other, version: try other.resolve(spec.spec, in: other.refs.read()),
        project: project)
    } catch let error as ArtError where error.code == .notFound || error.code == .notARepository {
      // Gone from the project (or the project is gone): a copy made here
      // by an earlier checkout still serves `project/name:vN`.
      let label = "\(project)/\(spec.spec)"
      guard
        let entry = try Imports.read(repository).entries.first(where: {
          $0.full && $0.label == label
        })
      else { throw error }
      let record = try VersionRecord(
        decoding: repository.store.read(entry.id, as: .version), id: entry.id)
      output.note("art: \(error.message); using the copy of \(label) made here earlier")
      return LocatedVersion(
        repository: repository,
        version: try repository.loadVersion(entry.id, artifact: ArtifactName(record.artifact)),
        project: project, copied: true)
    }
  }

  /// Makes `located` a version of this repository's store: a project's
  /// version is copied in (every object with `full`, else its record) and
  /// listed in `.art/imports`, so it survives that project's gc.
  func bring(
    _ located: LocatedVersion, into repository: Repository, full: Bool,
    patterns: [PathPattern] = [], output: Output
  ) async throws -> ResolvedVersion {
    guard located.project != nil, !located.copied else { return located.version }
    if let remote = located.remote {
      let start = ContinuousClock.now
      let result = try await withProgress("download", quiet: global.quiet, output: output) {
        try await remote.fetch(
          version: located.version.id, patterns: patterns, data: full, progress: $0)
      }
      try Imports.record(
        Imports.Entry(
          id: located.version.id, full: full && patterns.isEmpty, label: located.label),
        in: repository, refStore: refStore(repository, output: output))
      if result.objects > 0 {
        output.note(
          "art: downloaded \(Formatting.count(result.objects, "object")) of \(located.label) "
            + "in \(Formatting.count(result.requests, "request")) "
            + "(\(Formatting.bytes(result.bytes)), \(String(format: "%.2f", secondsSince(start))) s)"
        )
      }
      return located.version
    }
    let cache = try ObjectCache()
    let result = try await Importer(
      repository: repository, source: located.repository, cache: cache
    ).copy(version: located.version.id, full: full)
    try Imports.record(
      Imports.Entry(id: located.version.id, full: full, label: located.label), in: repository,
      refStore: refStore(repository, output: output))
    if result.objectsCopied > 0 {
      output.note(
        "art: copied \(located.label) into this repository: \(result.objectsCopied) objects "
          + "(\(result.fromCache) from the cache \(cache.directory), "
          + "\(result.alreadyHere) already here)")
    }
    return try repository.loadVersion(located.version.id, artifact: located.version.artifact)
  }
}

extension ArtCommand {
  struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "project",
      abstract: "Name other art repositories, so their versions can be used here.",
      discussion: """
        After 'art project add NAME PATH', NAME/artifact:alias is a spec in \\
        checkout, show, log, diff and commit --input. Checking out such a \\
        version copies the objects it needs into this repository (through \\
        the shared cache), so it survives the other project's gc; --input \\
        copies the input's record, so lineage shows where it came from.

        Examples:
          art project add vision /data/projects/vision
          art checkout vision/imagenet:production --to data/imagenet
          art commit model out/ --input vision/imagenet:production
        """,
      subcommands: [Add.self, List.self, Remove.self])

    struct Add: ArtSubcommand {
      static let configuration = CommandConfiguration(
        abstract: "Add another art repository as project NAME.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The project's name (letters, digits, '.', '_', '-').")
      var name: String

      @Argument(help: "The repository's folder (the one holding .art).")
      var path: String

      func execute(output: Output) async throws {
        let repository = try repository()
        let folder = try global.resolve(path)
        try repository.addProject(name, path: folder)
        output.line("added project \(name) at \(folder)")
      }
    }

    struct List: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List projects.")

      @OptionGroup var global: GlobalOptions

      @Flag(help: "Print as JSON.")
      var json = false

      struct Line: Encodable {
        var name: String
        var path: String
        var reachable: Bool
      }

      func execute(output: Output) async throws {
        let repository = try repository()
        let lines = repository.configuration.projects.sorted { $0.key < $1.key }.map {
          Line(
            name: $0.key, path: $0.value.string,
            reachable: Syscalls.isDirectory($0.value.appending(Repository.directoryName)))
        }
        if json { return output.line(Formatting.json(lines)) }
        if lines.isEmpty { output.line("no projects (add one with 'art project add NAME PATH')") }
        for line in lines {
          output.line("\(line.name)\t\(line.path)" + (line.reachable ? "" : "\t(not found)"))
        }
      }
    }

    struct Remove: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove a project; versions already copied from it stay.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The project's name.")
      var name: String

      func execute(output: Output) async throws {
        try repository().removeProject(name)
        output.line("removed project \(name)")
      }
    }
  }

  struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cache",
      abstract: "The cache of objects copied from other projects, shared by your repositories.",
      discussion: """
        The cache is ART_CACHE_DIR, else $XDG_CACHE_HOME/art, else \\
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
        if json { return output.line(Formatting.json(summary)) }
        output.line(
          "\(summary.directory): \(Formatting.count(summary.objects, "object")), "
            + "\(Formatting.bytes(summary.bytes))"
            + (summary.users > 0
              ? "; \(Formatting.count(summary.users, "command")) using it" : ""))
      }
    }

    struct Cleanup: ArtSubcommand {
      static let configuration = CommandConfiguration(
        abstract: "Trim the cache to SIZE, least recently used first.",
        discussion: """
          Objects a running art command has used since it started are never \\
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
        if json { return output.line(Formatting.json(result)) }
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
