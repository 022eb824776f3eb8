import ArtCore
import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtUI

/// `art ui`'s pages, asked for in process, on a repository whose names,
/// metadata and files are hostile; and `art ui --export` through the binary.
@Suite("Web UI pages, in process")
struct UITests {
  func art(_ arguments: String..., in folder: FilePath) async throws -> ProcessResult {
    await artInProcess(arguments, in: folder)
  }

  /// Two versions of `data/` (a CSV with a relabelled row, an image, files
  /// named and filled with markup) and a model made from the second.
  func makeRepository(_ folder: FilePath) async throws {
    _ = try await art("init", in: folder)
    let data = folder.appending("data")
    var csv = "id,label,note\n"
    for row in 0..<300 { csv += "\(row),class_\(row % 7),ok\n" }
    try writeFile(Array(csv.utf8), to: data.appending("labels.csv"))
    try writeFile(
      Array("<script>alert('readme')</script>\n".utf8), to: data.appending("README.md"))
    try writeFile(Array("named\n".utf8), to: data.appending("<img src=x onerror=alert(1)>.txt"))
    try writeFile(
      Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(2)</script></svg>"#.utf8),
      to: data.appending("evil.svg"))
    try writeFile(
      Array("<html><script>alert(3)</script></html>".utf8), to: data.appending("x.html"))
    try writeFile(
      [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3], to: data.appending("i.png"))
    try writeFile((0..<600).map { UInt8($0 % 256) }, to: data.appending("blob.bin"))
    let first = try await art(
      "commit", "ds", "data", "-m", "<b>first</b>", "--metadata", "note=<script>alert(4)</script>",
      "--metadata", "acc=0.5", in: folder)
    #expect(first.status == 0, "\(first.standardError)")
    csv = csv.replacingOccurrences(of: "5,class_5,ok", with: "5,<i>changed</i>,ok")
    try writeFile(Array(csv.utf8), to: data.appending("labels.csv"))
    let second = try await art(
      "commit", "ds", "data", "--metadata", "acc=0.75", in: folder)
    #expect(second.status == 0, "\(second.standardError)")
    try writeFile(Array("weights".utf8), to: folder.appending("model/w.bin"))
    let model = try await art(
      "commit", "net", "model", "--type", "model", "--input", "ds:v1", "--job", "train", in: folder)
    #expect(model.status == 0, "\(model.standardError)")
  }

  /// Every page a user reaches from the artifacts page, with their paths.
  let pages: [(String, String)] = [
    ("/", ""), ("/", "q=d&metadata=acc>0.6&type=dataset"), ("/a/ds", ""), ("/a/net", ""),
    ("/v/ds/v1", ""), ("/v/ds/v0", "dir="), ("/f/ds/v1", "path=labels.csv"),
    ("/f/ds/v1", "path=labels.csv&page=2"), ("/f/ds/v1", "path=README.md"),
    ("/f/ds/v1", "path=evil.svg"), ("/f/ds/v1", "path=x.html"), ("/f/ds/v1", "path=blob.bin"),
    ("/f/ds/v1", "path=i.png"), ("/f/ds/v1", "path=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt"),
    ("/diff", "a=ds:v0&b=ds:v1"), ("/diff", "a=ds:v0&b=ds:v1&rows=labels.csv&key=id"),
    ("/lineage/ds/v1", ""), ("/lineage/net/v0", ""), ("/gc", ""), ("/gc", "keep-last=1"),
  ]

  func site(_ folder: FilePath) -> UISite {
    UISite(root: folder, scratch: folder.appending("scratch"))
  }

  func html(_ response: UIResponse) -> String {
    guard case .text(let text) = response.body else { return "" }
    return text
  }

