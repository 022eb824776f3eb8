import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct CheckoutCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "checkout",
      abstract: "Make the version's root folder match a version, or copy it elsewhere.",
      discussion: """
        In place: writes missing and changed files, deletes files the \
        previously checked-out (or latest) version had and this one lacks, \
        and never touches untracked files or rewrites files already right. \
        It refuses, listing them, to overwrite or delete files with \
        uncommitted changes unless --force. Every file is checked against \
        its SHA-256 as it is written. The version becomes the folder's base \
        (what status compares with and the next commit is made after).

        --to DIR writes a copy elsewhere instead, and can be run again (as \
        a training script that fetches its data on every start does): \
        files already right are kept, files of DIR's previous checkout are \
        replaced or deleted, other files that differ from the version are \
        refused unless --force, and files art never wrote there are kept \
        unless --clean (which still keeps .git, .art and what .artignore \
        rules leave out, at any depth). A checkout into a new or empty \
        folder that fails leaves nothing it created. After a checkout \
        stopped half way (kill -9, Ctrl-C, a damaged object), the next one \
        takes the files it wrote for art's, not for local changes.

        Reference entries are fetched from where they were recorded and \
        checked against it (SHA-256, size, ETag or Last-Modified); if the \
        data changed, checkout stops naming the entry (exit 3) unless \
        --allow-changed. --skip-references leaves them out.

        With --match and filters (those of 'art ls') instead of SPEC: the \
        newest matching version of every matching artifact, each in place \
        or under --to DIR/NAME.

        Examples:
          art checkout imagenet_train:v0
          art checkout imagenet_train:production --to /tmp/prod
          art checkout imagenet_train:v3 --to /scratch/imagenet --clean
          art checkout imagenet_train --path 'labels/**' --force
          art checkout --match --name 'logs_*' --metadata year=2024 --to /tmp/logs-2024
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "The version: NAME, NAME:vN, NAME:ALIAS, PROJECT/NAME:ALIAS or an id prefix.",
      completion: Completion.spec)
    var spec: String?

    @Flag(help: "Check out the versions the filters match instead of SPEC.")
    var match = false

    @OptionGroup var filters: FilterOptions

    @Option(help: "Write a copy into this folder instead (made if missing; see above).")
    var to: String?

    @Option(help: "Only paths matching this glob (** allowed), repeatable.")
    var path: [String] = []

    @Flag(help: "Overwrite and delete files with local changes.")
    var force = false

    @Flag(
      help:
        "With --to: delete files in the folder that the version does not have (never .git, .art or ignored files)."
    )
    var clean = false

    @Flag(help: "Take reference entries whose external data changed since they were recorded.")
    var allowChanged = false

    @Flag(help: "Leave reference entries out.")
    var skipReferences = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    /// One version checked out, under `--json`.
    struct Report: Encodable {
      var version: String
      var id: String
      var folder: String
      var written: Int
      var bytes: UInt64
      var deleted: Int
      var unchanged: Int
      /// Files whose content was the version's, given its mode in place.
      var modesSet: Int
      var referencesFetched: Int
      var referenceBytes: UInt64
      var referencesSkipped: Int
    }

    func validate() throws {
      if allowChanged && skipReferences {
        throw ValidationError("give --allow-changed or --skip-references, not both")
      }
      if match == (spec != nil) {
        throw ValidationError("give a SPEC, or --match with filters")
      }
      if clean && to == nil {
        throw ValidationError(
          "--clean works with --to DIR; in place, untracked files are never touched")
      }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      guard let spec else { return try await checkOutMatches(repository, output: output) }
      let report = try await checkOut(
        try await locate(spec, in: repository), into: repository, to: to, output: output)
      if json { output.line(Formatting.document("checkouts", [report])) }
    }

    /// The newest matching version of each matching artifact.
    private func checkOutMatches(_ repository: Repository, output: Output) async throws {
      let filter = try filters.filter()
      guard !filter.isEmpty else {
        throw ArtError(
          .invalidArgument, "--match needs at least one filter",
          hint: "for example --match --metadata year=2024, or --match --name 'logs_*'")
      }
      var newest: [ResolvedVersion] = []
      for version in try filter.versions(in: repository, refs: repository.refs.read())
      where newest.last?.artifact != version.artifact {
        newest.append(version)
      }
      if newest.isEmpty {
        throw ArtError(
          .notFound, "no version matches", hint: "list them with 'art log' and the same filters")
      }
      var reports: [Report] = []
      for version in newest {
        let folder = try to.map { try global.resolve($0).appending(version.artifact.text).string }
        reports.append(
          try await checkOut(
            LocatedVersion(repository: repository, version: version, project: nil),
            into: repository, to: folder, output: output))
      }
      if json { output.line(Formatting.document("checkouts", reports)) }
    }

    private func checkOut(
      _ located: LocatedVersion, into repository: Repository, to: String?, output: Output
    ) async throws -> Report {
      let patterns = try path.map { try PathPattern($0) }
      let version = try await bring(
        located, into: repository, full: true, patterns: patterns, output: output)
      let tracked = located.project == nil
      var destination = try to.map { try global.resolve($0) }
      if let folder = destination, tracked, !clean,
        folder == repository.root.pushing(FilePath(version.record.root)).lexicallyNormalized()
      {
        destination = nil  // the version's own root folder: a checkout in place
      }
      let target = destination
      let force = self.force
      let clean = self.clean
      let lockTimeout = Duration.seconds(max(0, global.lockTimeout))
      let policy: ReferencePolicy =
        skipReferences ? .skip : .fetch(allowChanged: allowChanged)
      let result = try await withProgress("checkout", quiet: global.quiet, output: output) {
        progress in
        var checkout = Checkout(repository: repository, progress: progress)
        checkout.references = policy
        checkout.lockTimeout = lockTimeout
        if let target {
          return try await checkout.copy(
            version, to: target, patterns: patterns, force: force, clean: clean)
        }
        return try await checkout.inPlace(
          version, patterns: patterns, force: force, tracked: tracked)
      }
      let place = target?.string ?? (version.record.root.isEmpty ? "." : version.record.root)
      let report = Report(
        version: located.label, id: version.id.hex, folder: place, written: result.written,
        bytes: result.bytes, deleted: result.deleted, unchanged: result.unchanged,
        modesSet: result.modesSet, referencesFetched: result.referencesFetched,
        referenceBytes: result.referenceBytes,
        referencesSkipped: result.referencesSkipped)
      if json { return report }
      output.line(
        "checked out \(located.label) \(version.id.prefix(12)) into \(place): "
          + "\(result.written) written (\(Formatting.bytes(result.bytes))), "
          + "\(result.deleted) deleted, \(result.unchanged) unchanged"
          + (result.modesSet > 0 ? ", \(Formatting.count(result.modesSet, "mode")) set" : "")
          + (result.referencesFetched > 0
            ? "; \(Formatting.count(result.referencesFetched, "reference")) fetched "
              + "(\(Formatting.bytes(result.referenceBytes)))" : "")
          + (result.referencesSkipped > 0
            ? "; \(Formatting.count(result.referencesSkipped, "reference")) skipped" : ""))
      return report
    }
  }
}
