import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct LsFilesCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "ls-files",
      abstract: "List the files of a version without checking it out.",
      discussion: """
        Every path of the version, sorted: files, symbolic links, empty \
        folders, reference entries (kept outside the store) and bundle \
        entries (other versions). Reads only the version's manifests: from \
        another project or a remote, nothing else is downloaded. --long \
        adds kind, size and id.

        Examples:
          art ls-files imagenet_train:v3
          art ls-files imagenet_train --path 'labels/**' --long
          art ls-files origin/imagenet_train:production --json
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "The version: NAME, NAME:vN, NAME:ALIAS, PROJECT/NAME:ALIAS, REMOTE/NAME:…",
      completion: Completion.spec)
    var spec: String

    @Option(help: "Only paths matching this glob (** allowed), repeatable.")
    var path: [String] = []

    @Flag(name: .shortAndLong, help: "Show kind, size and id.")
    var long = false

    @Flag(help: "Print as JSON.")
    var json = false

    /// One path, under `--json`.
    struct Line: Encodable {
      var path: String
      /// `file`, `chunked`, `symlink`, `folder` (empty), `external` or `bundle`.
      var kind: String
      var size: UInt64
      var id: String
      /// Permission bits, octal (`644`).
      var mode: String
      /// Where an external reference's data is.
      var uri: String?
      /// The version a bundle entry names.
      var version: String?
    }

    struct Report: Encodable {
      var version: String
      var id: String
      var files: [Line]
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let patterns = try path.map { try PathPattern($0) }
      let located = try await locate(spec, in: repository)
      // Another project's version is listed where it is (a copy here would
      // hold only its record); a remote's manifests are fetched.
      let inProject = located.project != nil && located.remote == nil && !located.copied
      let version =
        inProject
        ? located.version : try await bring(located, into: repository, full: false, output: output)
      let labels = try versionLabels(repository)
      let store = inProject ? located.repository.store : repository.store
      var lines: [Line] = []
      let tree = try TreeListing.listing(of: version.record.manifest, in: store)
      for (path, entry) in tree.entries
      where patterns.isEmpty || patterns.contains(where: { $0.matches(path.text) }) {
        // An empty folder's entry has no mode of its own: its folder's is recorded.
        let mode = entry.kind == .folder ? tree.folderModes[path] ?? entry.mode : entry.mode
        lines.append(
          Line(
            path: path.text, kind: Self.kind(entry.kind), size: entry.size, id: entry.id.hex,
            mode: String(mode & 0o7777, radix: 8),
            uri: entry.kind == .external ? try? store.reference(entry.id).uri : nil,
            version: entry.kind == .bundle ? labels[entry.id] ?? "(removed)" : nil))
      }
      lines.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
      if !patterns.isEmpty, lines.isEmpty {
        throw ArtError(
          .notFound,
          "no path of \(located.label) matches " + path.map { "'\($0)'" }.joined(separator: " or "),
          hint: "patterns are relative to the version's root, e.g. 'images/**/*.jpg'")
      }
      if json {
        return output.line(
          Formatting.document(
            Report(version: located.label, id: version.id.hex, files: lines)))
      }
      for line in lines {
        let target = line.uri.map { " -> " + $0 } ?? line.version.map { " -> art:" + $0 } ?? ""
        guard long else {
          output.line(line.path + target)
          continue
        }
        let size = String(line.size)
        output.line(
          line.kind.padding(8) + String(repeating: " ", count: max(0, 12 - size.count)) + size
            + "  " + line.id.prefix(12) + "  " + line.path + target)
      }
    }

    /// The name of `kind` in listings and JSON.
    static func kind(_ kind: ManifestEntry.Kind) -> String {
      switch kind {
      case .file: "file"
      case .chunked: "chunked"
      case .symlink: "symlink"
      case .folder: "folder"
      case .external: "external"
      case .bundle: "bundle"
      }
    }
  }
}

extension String {
  /// The text, padded with spaces to `width`.
  fileprivate func padding(_ width: Int) -> String {
    self + String(repeating: " ", count: max(0, width - count))
  }
}
