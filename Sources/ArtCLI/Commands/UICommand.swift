import ArgumentParser
import ArtCore
import ArtStore
import ArtUI
import Foundation
import SystemPackage

extension ArtCommand {
  struct UICommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "ui",
      abstract: "Browse the repository in a web browser: a local, read-only web interface.",
      discussion: """
        Serves pages of artifacts, versions (metadata, lineage, files with \
        previews and downloads), diffs of any two versions with their table \
        rows, the lineage graph and what gc would drop, on 127.0.0.1 \
        (unless --host says otherwise). \
        The address printed carries a random token that every request must \
        present (a cookie keeps it after the first page), so other users of \
        the machine and web pages cannot read the data. No request changes \
        the repository, and each holds the repository lock only while it \
        runs. Stop it with Ctrl-C.

        With --export DIR, writes the same pages as a static site instead \
        (links relative; previews, not the files' bytes) and exits.

        Examples:
          art ui
          art ui --port 8765 --open
          art ui --export site/
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port: Int = 0

    @Option(help: "The address to listen on: keep it a loopback address.")
    var host = "127.0.0.1"

    @Flag(help: "Open the address in the default browser (xdg-open).")
    var open = false

    @Option(
      help: ArgumentHelp(
        "Write the pages as a static site into DIR and exit.", valueName: "DIR"))
    var export: String?

    @Option(help: "With --export, the most pages to write.")
    var maximumPages = 5000

    @Flag(help: "Print as JSON: the address (one line, once listening), or what --export wrote.")
    var json = false

    /// `art ui --json`, printed once the server listens.
    struct Serving: Encodable {
      var format = Formatting.jsonFormat
      var url: String
      var host: String
      var port: Int
      var root: String
    }

    /// `art ui --export --json`.
    struct Exported: Encodable {
      var directory: String
      var pages: Int
      var left: Int
      var errors: Int
    }

    func validate() throws {
      guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
      guard maximumPages > 0 else { throw ValidationError("--maximum-pages must be at least 1") }
      if export != nil, open { throw ValidationError("--open and --export do not go together") }
    }

    func execute(output: Output) async throws {
      // Found once, then opened anew (shared lock) by every request.
      let root = try repository().root
      // Row diffs of large tables spill here, never into .art.
      let scratch = try TemporaryFolder(prefix: "art-ui")
      defer { scratch.remove() }
      let site = UISite(
        root: root, lockTimeout: .seconds(max(0, global.lockTimeout)), scratch: scratch.path)
      if let export {
        let directory = try global.resolve(export)
        let result = try await StaticExport(site: site, maximumPages: maximumPages).write(
          to: directory)
        if result.errors > 0 {
          throw ArtError(
            .corruptData,
            "\(Formatting.count(result.errors, "page")) of the export show damaged or missing data",
            hint:
              "the pages were written to \(directory); run 'art fsck --full' to see what is damaged"
          )
        }
        if json {
          return output.line(
            Formatting.document(
              Exported(
                directory: directory.string, pages: result.pages, left: result.left,
                errors: result.errors)))
        }
        output.line(
          "art ui: wrote \(Formatting.count(result.pages, "page")) to \(directory) "
            + "(open \(directory.appending("index.html")))"
            + (result.left > 0
              ? "; \(Formatting.count(result.left, "linked page")) left out past "
                + "--maximum-pages \(maximumPages)" : ""))
        return
      }
      if !UIServer.isLoopback(host) {
        output.note(
          "art: warning: listening on \(host), not a loopback address: anyone who can reach it "
            + "and learns the token can read the repository")
      }
      let server = UIServer(site: site, host: host, port: port)
      let open = self.open
      let json = self.json
      let host = self.host
      do {
        try await server.run { address, port in
          output.line(
            json
              ? Formatting.compactJSON(
                Serving(url: address, host: host, port: port, root: root.string)) : address)
          output.flush()
          output.note("art ui: serving \(root) read-only at \(address) (stop with Ctrl-C)")
          output.flush()
          if open { Self.openInBrowser(address, through: scratch.path) }
        }
      } catch let error as ArtError {
        throw error
      } catch {
        throw ArtError(
          .io, "cannot serve on \(host):\(port): \(error)",
          hint: "choose another --port (0 picks a free one); --host must be an address of this "
            + "machine, such as 127.0.0.1")
      }
    }

    /// Starts `xdg-open` on a page in `folder` (this user's alone) that
    /// forwards to `address`, as Jupyter does: the token never appears on
    /// a command line, where other users could read it.
    static func openInBrowser(_ address: String, through folder: FilePath) {
      let output = Output.current
      let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(
        separator: ":")
      guard
        let opener = paths.map({ "\($0)/xdg-open" }).first(where: {
          FileManager.default.isExecutableFile(atPath: $0)
        })
      else {
        return output.note("art ui: no xdg-open on PATH to start a browser; open the address above")
      }
      let page = folder.appending("open.html")
      let html =
        "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url="
        + address + "\"><a href=\"" + address + "\">art ui</a>\n"
      do {
        let file = try FileDescriptor.open(
          page, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
          permissions: [.ownerReadWrite])
        defer { try? file.close() }
        _ = try Array(html.utf8).withUnsafeBytes { try file.writeAll($0) }
      } catch {
        return output.note(
          "art ui: could not start a browser (\(error)); open the address above")
      }
      let process = Process()
      process.executableURL = URL(fileURLWithPath: opener)
      process.arguments = [page.string]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      do {
        try process.run()
      } catch {
        output.note("art ui: could not start a browser (\(error)); open the address above")
      }
    }
  }
}
