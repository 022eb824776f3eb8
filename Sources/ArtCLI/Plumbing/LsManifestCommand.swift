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

    func execute(output: Output) async throws {
      let repository = try repository()
      let store = repository.store
      let id = try store.resolve(ObjectIDPrefix(manifest))
      try list(
        store.manifest(id), prefix: "", store: store, labels: versionLabels(repository),
        output: output)
    }

    private func list(
      _ manifest: Manifest, prefix: String, store: ObjectStore, labels: [ObjectID: String],
      output: Output
    ) throws {
      for entry in manifest.entries {
        if recursive && entry.kind == .folder {
          try list(
            store.manifest(entry.id), prefix: prefix + entry.name + "/", store: store,
            labels: labels, output: output)
        } else if entry.kind == .bundle {
          let label = labels[entry.id] ?? "(removed)"
          output.line(Self.line(entry, path: prefix + entry.name, long: long) + " -> art:" + label)
        } else if entry.kind == .external {
          let uri = try store.reference(entry.id).uri
          output.line(Self.line(entry, path: prefix + entry.name, long: long) + " -> " + uri)
        } else {
          output.line(Self.line(entry, path: prefix + entry.name, long: long))
        }
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
