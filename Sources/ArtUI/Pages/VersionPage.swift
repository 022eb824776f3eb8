import ArtCore
import ArtStore

/// `/v/NAME/vN?dir=PATH`: one version's record, metadata (nested values
/// folded), lineage neighbours, runs that used it, and one folder of its
/// file tree, paged.
enum VersionPage {
  /// Entries per page of a folder.
  static let pageSize = 500
  /// Runs that used the version listed, the newest.
  static let usesShown = 100

  /// The page of `version`: its record, lineage and one folder of files.
  ///
  /// - Throws: ``ArtError`` `.notFound` for a `dir` that is no folder of
  ///   the version, or the errors of reading damaged objects.
  static func render(_ context: PageContext, version: ResolvedVersion) throws -> UIResponse {
    let repository = context.repository
    let record = version.record
    let name = version.artifact.text
    let number = version.number.value
    let expires = try ExpiryOverrides.read(repository)[version.id] ?? record.expires
    var body = HTML()
    body.raw("<h1>")
    body.text(version.label)
    body.raw("</h1><p>")
    body.raw(Pills.aliases(context.refs.aliases(of: version.artifact, at: version.id).map(\.text)))
    body.raw(Pills.tags(version.journal.tags))
    body.raw("</p>")
    if !record.description.isEmpty {
      body.raw("<p>")
      body.text(record.description)
      body.raw("</p>")
    }
    body.raw("<dl class=\"facts\">")
    fact(&body, "id", version.id.hex, mono: true)
    fact(&body, "type", record.type)
    fact(&body, "created", HumanText.timestamp(record.created))
    if let expires { fact(&body, "expires", HumanText.timestamp(expires)) }
    fact(
      &body, "size",
      "\(HumanText.count(Int(clamping: record.files), "file")), \(HumanText.bytes(record.size))")
    if record.referenceCount > 0 {
      fact(
        &body, "references",
        "\(HumanText.count(Int(clamping: record.referenceCount), "entry")) outside the store, "
          + HumanText.bytes(record.referenceBytes))
    }
    fact(&body, "root", record.root.isEmpty ? "." : record.root)
    if !record.job.isEmpty { fact(&body, "job", record.job) }
    if !record.run.isEmpty { fact(&body, "run", record.run) }
    body.raw("</dl>")

    // Lineage neighbours.
    let lineage = try Lineage(repository: repository, refs: context.refs)
    let made = lineage.made(from: version.id)
    body.raw("<h2>Lineage</h2><dl class=\"facts\"><dt>made from</dt><dd>")
    if record.inputs.isEmpty { body.raw("<span class=\"muted\">nothing recorded</span>") }
    for input in record.inputs {
      if let found = lineage.versions[input] {
        body.raw(context.versionLink(found))
      } else {
        body.text(lineage.label(input))
      }
      body.raw(" ")
    }
    body.raw("</dd><dt>made into</dt><dd>")
    if made.isEmpty { body.raw("<span class=\"muted\">nothing yet</span>") }
    for child in made {
      body.raw(context.versionLink(child))
      body.raw(" ")
    }
    body.raw("</dd></dl><p>")
    body.link(context.href(.lineage(name, number)), "lineage graph")
    if let previous = context.refs.versions(of: version.artifact).last(where: {
      $0.number < version.number
    }) {
      body.raw(" · ")
      body.link(
        context.href(.diff("\(name):\(previous.number)", version.label)),
        "changes since \(previous.number)")
    }
    body.raw("</p>")
    if !version.journal.uses.isEmpty {
      let uses = version.journal.uses
      body.raw("<h2>Used by</h2>")
      if uses.count > usesShown {
        body.raw("<p class=\"muted\">")
        body.text("the newest \(usesShown) of \(uses.count) runs ('art runs' lists them all)")
        body.raw("</p>")
      }
      body.raw("<table><thead><tr><th>Run</th><th>Job</th><th>Time</th><th>User</th>")
      body.raw("</tr></thead><tbody>")
      for use in uses.suffix(usesShown) {
        body.raw("<tr>")
        body.element("td", use.run ?? "")
        body.element("td", use.job ?? "")
        body.element("td", HumanText.timestamp(use.time))
        body.element("td", use.user)
        body.raw("</tr>")
      }
      body.raw("</tbody></table>")
    }

    body.raw("<h2>Metadata</h2>")
    do {
      let metadata = try Metadata.parse(Array(record.metadata.utf8), source: version.label)
      if metadata.isEmpty { body.raw("<p class=\"muted\">none</p>") }
      body.raw(JSONTree.html(.object(metadata)))
    } catch let error as ArtError {
      // Damaged metadata hides nothing else of the version.
      body.raw("<p class=\"error\">")
      body.text(error.message)
      body.raw("</p>")
    }

    try files(&body, context, version: version)
    return .page(
      Chrome.page(
        title: "art: \(version.label)", body: body, linker: context.linker,
        crumbs: [("Artifacts", .home), (name, .artifact(name)), ("\(version.number)", nil)]))
  }

