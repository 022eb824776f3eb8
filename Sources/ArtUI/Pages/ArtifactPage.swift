import ArtCore
import ArtStore

/// `/a/NAME`: the versions of one artifact as a sortable table, a chart of
/// the bytes each stores alone and shares (`art du`), and two versions to
/// compare.
enum ArtifactPage {
  /// Versions per page.
  static let pageSize = 200
  /// Metadata keys shown as columns, the most common first.
  static let metadataColumns = 6
  /// The most versions in the repository for which stored bytes are
  /// measured with the page (past it, or ``usageFiles``, on demand).
  static let usageVersions = 100
  /// The most files in the versions shown for which stored bytes are
  /// measured with the page.
  static let usageFiles: UInt64 = 50_000

  /// The page of artifact `name`.
  ///
  /// Reads the records of the versions shown; with few versions in the
  /// repository (or `usage=1`), every version's tree too, as `art du` does.
  ///
  /// - Throws: ``ArtError`` `.notFound` for no such artifact, or the errors
  ///   of reading refs, records and trees.
  static func render(_ context: PageContext, name: String) throws -> UIResponse {
    let artifact = try ArtifactName(name)
    let repository = context.repository
    let refs = context.refs
    let numbers = Array(refs.versions(of: artifact).reversed())
    guard !numbers.isEmpty else {
      throw ArtError(.notFound, "no artifact '\(name)'", hint: "see the artifacts page")
    }
    let pager = Pager(page: context.location.page(), size: pageSize, total: numbers.count)
    let aliases = refs.aliasesByVersion(of: artifact)
    let expiry = try ExpiryOverrides.read(repository)
    var versions: [ResolvedVersion] = []
    var problems: [String] = []
    for (number, id) in numbers[pager.range] {
      do {
        versions.append(
          try repository.loadVersion(id, artifact: artifact, in: refs, number: number))
      } catch let error as ArtError {
        problems.append("\(name):\(number): \(error.message)")
      }
    }
    let metadata = versions.map {
      (try? Metadata.parse(Array($0.record.metadata.utf8), source: "")) ?? [:]
    }
    let columns = Self.columns(metadata)
    // `art du` reads every version's tree: at once for a small repository,
    // on demand past that.
    let liveVersions = refs.artifacts.reduce(0) { $0 + refs.versions(of: $1).count }
    let files = versions.reduce(UInt64(0)) { $0 &+ $1.record.files }
    let measures =
      context.location.value("usage") == "1"
      || (liveVersions <= usageVersions && files <= usageFiles)
    let usage =
      measures
      ? Dictionary(
        (try DiskUsage.measure(repository, artifacts: [artifact])).versions.map {
          ($0.version.id, $0)
        }, uniquingKeysWith: { a, _ in a }) : [:]

    var body = HTML()
    body.raw("<h1>")
    body.text(name)
    body.raw(" <span class=\"muted\">")
    body.text(versions.first?.record.type ?? "")
    body.raw("</span></h1><p class=\"muted\">")
    body.text(HumanText.count(numbers.count, "version"))
    if let latest = versions.first, pager.page == 1 {
      body.raw(" · latest ")
      body.raw(context.versionLink(latest, text: "\(latest.number)"))
      body.raw(" · ")
      body.link(context.href(.lineage(name, latest.number.value)), "lineage")
    }
    body.raw("</p>")
    for problem in problems {
      body.raw("<p class=\"error\">skipped ")
      body.text(problem)
      body.raw("</p>")
    }
    body.raw("<h2>Stored bytes per version</h2>")
    if !measures {
      var measure = Location.artifact(name, page: pager.page)
      measure.query.append(QueryItem("usage", "1"))
      body.raw("<p>")
      body.link(context.href(measure), "Measure stored and shared bytes")
      body.raw(" <span class=\"muted\">")
      body.text(
        "(reads the tree of each of the repository's \(liveVersions) versions, as 'art du' does)")
      body.raw("</span></p>")
    }
    body.raw(
      measures
        ? UsageChart.svg(
          versions.reversed().map {
            UsageChart.Bar(
              label: "\($0.number)", unique: usage[$0.id]?.unique ?? 0,
              shared: usage[$0.id]?.shared ?? 0)
          }) : "")
    body.raw("<h2>Versions</h2>")
    let live = context.linker.isLive
    if live {
      body.raw("<form method=\"get\" action=\"\(context.linker.action("/diff"))\">")
    }
    body.raw(pager.controls(context.linker) { .artifact(name, page: $0) })
    body.raw("<div class=\"wide\"><table class=\"sortable\"><thead><tr>")
    if live { body.raw("<th>A</th><th>B</th>") }
    body.raw(
      "<th>Version</th><th>Id</th><th>Aliases</th><th>Tags</th><th>Created</th>"
        + "<th class=\"n\">Files</th><th class=\"n\">Size</th>"
        + "<th class=\"n\">Stored alone</th><th class=\"n\">Shared</th><th>Expires</th>"
        + "<th>Description</th>")
    for column in columns {
      body.raw("<th>")
      body.text(column)
      body.raw("</th>")
    }
    body.raw("</tr></thead><tbody>")
    for (index, version) in versions.enumerated() {
      let record = version.record
      let spec = version.label
      body.raw("<tr>")
      if live {
        let checkedA = index == 1 || (versions.count == 1 && index == 0)
        body.raw(
          "<td><input type=\"radio\" name=\"a\" value=\"\(HTML.attribute(spec))\""
            + "\(checkedA ? " checked" : "")></td>"
            + "<td><input type=\"radio\" name=\"b\" value=\"\(HTML.attribute(spec))\""
            + "\(index == 0 ? " checked" : "")></td>")
      }
      body.raw("<td data-sort=\"\(version.number.value)\">")
      body.raw(context.versionLink(version, text: "\(version.number)"))
      body.raw("</td><td class=\"id\">")
      body.text(String(version.id.hex.prefix(12)))
      body.raw("</td><td>")
      body.raw(Pills.aliases((aliases[version.id] ?? []).map(\.text)))
      body.raw("</td><td>")
      body.raw(Pills.tags(version.journal.tags))
      body.raw("</td>")
      Cells.time(&body, record.created)
      body.raw("<td class=\"n\" data-sort=\"\(record.files)\">\(record.files)</td>")
      Cells.bytes(&body, record.size)
      for bytes in [usage[version.id]?.unique, usage[version.id]?.shared] {
        if let bytes {
          Cells.bytes(&body, bytes)
        } else {
          body.raw("<td class=\"n muted\" data-sort=\"-1\">–</td>")
        }
      }
      let expires = expiry[version.id] ?? record.expires
      Cells.time(&body, expires)
      body.raw("<td>")
      body.text(record.description)
      body.raw("</td>")
      for column in columns {
        let value = metadata[index][column]
        body.raw("<td\(value.flatMap(Self.number).map { " data-sort=\"\($0)\"" } ?? "")>")
        body.text(value.map(JSONText.compact) ?? "")
        body.raw("</td>")
      }
      body.raw("</tr>")
    }
    body.raw("</tbody></table></div>")
    if live {
      body.raw(
        "<button type=\"submit\">Compare A with B</button></form>")
    } else if versions.count > 1 {
      body.raw("<p>Compare with the previous version: ")
      for (newer, older) in zip(versions, versions.dropFirst()) {
        body.link(
          context.href(.diff(older.label, newer.label)), "\(older.number)→\(newer.number)")
        body.raw(" ")
      }
      body.raw("</p>")
    }
    body.raw(pager.controls(context.linker) { .artifact(name, page: $0) })
    return .page(
      Chrome.page(
        title: "art: \(name)", body: body, linker: context.linker,
        crumbs: [("Artifacts", .home), (name, nil)]))
  }

  /// The scalar metadata keys most versions have, at most
  /// ``metadataColumns``, then by name.
  static func columns(_ metadata: [[String: JSONValue]]) -> [String] {
    var counts: [String: Int] = [:]
    for values in metadata {
      for (key, value) in values {
        switch value {
        case .object, .array: continue
        default: counts[key, default: 0] += 1
        }
      }
    }
    return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      .prefix(metadataColumns).map(\.key)
  }

  private static func number(_ value: JSONValue) -> String? {
    switch value {
    case .integer(let number): "\(number)"
    case .number(let number): "\(number)"
    default: nil
    }
  }
}
