import ArtCore
import ArtStore

/// `/f/NAME/vN?path=P`: a bounded preview of one file (CSV, TSV and JSON
/// Lines as a paged table, text and code, images, a hex view for the
/// rest), and `/raw/…`, its bytes as a download.
///
/// A preview never renders the file as HTML or SVG on the UI's origin:
/// text is escaped, and images are shown only when their first bytes are
/// PNG, JPEG, GIF or WebP, served under a sandboxing policy.
enum FilePage {
  /// Bytes of text per page.
  static let textPage = 256 << 10
  /// Bytes per page of the hex view.
  static let hexPage = 4 << 10
  /// Rows per page of a table.
  static let rowsPerPage = 100
  /// Bytes a table page may read (skipping to its rows, and the rows),
  /// past which it stops and says so.
  static let tableScanLimit: UInt64 = 64 << 20

  /// The preview page of the query's `path` in `version`.
  ///
  /// Reads at most one page of the file (a table: at most
  /// ``tableScanLimit`` bytes).
  ///
  /// - Throws: ``ArtError`` `.notFound` for no such path, or the errors of
  ///   reading damaged objects.
  static func render(_ context: PageContext, version: ResolvedVersion) throws -> UIResponse {
    let (path, entry) = try file(context, version)
    let name = version.artifact.text
    let number = version.number.value
    var body = HTML()
    body.raw("<h1>")
    body.text(path.split(separator: "/").last.map(String.init) ?? path)
    body.raw("</h1><p class=\"muted\">")
    body.text("\(VersionPage.kindText(entry.kind)), \(HumanText.bytes(entry.size)) · ")
    body.raw(context.versionLink(version))
    if entry.isFile, context.linker.isLive {
      body.raw(" · ")
      body.link(context.href(.raw(name, number, path: path)), "download")
    }
    body.raw("</p>")
    let store = context.repository.store
    switch entry.kind {
    case .folder:
      body.link(context.href(.version(name, number, dir: path)), "open the folder")
    case .symlink:
      // A target is at most PATH_MAX; a hostile entry may name a huge blob.
      let target = try ContentReader.bytes(of: entry.id, from: store, at: 0, count: 4096)
      body.raw("<p>symbolic link to <span class=\"mono\">")
      body.text(String(decoding: target, as: UTF8.self))
      body.raw("</span></p>")
    case .external:
      let reference = try store.reference(entry.id)
      body.raw("<p>kept outside the store, at <span class=\"mono\">")
      body.text(reference.uri)
      body.raw("</span></p>")
      if let sha256 = reference.sha256 {
        body.raw("<p class=\"muted\">SHA-256 ")
        body.text(sha256.hex)
        body.raw("</p>")
      }
    case .bundle:
      let labels = Dictionary(
        context.refs.artifacts.flatMap { artifact in
          context.refs.versions(of: artifact).map { ($0.id, (artifact, $0.number)) }
        }, uniquingKeysWith: { a, _ in a })
      body.raw("<p>a bundle entry naming ")
      if let (artifact, number) = labels[entry.id] {
        body.link(context.href(.version(artifact.text, number.value)), "\(artifact):\(number)")
      } else {
        body.text(entry.id.hex + " (not in this repository)")
      }
      body.raw("</p>")
    case .file, .chunked:
      try preview(&body, context, version: version, path: path, entry: entry)
    }
    return .page(
      Chrome.page(
        title: "art: \(version.label):\(path)", body: body, linker: context.linker,
        crumbs: [
          ("Artifacts", .home), (name, .artifact(name)),
          ("\(version.number)", .version(name, number)), (path, nil),
        ]))
  }

  /// `/raw/NAME/vN?path=P`: the file's bytes, streamed and checked as they
  /// go, as an attachment; with `inline=1`, an image shown by a preview
  /// (only PNG, JPEG, GIF and WebP, by their first bytes).
  static func raw(_ context: PageContext, version: ResolvedVersion) throws -> UIResponse {
    let (path, entry) = try file(context, version)
    guard entry.isFile else {
      throw ArtError(.invalidArgument, "'\(path)' is not a stored file", hint: "open its page")
    }
    let fileName = path.split(separator: "/").last.map(String.init) ?? "file"
    if context.location.value("inline") == "1" {
      let head = try read(entry, in: context.repository.store, from: 0, count: 16)
      guard let type = imageType(head) else {
        throw ArtError(.invalidArgument, "'\(path)' is not a PNG, JPEG, GIF or WebP image")
      }
      return UIResponse(
        status: 200, contentType: type,
        headers: [
          ("Content-Security-Policy", "default-src 'none'; sandbox"),
          ("Content-Disposition", "inline; filename=\"image\""),
        ],
        body: .content(entry.id, size: entry.size, repository: context.repository))
    }
    return UIResponse(
      status: 200, contentType: "application/octet-stream",
      headers: [
        ("Content-Security-Policy", "default-src 'none'; sandbox"),
        ("Content-Disposition", "attachment; " + dispositionName(fileName)),
      ],
      body: .content(entry.id, size: entry.size, repository: context.repository))
  }

  /// `filename="…"` (ASCII, quotes and controls replaced) and
  /// `filename*=UTF-8''…` (RFC 6266).
  static func dispositionName(_ name: String) -> String {
    let ascii = String(
      name.unicodeScalars.map {
        $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" && $0.value != 0x7F
          ? Character($0) : "_"
      })
    return "filename=\"\(ascii)\"; filename*=UTF-8''\(QueryItem.encode(name))"
  }

