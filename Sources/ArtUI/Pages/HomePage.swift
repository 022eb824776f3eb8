import ArtCore
import ArtStore

/// `/`: artifacts by type, with version counts, the latest version and
/// its size; the search box takes what `art ls` takes.
enum HomePage {
  /// Artifacts per page, all types together.
  static let pageSize = 1000

  /// The artifacts page: reads each artifact's latest (or newest matching)
  /// record; a bad filter is shown on the page, not thrown.
  ///
  /// - Throws: ``ArtError`` when the refs or the journal cannot be read.
  static func render(_ context: PageContext) throws -> UIResponse {
    let location = context.location
    var problems: [String] = []
    var filter = VersionFilter()
    var filterError: ArtError?
    do {
      filter = try Self.filter(location)
    } catch let error as ArtError {
      filterError = error
    }
    let all = try filter.newestPerArtifact(
      in: context.repository, refs: context.refs, unreadable: { problems.append($0) }
    ).sorted {
      ($0.newest.record.type, $0.newest.artifact.text) < (
        $1.newest.record.type, $1.newest.artifact.text
      )
    }
    let types = Set(all.map(\.newest.record.type)).sorted()
    let pager = Pager(page: location.page(), size: pageSize, total: all.count)
    let found = all[pager.range]
    let controls = pager.controls(context.linker) { location.withPage($0) }

    var body = HTML()
    body.raw("<h1>Artifacts</h1>")
    if context.linker.isLive {
      body.raw(searchForm(location, types: types, linker: context.linker))
    }
    if let filterError {
      body.raw("<p class=\"error\">")
      body.text(filterError.message + (filterError.hint.map { " (\($0))" } ?? ""))
      body.raw("</p>")
    }
    for problem in problems {
      body.raw("<p class=\"error\">skipped ")
      body.text(problem)
      body.raw(" (run 'art fsck -v')</p>")
    }
    if found.isEmpty {
      body.raw("<p class=\"muted\">")
      body.text(
        filter.isEmpty
          ? "No artifacts yet: make one with 'art commit NAME PATH'." : "No artifact matches.")
      body.raw("</p>")
    }
    body.raw(controls)
    for type in types {
      let rows = found.filter { $0.newest.record.type == type }
      if rows.isEmpty { continue }
      body.raw("<h2>")
      body.text(type)
      let ofType = all.count(where: { $0.newest.record.type == type })
      body.raw(" <span class=\"muted\">(\(ofType))</span></h2>")
      body.raw(
        "<table class=\"sortable\"><thead><tr><th>Artifact</th>"
          + "<th class=\"n\">\(filter.isEmpty ? "Versions" : "Matching versions")</th>"
          + "<th>\(filter.isEmpty ? "Latest" : "Newest match")</th><th>Aliases</th>"
          + "<th class=\"n\">Files</th><th class=\"n\">Size</th><th>Created</th>"
          + "<th>Description</th></tr></thead><tbody>")
      for (newest, count) in rows {
        let record = newest.record
        let aliases = context.refs.aliases(of: newest.artifact, at: newest.id)
        body.raw("<tr><td>")
        body.link(context.href(.artifact(newest.artifact.text)), newest.artifact.text)
        body.raw("</td><td class=\"n\">\(count)</td><td>")
        body.raw(context.versionLink(newest, text: "\(newest.number)"))
        body.raw("</td><td>")
        body.raw(Pills.aliases(aliases.map(\.text)))
        body.raw("</td><td class=\"n\" data-sort=\"\(record.files)\">\(record.files)</td>")
        Cells.bytes(&body, record.size)
        Cells.time(&body, record.created)
        body.raw("<td>")
        body.text(record.description)
        body.raw("</td></tr>")
      }
      body.raw("</tbody></table>")
    }
    body.raw(controls)
    return .page(Chrome.page(title: "art: artifacts", body: body, linker: context.linker))
  }

  /// The filter the query asks for: `q` (a name, or a glob), `type`,
  /// `alias`, `tag`, `metadata` (conditions separated by spaces), `since`
  /// and `until`.
  static func filter(_ location: Location) throws -> VersionFilter {
    var names: [String] = []
    if let name = location.value("q")?.trimmingWhitespace(), !name.isEmpty {
      // A plain word finds names containing it; a glob is taken as it is.
      names = [name.contains(where: { "*?[".contains($0) }) ? name : "*\(name)*"]
    }
    func text(_ name: String) -> String? {
      location.value(name).map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
    }
    return try VersionFilter(
      type: text("type"), names: names, aliases: words(location, "alias"),
      tags: words(location, "tag"), conditions: words(location, "metadata"),
      since: text("since"), until: text("until"), now: WallClock.milliseconds())
  }

  private static func words(_ location: Location, _ name: String) -> [String] {
    location.values(name).flatMap { $0.split(separator: " ").map(String.init) }
  }

  private static func searchForm(_ location: Location, types: [String], linker: Linker)
    -> String
  {
    var html = HTML()
    html.raw("<form class=\"bar\" method=\"get\" action=\"\(linker.action("/"))\">")
    for (name, label, placeholder) in [
      ("q", "Name", "name or glob"), ("metadata", "Metadata", "year=2024 acc>0.9"),
      ("alias", "Alias", "production"), ("tag", "Tag", "golden"), ("since", "Since", "7d"),
    ] {
      html.raw("<label>\(label)<input name=\"\(name)\" value=\"")
      html.text(location.value(name) ?? "")
      html.raw("\" placeholder=\"\(placeholder)\"></label>")
    }
    html.raw("<label>Type<select name=\"type\"><option value=\"\">any</option>")
    let chosen = location.value("type") ?? ""
    for type in Set(types + (chosen.isEmpty ? [] : [chosen])).sorted() {
      html.raw("<option value=\"\(HTML.attribute(type))\"\(type == chosen ? " selected" : "")>")
      html.text(type)
      html.raw("</option>")
    }
    html.raw("</select></label><button type=\"submit\">Search</button></form>")
    return html.markup
  }
}
