import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct CheckoutCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "checkout",
      abstract: "Make the version's root folder match a version, or copy it elsewhere.",
      discussion: """
        In place: writes missing and changed files, deletes files the \
        previously checked-out (or latest) version had and this one lacks, \
        and never touches untracked files or rewrites files already right. \
        It refuses, listing them, to overwrite or delete files with \
        uncommitted changes unless --force. Every file is checked against \
        its SHA-256 as it is written. --to DIR writes a fresh copy into a \
        new or empty folder instead.

        Reference entries are fetched from where they were recorded and \
        checked against it (SHA-256, size, ETag or Last-Modified); if the \
        data changed, checkout stops naming the entry (exit 3) unless \
        --allow-changed. --skip-references leaves them out.

        Examples:
          art checkout imagenet_train:v0
          art checkout imagenet_train:production --to /tmp/prod
          art checkout imagenet_train --path 'labels/**' --force
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.")
    var spec: String

    @Option(help: "Write a fresh copy into this new or empty folder.")
    var to: String?

    @Option(help: "Only paths matching this glob (** allowed), repeatable.")
    var path: [String] = []

    @Flag(help: "Overwrite and delete files with local changes.")
    var force = false

    @Flag(help: "Take reference entries whose external data changed since they were recorded.")
    var allowChanged = false

    @Flag(help: "Leave reference entries out.")
    var skipReferences = false

    func validate() throws {
      if allowChanged && skipReferences {
        throw ValidationError("give --allow-changed or --skip-references, not both")
      }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let located = try locate(spec, in: repository)
      let version = try await bring(located, into: repository, full: true, output: output)
      let tracked = located.project == nil
      let patterns = try path.map { try PathPattern($0) }
      let target = try to.map { try global.resolve($0) }
      let force = self.force
      let policy: ReferencePolicy =
        skipReferences ? .skip : .fetch(allowChanged: allowChanged)
      let result = try await withProgress("checkout", quiet: global.quiet, output: output) {
        progress in
        var checkout = Checkout(repository: repository, progress: progress)
        checkout.references = policy
        if let target {
          return try await checkout.copy(version, to: target, patterns: patterns)
        }
        return try await checkout.inPlace(
          version, patterns: patterns, force: force, tracked: tracked)
      }
      let place = target?.string ?? (version.record.root.isEmpty ? "." : version.record.root)
      output.line(
        "checked out \(located.label) \(version.id.prefix(12)) into \(place): "
          + "\(result.written) written (\(Formatting.bytes(result.bytesWritten))), "
          + "\(result.deleted) deleted, \(result.unchanged) unchanged"
          + (result.referencesFetched > 0
            ? "; \(Formatting.count(result.referencesFetched, "reference")) fetched "
              + "(\(Formatting.bytes(result.referenceBytes)))" : "")
          + (result.referencesSkipped > 0
            ? "; \(Formatting.count(result.referencesSkipped, "reference")) skipped" : ""))
    }
  }
}