  /// The path the query names and its entry.
  private static func file(_ context: PageContext, _ version: ResolvedVersion) throws -> (
    String, TreeEntry
  ) {
    let path = context.location.value("path") ?? ""
    let components = path.split(separator: "/").map(String.init)
    guard !components.isEmpty,
      let entry = try TreeListing.entry(
        at: components, of: version.record.manifest, in: context.repository.store)
    else {
      throw ArtError(
        .notFound, "\(version.label) has no path '\(path)'", hint: "browse its files on its page")
    }
    return (components.joined(separator: "/"), entry)
  }

  private static func preview(
    _ body: inout HTML, _ context: PageContext, version: ResolvedVersion, path: String,
    entry: TreeEntry
  ) throws {
    let store = context.repository.store
    let name = version.artifact.text
    let number = version.number.value
    let page = context.location.page()
    if entry.size == 0 { return body.raw("<p class=\"muted\">empty file</p>") }
    if let format = TableFormat(path: path) {
      return try TablePreview.render(
        &body, context, entry: entry, format: format, page: page
      ) { .file(name, number, path: path, page: $0) }
    }
    let head = try read(entry, in: store, from: 0, count: 8192)
    if let type = imageType(head) {
      if context.linker.isLive {
        body.raw("<img class=\"preview\" alt=\"\" src=\"")
        body.text(context.href(.raw(name, number, path: path, inline: true)))
        body.raw("\">")
      } else {
        body.raw("<p class=\"muted\">")
        body.text("\(type) image: shown by 'art ui', not in a static export")
        body.raw("</p>")
      }
      return
    }
    if looksLikeText(head) {
      let pager = Pager(page: page, size: textPage, total: Int(clamping: entry.size))
      let bytes = textPage(
        try read(
          entry, in: store, from: UInt64(pager.range.lowerBound), count: pager.range.count + 3),
        startsMidFile: pager.range.lowerBound > 0, length: pager.range.count)
      let controls = Self.controls(context, pager) { .file(name, number, path: path, page: $0) }
      body.raw(controls)
      body.raw("<pre class=\"text\">")
      body.text(String(decoding: bytes, as: UTF8.self))
      body.raw("</pre>")
      body.raw(controls)
      return
    }
    let pager = Pager(page: page, size: hexPage, total: Int(clamping: entry.size))
    let start = pager.range.lowerBound
    let bytes = try read(entry, in: store, from: UInt64(start), count: pager.range.count)
    let controls = Self.controls(context, pager) { .file(name, number, path: path, page: $0) }
    body.raw(controls)
    body.raw("<pre class=\"text hex\">")
    body.text(hexDump(bytes, startingAt: start))
    body.raw("</pre>")
    body.raw(controls)
  }

  /// The pager of a preview; a static export has only a preview's first
  /// page, and says so instead.
  static func controls(
    _ context: PageContext, _ pager: Pager, more: Bool = false, shown: Int? = nil,
    _ location: (Int) -> Location
  ) -> String {
    if context.linker.isLive {
      return pager.controls(context.linker, more: more, shown: shown, location)
    }
    guard pager.hasNext(more: more) else { return "" }
    return "<div class=\"pager\">the first page of the file; 'art ui' shows the rest</div>"
  }

  /// The `length` bytes of a text page, moved to whole UTF-8 characters:
  /// without the ends of a character the page before holds (when it
  /// starts mid-file), with the rest of one its last byte starts (`bytes`
  /// holds 3 more for that).
  static func textPage(_ bytes: [UInt8], startsMidFile: Bool, length: Int) -> ArraySlice<UInt8> {
    func continues(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
    var start = 0
    if startsMidFile {
      while start < min(3, bytes.count), continues(bytes[start]) { start += 1 }
    }
    var end = min(length, bytes.count)
    while end < bytes.count, end < length + 3, continues(bytes[end]) { end += 1 }
    return bytes[start..<max(start, end)]
  }

  /// Lines of `00000010  6c 6f …  |lo…|`.
  static func hexDump(_ bytes: [UInt8], startingAt start: Int) -> String {
    var lines: [String] = []
    var index = 0
    while index < bytes.count {
      let row = bytes[index..<min(index + 16, bytes.count)]
      let offset = String(start + index, radix: 16).leftPadded(8)
      var hex = row.map { String($0, radix: 16).leftPadded(2) }.joined(separator: " ")
      hex += String(repeating: " ", count: max(0, 47 - hex.count))
      let ascii = String(
        row.map { (0x20..<0x7F).contains($0) ? Character(Unicode.Scalar($0)) : "." })
      lines.append("\(offset)  \(hex)  |\(ascii)|")
      index += 16
    }
    return lines.joined(separator: "\n")
  }

  /// Whether `head` reads as text: no NUL, and UTF-8 but for a character
  /// cut at the end.
  static func looksLikeText(_ head: [UInt8]) -> Bool {
    guard !head.contains(0) else { return false }
    for cut in 0...min(3, head.count) {
      if String(validating: head[..<(head.count - cut)], as: UTF8.self) != nil { return true }
    }
    return false
  }

  /// The media type of an image whose first bytes are `head`, for the four
  /// formats browsers show without running anything.
  static func imageType(_ head: [UInt8]) -> String? {
    if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
    if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
    if head.starts(with: Array("GIF87a".utf8)) || head.starts(with: Array("GIF89a".utf8)) {
      return "image/gif"
    }
    if head.count >= 12, head.starts(with: Array("RIFF".utf8)),
      Array(head[8..<12]) == Array("WEBP".utf8)
    {
      return "image/webp"
    }
    return nil
  }

  /// Up to `count` bytes of the file from `offset`, each piece checked.
  static func read(_ entry: TreeEntry, in store: ObjectStore, from offset: UInt64, count: Int)
    throws -> [UInt8]
  {
    guard offset < entry.size else { return [] }
    return try ContentReader.bytes(of: entry.id, from: store, at: offset, count: count)
  }
}
