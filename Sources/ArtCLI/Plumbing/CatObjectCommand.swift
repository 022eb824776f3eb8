import ArgumentParser
import ArtCore
import ArtStore
import Foundation
import FoundationEssentials

extension ArtCommand {
  struct CatObjectCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "cat-object",
      abstract: "Print an object's type, size or content.",
      discussion: """
        -t prints the type: blob, chunklist, manifest or version. -s prints \
        the size: for a blob or chunk list, the bytes of the file it holds. \
        -p prints the content: a blob's or chunked file's raw bytes, a \
        manifest as a listing, a version record field by field. Every byte \
        printed has been checked against its SHA-256.

        Examples:
          art cat-object -t 3fa9
          art cat-object -p 3fa9c1 > restored.csv
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("t"), help: "Print the object's type.")
    var type = false

    @Flag(name: .customShort("s"), help: "Print the object's size in bytes.")
    var size = false

    @Flag(name: .customShort("p"), help: "Print the object's content.")
    var pretty = false

    @Argument(
      help: "The object id, a unique prefix of at least 4 hex digits, or SPEC:PATH (a file's).")
    var object: String

    @Flag(help: "With -t or -s: print as JSON.")
    var json = false

    func validate() throws {
      if [type, size, pretty].filter({ $0 }).count != 1 {
        throw ValidationError("give exactly one of -t, -s and -p")
      }
      if json && pretty {
        throw ValidationError("-p prints the object's bytes; --json goes with -t or -s")
      }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let store = repository.store
      // `ds:v3:labels.csv` names a file of a version: its content object.
      let id =
        object.contains(":")
        ? try await locateFile(object, in: repository, output: output).entry.id
        : try store.resolve(ObjectIDPrefix(object))
      let entry = try store.entry(id)
      struct Report: Encodable {
        var id: String
        var type: String?
        var size: UInt64?
      }
      if type {
        if json {
          return output.line(Formatting.document(Report(id: id.hex, type: "\(entry.kind)")))
        }
        output.line("\(entry.kind)")
        return
      }
      if size {
        var bytes = UInt64(entry.rawLength)
        if entry.kind == .chunkList {
          let list = try ChunkList(
            decoding: store.read(id, as: .chunkList), id: id, subject: "chunk list \(id)")
          bytes = list.fileSize
        }
        if json { return output.line(Formatting.document(Report(id: id.hex, size: bytes))) }
        output.line("\(bytes)")
        return
      }
      switch entry.kind {
      case .blob, .chunkList:
        try ContentReader.read(id, from: store) { bytes in
          output.write(bytes, to: .standardOutput)
        }
      case .dictionary:
        break  // Lookups never find a pack's dictionary.
      case .reference:
        let reference = try store.reference(id)
        output.line("uri \(reference.uri)")
        output.line("size \(reference.size)")
        if let sha = reference.sha256 { output.line("sha256 \(sha)") }
        if !reference.etag.isEmpty { output.line("etag \(reference.etag)") }
        if !reference.lastModified.isEmpty {
          output.line("last-modified \(reference.lastModified)")
        }
      case .manifest:
        for line in LsManifestCommand.lines(of: try store.manifest(id), prefix: "", long: false) {
          output.line(line)
        }
      case .version:
        let record = try VersionRecord(decoding: store.read(id, as: .version), id: id)
        output.line("artifact \(record.artifact)")
        output.line("type \(record.type)")
        output.line("version v\(record.number)")
        output.line("root \(record.root.isEmpty ? "." : record.root)")
        output.line("manifest \(record.manifest)")
        if let previous = record.previous { output.line("previous \(previous)") }
        let created = Date(timeIntervalSince1970: Double(record.created) / 1000)
        output.line("created \(created.formatted(.iso8601))")
        if let expires = record.expires {
          let date = Date(timeIntervalSince1970: Double(expires) / 1000)
          output.line("expires \(date.formatted(.iso8601))")
        }
        for input in record.inputs { output.line("input \(input)") }
        if !record.job.isEmpty { output.line("job \(record.job)") }
        if !record.distributedID.isEmpty { output.line("distributed-id \(record.distributedID)") }
        output.line("metadata \(record.metadata)")
        if !record.description.isEmpty {
          output.line("")
          output.line(record.description)
        }
      }
    }
  }
}
