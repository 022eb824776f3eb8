import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct ReadManifestCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "read-manifest",
      abstract: "Write a manifest's files into a new or empty folder.",
      discussion: """
        The inverse of write-manifest. Every file is checked against its \
        SHA-256 as it is written, under a temporary name that is renamed \
        into place only when it is complete and correct.

        Examples:
          art read-manifest 3fa9c1 /tmp/restore
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The manifest id, or a prefix of at least 4 hex digits.")
    var manifest: String

    @Argument(help: "The folder to write into; must be new or empty.")
    var directory: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func execute(output: Output) async throws {
      let repository = try repository()
      let id = try repository.store.resolve(ObjectIDPrefix(manifest))
      let target = try global.resolve(directory)
      var materializer = Materializer(store: repository.store)
      materializer.trust = try ReferenceTrust(repository)
      let result = try await materializer.write(id, into: target, outside: repository.directory)
      if !result.referencesRefused.isEmpty {
        throw ReferenceTrust.refused(result.referencesRefused)
      }
      if json {
        struct Report: Encodable {
          var folder: String
          var files: Int
          var folders: Int
          var symlinks: Int
          var bytes: UInt64
        }
        return output.line(
          Formatting.document(
            Report(
              folder: target.string, files: result.files, folders: result.folders,
              symlinks: result.symlinks, bytes: result.bytes)))
      }
      output.note(
        "wrote \(Formatting.count(result.files, "file")) (\(Formatting.bytes(result.bytes))), "
          + "\(Formatting.count(result.folders, "folder")), "
          + "\(Formatting.count(result.symlinks, "symlink")) into \(target)")
    }
  }
}