  private static func fact(_ body: inout HTML, _ name: String, _ value: String, mono: Bool = false)
  {
    body.raw("<dt>")
    body.text(name)
    body.raw(mono ? "</dt><dd class=\"mono\">" : "</dt><dd>")
    body.text(value)
    body.raw("</dd>")
  }

  /// The folder `dir` of the version's tree.
  private static func files(_ body: inout HTML, _ context: PageContext, version: ResolvedVersion)
    throws
  {
    let name = version.artifact.text
    let number = version.number.value
    let dir = context.location.value("dir") ?? ""
    let components = dir.split(separator: "/").map(String.init)
    var folder = version.record.manifest
    if !components.isEmpty {
      guard
        let entry = try TreeListing.entry(
          at: components, of: folder, in: context.repository.store),
        entry.kind == .folder
      else {
        throw ArtError(.notFound, "\(version.label) has no folder '\(dir)'", hint: "go to its root")
      }
      folder = entry.id
    }
    let entries = try context.repository.store.manifest(folder).entries.sorted {
      ($0.kind == .folder ? 0 : 1, $0.name) < ($1.kind == .folder ? 0 : 1, $1.name)
    }
    let pager = Pager(page: context.location.page(), size: pageSize, total: entries.count)
    body.raw("<h2>Files</h2><div class=\"crumbs\">")
    body.link(context.href(.version(name, number)), "\(version.label)")
    for index in components.indices {
      body.raw(" / ")
      body.link(
        context.href(.version(name, number, dir: components[...index].joined(separator: "/"))),
        components[index])
    }
    body.raw("</div>")
    let controls = pager.controls(context.linker) { .version(name, number, dir: dir, page: $0) }
    body.raw(controls)
    body.raw(
      "<table class=\"sortable\"><thead><tr><th>Name</th><th>Kind</th>"
        + "<th class=\"n\">Size</th>\(context.linker.isLive ? "<th></th>" : "")</tr></thead><tbody>"
    )
    let prefix = components.isEmpty ? "" : components.joined(separator: "/") + "/"
    for entry in entries[pager.range] {
      let path = prefix + entry.name
      body.raw("<tr><td>")
      if entry.kind == .folder {
        body.link(context.href(.version(name, number, dir: path)), entry.name + "/")
      } else {
        body.link(context.href(.file(name, number, path: path)), entry.name)
      }
      body.raw("</td>")
      body.element("td", kindText(entry.kind))
      if entry.kind == .folder {
        body.raw("<td class=\"n\" data-sort=\"-1\"></td>")
      } else {
        Cells.bytes(&body, entry.size)
      }
      if context.linker.isLive {
        body.raw("<td>")
        if entry.isFile { body.link(context.href(.raw(name, number, path: path)), "download") }
        body.raw("</td>")
      }
      body.raw("</tr>")
    }
    body.raw("</tbody></table>")
    if entries.isEmpty { body.raw("<p class=\"muted\">empty folder</p>") }
    body.raw(controls)
  }

  /// An entry's kind in the glossary's words.
  static func kindText(_ kind: ManifestEntry.Kind) -> String {
    switch kind {
    case .file, .chunked: "file"
    case .folder: "folder"
    case .symlink: "symbolic link"
    case .external: "external reference"
    case .bundle: "bundle entry"
    }
  }
}
