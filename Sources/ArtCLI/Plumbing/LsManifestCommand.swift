import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct LsManifestCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "ls-manifest",
      abstract: "List a manifest, like git ls-tree.",
      discussion: """
        Each line is: mode, kind (file, chunked, symlink, manifest), id, \
        a tab, then the name. --long adds the size before the tab (for a \
        folder, the bytes of every file below it). -r lists the files of \
        every folder below, with paths, instead of the folders themselves.

        Examples:
          art ls-manifest 3fa9c1
          art ls-manifest -r --long 3fa9c1
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("r"), help: "Recurse into folders.")
    var recursive = false

    @Flag(name: .customLong("long"), help: "Show sizes.")
    var long = false

    @Argument(help: "The manifest id, or a unique prefix of at least 4 hex digits.")
    var manifest: String

    @Flag(help: "Print as JSON.")
    var json = false

    /// One entry, under `--json`.
    struct Entry: Encodable {
      var path: String
      /// file, chunked, symlink, folder, external or bundle.
      var kind: String
      var id: String
      var size: UInt64
      var mode: String
      /// An external reference's URI.
      var uri: String?
      /// The version a bundle entry names (`NAME:vN`).
      var version: String?
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let store = repository.store
      let id = try store.resolve(ObjectIDPrefix(manifest))
      var entries: [Entry] = []
      try list(
        store.manifest(id), prefix: "", store: store, labels: versionLabels(repository),
        into: &entries)
      if json { return output.line(Formatting.document("entries", entries)) }
      for entry in entries {
        let size =
          long
          ? " " + String(repeating: " ", count: max(0, 10 - "\(entry.size)".count))
            + "\(entry.size)" : ""
        var line = "\(entry.mode) \(entry.kind) \(entry.id)\(size)\t\(entry.path)"
        if let version = entry.version { line += " -> art:" + version }
        if let uri = entry.uri { line += " -> " + uri }
        output.line(line)
      }
    }

    private func list(
      _ manifest: Manifest, prefix: String, store: ObjectStore, labels: [ObjectID: String],
      into entries: inout [Entry]
    ) throws {
      for entry in manifest.entries {
        if recursive && entry.kind == .folder {
          try list(
            store.manifest(entry.id), prefix: prefix + entry.name + "/", store: store,
            labels: labels, into: &entries)
          continue
        }
        entries.append(
          Entry(
            path: prefix + entry.name, kind: "\(entry.kind)", id: entry.id.hex, size: entry.size,
            mode: Formatting.mode(kind: "\(entry.kind)", permissions: entry.mode),
            uri: entry.kind == .external ? try store.reference(entry.id).uri : nil,
            version: entry.kind == .bundle ? labels[entry.id] ?? "(removed)" : nil))
      }
    }

    static func line(_ entry: ManifestEntry, path: String, long: Bool) -> String {
      let mode = Formatting.mode(kind: "\(entry.kind)", permissions: entry.mode)
      let size =
        long
        ? " " + String(repeating: " ", count: max(0, 10 - "\(entry.size)".count)) + "\(entry.size)"
        : ""
      return "\(mode) \(entry.kind) \(entry.id)\(size)\t\(path)"
    }

    static func lines(of manifest: Manifest, prefix: String, long: Bool) -> [String] {
      manifest.entries.map { line($0, path: prefix + $0.name, long: long) }
    }
  }
}
