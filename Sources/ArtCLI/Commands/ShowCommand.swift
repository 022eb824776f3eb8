import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct ShowCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Show one version: its record, metadata, aliases and sizes.",
      discussion: """
        Examples:
          art show imagenet_train
          art show imagenet_train:v2 --json
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.", completion: Completion.spec)
    var spec: String

    @Flag(help: "Print as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var version: String
      var id: String
      var type: String
      var aliases: [String]
      var tags: [String]
      var root: String
      var manifest: String
      var previous: String?
      var created: String
      var expires: String?
      var description: String
      var metadata: [String: JSONValue]
      var inputs: [String]
      /// The inputs with their labels (`name:vN`, `project/name:vN`) where
      /// they still have one.
      var inputVersions: [InputVersion]
      /// `name:vN` of the versions made from this one (their `--input`).
      var madeInto: [String]
      var job: String
      /// Empty when no run was recorded.
      var run: String
      var files: UInt64
      var bytes: UInt64
      var storedBytes: UInt64
      /// Reference entries: files kept outside the store.
      var references: UInt64
      var referenceBytes: UInt64
      /// A bundle's entries that point at versions.
      var bundleEntries: [VersionEntry]
      /// Runs that used the version (`art use`), oldest first.
      var usedBy: [Use]
      /// Edits of tags, description and metadata (`art tag`, `art
      /// annotate`), oldest first; `description` and `metadata` above are
      /// their result.
      var edits: [Edit]
    }

    /// An input of the version, by id and, while it has one, by label.
    struct InputVersion: Encodable {
      var id: String
      var version: String?
    }

    struct Use: Encodable {
      var run: String
      var job: String?
      var time: String
      var user: String
    }

    struct Edit: Encodable {
      var time: String
      var user: String
      var description: String?
      var set: [String: JSONValue]?
      var unset: [String]?
      var tag: [String]?
      var untag: [String]?
    }

    struct VersionEntry: Encodable {
      var path: String
      /// `name:vN` (or `project/name:vN`), when the version still has one.
      var version: String?
      var id: String
      /// The files' bytes of that version.
      var size: UInt64
    }

    func execute(output: Output) async throws {
      let located = try await locate(spec, in: repository())
      let repository = located.repository
      let refs = try await located.remote?.readRefs().refs ?? repository.refs.read()
      let version = located.version
      let record = version.record
      // A TTL set with 'art ttl set' takes the place of the record's.
      let expires = try ExpiryOverrides.read(repository)[version.id] ?? record.expires
      // Inputs and bundle entries are shown by label where they still have one.
      let labels = try versionLabels(repository)
      let report = Report(
        artifact: version.artifact.text, version: "\(version.number)", id: version.id.hex,
        type: record.type, aliases: refs.aliases(of: version.artifact, at: version.id).map(\.text),
        tags: version.journal.tags,
        root: record.root.isEmpty ? "." : record.root, manifest: record.manifest.hex,
        previous: record.previous?.hex, created: Formatting.timestamp(record.created),
        expires: expires.map(Formatting.timestamp), description: record.description,
        metadata: try Metadata.parse(Array(record.metadata.utf8), source: "the stored metadata"),
        inputs: record.inputs.map(\.hex),
        inputVersions: record.inputs.map { InputVersion(id: $0.hex, version: labels[$0]) },
        madeInto: Lineage.madeInto(
          version.id, repository: repository, refs: refs,
          saving: located.project == nil && located.remote == nil),
        job: record.job, run: record.run, files: record.files,
        bytes: record.size,
        storedBytes: located.remote == nil
          ? try DiskUsage.storedBytes(
            ofTree: record.manifest, label: spec, in: repository.store) : 0,
        references: record.referenceCount, referenceBytes: record.referenceBytes,
        bundleEntries: try versionEntries(record, in: repository, labels: labels),
        usedBy: version.journal.uses.map {
          Use(
            run: $0.run ?? "", job: $0.job, time: Formatting.timestamp($0.time), user: $0.user)
        },
        edits: version.journal.edits.map {
          Edit(
            time: Formatting.timestamp($0.time), user: $0.user, description: $0.description,
            set: $0.set, unset: $0.unset, tag: $0.tag, untag: $0.untag)
        })
      if json { return output.line(Formatting.document(report)) }
      output.line("\(located.label) \(version.id.hex)")
      output.line("type:        \(report.type)")
      output.line("aliases:     \(report.aliases.joined(separator: ", "))")
      if !report.tags.isEmpty { output.line("tags:        \(report.tags.joined(separator: ", "))") }
      output.line("root:        \(report.root)")
      output.line("manifest:    \(report.manifest)")
      if let previous = report.previous { output.line("previous:    \(previous)") }
      output.line("created:     \(report.created)")
      if let expires = report.expires { output.line("expires:     \(expires)") }
      output.line(
        "size:        \(Formatting.count(Int(clamping: report.files), "file")), "
          + "\(Formatting.bytes(report.bytes)) "
          + (located.remote.map { "(on remote \($0.name))" }
            ?? "(\(Formatting.bytes(report.storedBytes)) stored)"))
      // The record counts bundle entries among its references; they are
      // versions in this store, listed on their own.
      let external = Int(clamping: report.references) - report.bundleEntries.count
      if external > 0 {
        let bytes = report.referenceBytes &- report.bundleEntries.reduce(0) { $0 &+ $1.size }
        output.line(
          "references:  \(Formatting.count(external, "file")), "
            + "\(Formatting.bytes(bytes)) outside the store "
            + "('art verify \(version.label)' checks them)")
      }
      for entry in report.bundleEntries {
        output.line(
          "bundles:     \(entry.path) -> art:\(entry.version ?? "(removed)") \(entry.id.prefix(12))"
        )
      }
      if !record.inputs.isEmpty {
        let shown = record.inputs.map { id in
          labels[id].map { "\($0) \(id.prefix(12))" } ?? "\(id.prefix(12)) (removed)"
        }
        output.line("inputs:      \(shown.joined(separator: ", "))")
      }
      if !report.job.isEmpty { output.line("job:         \(report.job)") }
      if !record.run.isEmpty { output.line("run:         \(record.run)") }
      if !record.distributedID.isEmpty {
        output.line("distributed: \(record.distributedID) (art finish)")
      }
      if !report.madeInto.isEmpty {
        output.line("made into:   \(report.madeInto.joined(separator: ", "))")
      }
      if !report.usedBy.isEmpty {
        let runs = report.usedBy.map { $0.run + ($0.job.map { " (\($0))" } ?? "") }
        output.line("used by:     runs \(runs.joined(separator: ", "))")
      }
      if !report.metadata.isEmpty {
        output.line("metadata:")
        for (key, value) in report.metadata.sorted(by: { $0.key < $1.key }) {
          output.line("  \(key): \(Formatting.compactJSON(value))")
        }
      }
      if !report.description.isEmpty {
        output.line("")
        output.line("    \(report.description)")
      }
      if !report.edits.isEmpty {
        output.line("")
        output.line("edits:")
        for edit in report.edits {
          output.line("  \(edit.time) \(edit.user): \(Self.summary(edit))")
        }
      }
    }

    /// `description "…", acc=0.93, unset draft, +tag golden`: what one edit changed.
    static func summary(_ edit: Edit) -> String {
      var parts: [String] = []
      if let description = edit.description {
        parts.append("description \(Formatting.compactJSON(JSONValue.string(description)))")
      }
      for (key, value) in (edit.set ?? [:]).sorted(by: { $0.key < $1.key }) {
        parts.append("\(key)=\(Formatting.compactJSON(value))")
      }
      parts += (edit.unset ?? []).map { "unset \($0)" }
      parts += (edit.tag ?? []).map { "+tag \($0)" }
      parts += (edit.untag ?? []).map { "-tag \($0)" }
      return parts.joined(separator: ", ")
    }

    /// The entries of `record`'s tree that point at versions (none unless
    /// it has references), with their labels.
    private func versionEntries(
      _ record: VersionRecord, in repository: Repository, labels: [ObjectID: String]
    ) throws -> [VersionEntry] {
      guard record.referenceCount > 0 else { return [] }
      return try TreeListing.entries(of: record.manifest, in: repository.store)
        .filter { $0.value.kind == .bundle }.sorted { $0.key < $1.key }
        .map {
          VersionEntry(
            path: $0.key.text, version: labels[$0.value.id], id: $0.value.id.hex,
            size: $0.value.size)
        }
    }
  }
}