  @Test func everyPageShowsTheRepositoryWithEveryValueEscaped() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let site = site(folder)
      for (path, query) in pages {
        let response = await site.respond(path: path, query: query)
        let page = html(response)
        #expect(response.status == 200, "\(path)?\(query): \(page)")
        #expect(response.contentType == "text/html; charset=utf-8")
        // The only script is the UI's own, by address; no value became markup.
        #expect(!page.contains("<script>"), "\(path)?\(query)")
        #expect(!page.contains("<img src=x"), "\(path)?\(query)")
        #expect(!page.contains("<i>changed"), "\(path)?\(query)")
        #expect(!page.contains("<b>first"), "\(path)?\(query)")
        #expect(!page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\"><script"))
      }
      let version = html(await site.respond(path: "/v/ds/v0", query: ""))
      #expect(version.contains("&lt;script&gt;alert(4)&lt;/script&gt;"), "metadata shown as text")
      #expect(version.contains("&lt;img src=x onerror=alert(1)&gt;.txt"), "a name shown as text")
      let svg = html(await site.respond(path: "/f/ds/v1", query: "path=evil.svg"))
      #expect(svg.contains("&lt;svg xmlns="), "an SVG file is previewed as text")
      let rows = html(
        await site.respond(path: "/diff", query: "a=ds:v0&b=ds:v1&rows=labels.csv&key=id"))
      #expect(rows.contains("5 changed, 295 unchanged"), "\(rows)")  // 5, 75, 145, 215, 285
      #expect(rows.contains("<del>class_5</del> <ins>&lt;i&gt;changed&lt;/i&gt;</ins>"), "\(rows)")
      let lineage = html(await site.respond(path: "/lineage/ds/v1", query: ""))
      #expect(lineage.contains("<svg") && lineage.contains("net:v0") && lineage.contains("train"))
      let artifact = html(await site.respond(path: "/a/ds", query: ""))
      #expect(
        artifact.contains("<th>acc</th>") && artifact.contains("0.75"), "metadata as a column")
      let search = html(await site.respond(path: "/", query: "metadata=acc>0.6"))
      #expect(search.contains("/a/ds") && !search.contains("/a/net"), "\(search)")
      let table = html(await site.respond(path: "/f/ds/v1", query: "path=labels.csv&page=3"))
      #expect(table.contains("<td>200</td>") && table.contains("<td>299</td>"), "rows 200-299")
      #expect(!table.contains("<td>199</td>") && !table.contains("<td>300</td>"))
    }
  }

  @Test func imagesAndDownloadsAreServedUnderASandbox() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let site = site(folder)
      let image = await site.respond(path: "/raw/ds/v1", query: "path=i.png&inline=1")
      #expect(image.status == 200)
      #expect(image.contentType == "image/png")
      #expect(
        image.headers.contains {
          $0.name == "Content-Security-Policy" && $0.value.contains("sandbox")
        })
      // An SVG or HTML file is never served inline, whatever its name says.
      for path in ["evil.svg", "x.html", "README.md"] {
        let refused = await site.respond(path: "/raw/ds/v1", query: "path=\(path)&inline=1")
        #expect(refused.status == 400, "\(path)")
        let download = await site.respond(path: "/raw/ds/v1", query: "path=\(path)")
        #expect(download.status == 200)
        #expect(download.contentType == "application/octet-stream")
        #expect(
          download.headers.contains {
            $0.name == "Content-Disposition" && $0.value.hasPrefix("attachment;")
          })
        guard case .content(_, let size, _) = download.body else {
          Issue.record("\(path) is not streamed")
          continue
        }
        #expect(size == UInt64(try readFile(folder.appending("data/\(path)")).count))
      }
    }
  }

  @Test func badRequestsGetAPageThatSaysWhy() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let site = site(folder)
      let cases: [(String, String, Int, String)] = [
        ("/nope", "", 404, "no page"), ("/a/missing", "", 404, "no artifact"),
        ("/a/%3Cx%3E", "", 400, "not a valid artifact name"),
        ("/v/ds/v9", "", 404, "no version v9"), ("/v/ds/v1", "dir=../..", 404, "no folder"),
        ("/f/ds/v1", "path=../../../etc/passwd", 404, "no path"),
        ("/f/ds/v1", "path=", 404, "no path"), ("/raw/ds/v1", "path=nope", 404, "no path"),
        ("/diff", "a=ds:v0&b=zz:v1", 404, "zz"),
        ("/diff", "a=ds:v0&b=ds:v1&rows=README.md", 404, "not a table"),
        ("/gc", "keep-last=-1", 400, "not a count"), ("/", "metadata=acc", 200, "has no ="),
      ]
      for (path, query, status, text) in cases {
        let response = await site.respond(path: path, query: query)
        #expect(response.status == status, "\(path)?\(query): \(html(response))")
        #expect(html(response).contains(text), "\(path)?\(query): \(html(response))")
      }
      // Not a repository at all.
      let empty = folder.appending("empty")
      try FileManager.default.createDirectory(
        atPath: empty.string, withIntermediateDirectories: true)
      let none = await UISite(root: empty, scratch: folder.appending("s")).respond(
        path: "/", query: "")
      #expect(none.status == 404)
    }
  }

  /// Paths, sizes and modification times of everything below `folder`.
  func snapshot(_ folder: FilePath) throws -> [String: String] {
    var result: [String: String] = [:]
    let manager = FileManager.default
    guard let walker = manager.enumerator(atPath: folder.string) else { return result }
    while let path = walker.nextObject() as? String {
      let attributes = try manager.attributesOfItem(atPath: folder.appending(path).string)
      result[path] =
        "\(attributes[.size] ?? "") \(attributes[.modificationDate] ?? "")"
    }
    return result
  }

  @Test func noPageAndNoExportWritesToTheRepository() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let before = try snapshot(folder.appending(".art"))
      let site = site(folder)
      for (path, query) in pages { _ = await site.respond(path: path, query: query) }
      _ = await site.respond(path: "/raw/ds/v1", query: "path=labels.csv")
      let export = try await art("ui", "--export", "site", in: folder)
      #expect(export.status == 0, "\(export.standardError)")
      #expect(try snapshot(folder.appending(".art")) == before)
      // And it is refused inside .art, where it would write into the store.
      let inside = try await art("ui", "--export", ".art/site", in: folder)
      #expect(inside.status != 0)
      #expect(inside.standardError.contains("inside a .art folder"))
      #expect(try snapshot(folder.appending(".art")) == before)
    }
  }

  @Test func theExportIsASiteWhoseLinksAllResolve() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      let result = try await art("ui", "--export", "out/site", in: folder)
      #expect(result.status == 0, "\(result.standardError)")
      #expect(result.standardOutput.contains("wrote"), "\(result.standardOutput)")
      let site = folder.appending("out/site")
      let files = try FileManager.default.contentsOfDirectory(atPath: site.string)
      #expect(files.contains("index.html") && files.contains("art.css") && files.contains("art.js"))
      #expect(files.count > 20, "\(files.count) files")
      var linked = 0
      for file in files where file.hasSuffix(".html") {
        let page = String(decoding: try readFile(site.appending(file)), as: UTF8.self)
        #expect(!page.contains("href=\"/"), "\(file) has an absolute link")
        #expect(!page.contains("src=\"/"), "\(file) has an absolute source")
        #expect(!page.contains("<script>"), "\(file)")
        for match in page.split(separator: "href=\"").dropFirst() {
          let target = String(match.prefix { $0 != "\"" })
          linked += 1
          #expect(files.contains(target), "\(file) links to \(target), not written")
        }
      }
      #expect(linked > 50)
      let index = String(decoding: try readFile(site.appending("index.html")), as: UTF8.self)
      #expect(index.contains("static export") && index.contains(">ds<"))
      // A bound on pages says what it left out.
      let bounded = try await art("ui", "--export", "small", "--maximum-pages", "3", in: folder)
      #expect(bounded.status == 0)
      #expect(bounded.standardOutput.contains("left out past --maximum-pages 3"))
    }
  }

  @Test func downloadsStreamTheExactBytesAndDamageEndsThemShort() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      // 3 MiB of random bytes: chunked, and more than one piece of 1 MiB.
      let bytes = [UInt8].random(count: 3 << 20, seed: 7)
      try writeFile(bytes, to: folder.appending("data/big.bin"))
      _ = try await art("commit", "ds", "data", in: folder)
      let response = await site(folder).respond(path: "/raw/ds/v0", query: "path=big.bin")
      guard case .content(let id, let size, let repository) = response.body else {
        Issue.record("not streamed")
        return
      }
      var received: [UInt8] = []
      try await ContentStream(id, size: size, store: repository.store).forEach {
        received += $0
      }
      #expect(received == bytes)
      // A client that goes away after one piece (a closed or stalled
      // connection): the reading thread stops, and nothing traps.
      struct Gone: Error {}
      for _ in 0..<10 {
        await #expect(throws: Gone.self) {
          try await ContentStream(id, size: size, store: repository.store).forEach { _ in
            throw Gone()
          }
        }
      }
      // An entry that claims fewer or more bytes than the content holds:
      // the stream fails, and never hands over the last piece.
      for claimed in [size - 1, size + 1] {
        var partial: [UInt8] = []
        await #expect(throws: ArtError.self) {
          try await ContentStream(id, size: claimed, store: repository.store).forEach {
            partial += $0
          }
        }
        #expect(partial.count < bytes.count)
      }
    }
  }

  @Test func anExportGoesOnlyIntoANewOrEmptyFolderOrAnEarlierExport() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      // The project folder itself holds the user's files: refused, unchanged.
      let before = try FileManager.default.contentsOfDirectory(atPath: folder.string).sorted()
      let here = try await art("ui", "--export", ".", in: folder)
      #expect(here.status == 64, "\(here.standardError)")
      #expect(here.standardError.contains("not an earlier export"))
      #expect(try FileManager.default.contentsOfDirectory(atPath: folder.string).sorted() == before)
      // A new folder, then the same folder again.
      #expect(try await art("ui", "--export", "site", in: folder).status == 0)
      let again = try await art("ui", "--export", "site", in: folder)
      #expect(again.status == 0, "\(again.standardError)")
    }
  }

  @Test func anExportOfADamagedRepositoryWritesItsPagesAndFails() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      // Flip bytes all through every pack's data (not its header).
      let packs = folder.appending(".art/objects/packs")
      for name in try FileManager.default.contentsOfDirectory(atPath: packs.string)
      where name.hasSuffix(".pack") {
        var bytes = try readFile(packs.appending(name))
        for offset in stride(from: 64, to: bytes.count, by: 97) { bytes[offset] ^= 0x5A }
        try writeFile(bytes, to: packs.appending(name))
      }
      let result = try await art("ui", "--export", "site", in: folder)
      #expect(result.status == 2, "\(result.standardError)")
      #expect(result.standardError.contains("damaged"))
      #expect(try readFile(folder.appending("site/index.html")).count > 500)
    }
  }

  @Test func anExportNeverWritesThroughALinkOrIntoTheStore() async throws {
    try await withTemporaryDirectory { folder in
      try await makeRepository(folder)
      #expect(try await art("ui", "--export", "site", in: folder).status == 0)
      // Links planted in an earlier export: each name is replaced as a
      // name, and what the links point at is left alone.
      let victim = folder.appending("victim.txt")
      try writeFile(Array("keep me\n".utf8), to: victim)
      let site = folder.appending("site")
      for name in ["index.html", "art.css", ".art-ui-export"] {
        try FileManager.default.removeItem(atPath: site.appending(name).string)
        try FileManager.default.createSymbolicLink(
          atPath: site.appending(name).string, withDestinationPath: victim.string)
      }
      let again = try await art("ui", "--export", "site", in: folder)
      #expect(again.status == 0, "\(again.standardError)")
      #expect(try readFile(victim) == Array("keep me\n".utf8))
      for name in ["index.html", "art.css", ".art-ui-export"] {
        let kind =
          try FileManager.default.attributesOfItem(atPath: site.appending(name).string)[
            .type] as? FileAttributeType
        #expect(kind == .typeRegular, "\(name)")
      }
      // A destination that is a link to the store, or a folder inside it
      // reached through a link, is refused before anything is made.
      try FileManager.default.createSymbolicLink(
        atPath: folder.appending("store").string,
        withDestinationPath: folder.appending(".art").string)
      let before = try snapshot(folder.appending(".art"))
      for target in ["store", "store/pages", ".art/../.art/pages"] {
        let refused = try await art("ui", "--export", target, in: folder)
        #expect(refused.status == 64, "\(target): \(refused.standardError)")
      }
      #expect(try snapshot(folder.appending(".art")) == before)
    }
  }
}
