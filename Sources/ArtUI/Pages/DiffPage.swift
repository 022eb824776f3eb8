import ArtCore
import ArtStore
import SystemPackage

/// `/diff?a=SPEC&b=SPEC`: what changed between any two versions: files,
/// metadata, and, with `rows=PATH`, the rows of one table file, with
/// changed cells marked.
enum DiffPage {
  /// File changes per page.
  static let pageSize = 1000
  /// Example rows of each kind a row diff keeps.
  static let rowExamples = 50

  /// The comparison of versions `a` and `b` of the query.
  ///
  /// Walks only the folders that differ; a row diff reads both files once
  /// more, spilling to `scratch` past 32 MiB.
  ///
  /// - Throws: ``ArtError`` for specs that name no version, a `rows` path
  ///   that is not a modified table file, or damaged objects.
  static func render(_ context: PageContext, scratch: FilePath) async throws -> UIResponse {
    let location = context.location
    let a = location.value("a")?.trimmingWhitespace() ?? ""
    let b = location.value("b")?.trimmingWhitespace() ?? ""
    var body = HTML()
    body.raw("<h1>Compare versions</h1>")
    if context.linker.isLive {
      body.raw(
        "<form class=\"bar\" method=\"get\" action=\"\(context.linker.action("/diff"))\">")
      for (name, label, value) in [("a", "From (A)", a), ("b", "To (B)", b)] {
        body.raw("<label>\(label)<input name=\"\(name)\" value=\"")
        body.text(value)
        body.raw("\" placeholder=\"name:v1\"></label>")
      }
      body.raw("<button type=\"submit\">Compare</button></form>")
    }
    guard !a.isEmpty, !b.isEmpty else {
      body.raw("<p class=\"muted\">Give two versions: NAME:vN, NAME:ALIAS or an id prefix.</p>")
      return .page(Chrome.page(title: "art: compare", body: body, linker: context.linker))
    }
    let repository = context.repository
    let old = try repository.resolve(Spec(a), in: context.refs)
    let new = try repository.resolve(Spec(b), in: context.refs)
    let changes = try ManifestDiff.between(
      old.record.manifest, new.record.manifest, store: repository.store)
    body.raw("<p>")
    body.raw(context.versionLink(old))
    body.raw(" → ")
    body.raw(context.versionLink(new))
    body.raw("</p>")

    if let rows = location.value("rows"), !rows.isEmpty {
      guard
        let change = changes.first(where: {
          $0.path == rows && $0.kind == .modified && $0.isBetweenFiles
        }), TableFormat(path: rows) != nil
      else {
        throw ArtError(
          .notFound, "'\(rows)' is not a table file modified from \(old.label) to \(new.label)")
      }
      try await rowDiff(
        &body, context, change: change, old: old, new: new, scratch: scratch)
    } else {
      metadata(&body, old: old, new: new)
      files(&body, context, changes: changes, old: old, new: new)
    }
    return .page(
      Chrome.page(
        title: "art: \(old.label) → \(new.label)", body: body, linker: context.linker,
        crumbs: [("Artifacts", .home), ("compare", nil)]))
  }

  private static func files(
    _ body: inout HTML, _ context: PageContext, changes: [Change], old: ResolvedVersion,
    new: ResolvedVersion
  ) {
    let counts = Dictionary(grouping: changes, by: \.kind).mapValues(\.count)
    body.raw("<h2>Files</h2><p class=\"muted\">")
    body.text(
      changes.isEmpty
        ? "no file changed"
        : [Change.Kind.added, .removed, .modified, .renamed].compactMap { kind in
          counts[kind].map { "\($0) \(kind.rawValue)" }
        }.joined(separator: ", "))
    body.raw("</p>")
    guard !changes.isEmpty else { return }
    let pager = Pager(page: context.location.page(), size: pageSize, total: changes.count)
    let controls = pager.controls(context.linker) {
      Location.diff(old.label, new.label).withPage($0)
    }
    body.raw(controls)
    body.raw(
      "<table class=\"sortable\"><thead><tr><th>Change</th><th>Path</th>"
        + "<th class=\"n\">Before</th><th class=\"n\">After</th><th></th></tr></thead><tbody>")
    for change in changes[pager.range] {
      let rowClass =
        switch change.kind {
        case .added: " class=\"added\""
        case .removed: " class=\"removed\""
        default: ""
        }
      body.raw("<tr\(rowClass)>")
      body.element("td", change.kind.rawValue)
      body.raw("<td>")
      if let before = change.oldPath {
        body.text(before)
        body.raw(" → ")
      }
      if change.new != nil {
        body.link(
          context.href(.file(new.artifact.text, new.number.value, path: change.path)), change.path)
      } else {
        body.link(
          context.href(.file(old.artifact.text, old.number.value, path: change.path)), change.path)
      }
      body.raw("</td>")
      for size in [change.oldSize, change.newSize] {
        if let size {
          Cells.bytes(&body, size)
        } else {
          body.raw("<td class=\"n\" data-sort=\"-1\"></td>")
        }
      }
      body.raw("<td>")
      if change.kind == .modified, change.isBetweenFiles, TableFormat(path: change.path) != nil {
        body.link(context.href(.diff(old.label, new.label, rows: change.path)), "rows")
      }
      body.raw("</td></tr>")
    }
    body.raw("</tbody></table>")
    body.raw(controls)
  }

  /// Metadata keys (nested ones dotted) added, removed or changed, and the
  /// description; a record whose metadata cannot be read says so.
  private static func metadata(_ body: inout HTML, old: ResolvedVersion, new: ResolvedVersion) {
    body.raw("<h2>Metadata</h2>")
    let before: [String: JSONValue]
    let after: [String: JSONValue]
    do {
      before = try Metadata.parse(Array(old.record.metadata.utf8), source: old.label)
      after = try Metadata.parse(Array(new.record.metadata.utf8), source: new.label)
    } catch let error as ArtError {
      body.raw("<p class=\"error\">")
      body.text(error.message)
      return body.raw("</p>")
    } catch {
      return
    }
    var rows = Metadata.changes(from: before, to: after).map {
      ($0.key, $0.old.map(JSONText.compact), $0.new.map(JSONText.compact))
    }
    if old.record.description != new.record.description {
      rows.insert(("(description)", old.record.description, new.record.description), at: 0)
    }
    guard !rows.isEmpty else { return body.raw("<p class=\"muted\">no change</p>") }
    body.raw("<table><thead><tr><th>Key</th><th>Before</th><th>After</th></tr></thead><tbody>")
    for (key, was, now) in rows {
      body.raw(was == nil ? "<tr class=\"added\">" : now == nil ? "<tr class=\"removed\">" : "<tr>")
      body.element("td", key, class: "mono")
      body.element("td", was ?? "")
      body.element("td", now ?? "", class: was != nil && now != nil ? "changed" : nil)
      body.raw("</tr>")
    }
    body.raw("</tbody></table>")
  }

  private static func rowDiff(
    _ body: inout HTML, _ context: PageContext, change: Change, old: ResolvedVersion,
    new: ResolvedVersion, scratch: FilePath
  ) async throws {
    let store = context.repository.store
    let key = (context.location.value("key") ?? "").split(separator: ",").map {
      String($0).trimmingWhitespace()
    }.filter { !$0.isEmpty }
    var diffs = RowDiffs(limit: rowExamples)
    diffs.key = key
    // Its own folder in the scratch space, for requests running at once.
    let spill = scratch.appending("rows-\(UInt64.random(in: 0...UInt64.max))")
    guard
      let report = try await diffs.run(
        [change], old: RowDiffs.Side(version: old, store: store, label: old.label),
        new: RowDiffs.Side(version: new, store: store, label: new.label),
        in: context.repository, scratch: spill
      ).first
    else { return }
    body.raw("<h2>Rows of ")
    body.text(change.path)
    body.raw("</h2>")
    if context.linker.isLive {
      body.raw(
        "<form class=\"bar\" method=\"get\" action=\"\(context.linker.action("/diff"))\">")
      for (name, value) in [("a", old.label), ("b", new.label), ("rows", change.path)] {
        body.raw("<input type=\"hidden\" name=\"\(name)\" value=\"\(HTML.attribute(value))\">")
      }
      body.raw("<label>Key columns<input name=\"key\" value=\"")
      body.text(key.joined(separator: ","))
      body.raw(
        "\" placeholder=\"id (empty: whole rows)\"></label><button type=\"submit\">Match rows</button></form>"
      )
    }
    if let error = report.error {
      body.raw("<p class=\"error\">")
      body.text(error)
      body.raw("</p>")
      return
    }
    let rows = report.rows
    body.raw("<p>")
    body.text(
      "\(rows.old) rows → \(rows.new) rows: \(rows.added) added, \(rows.removed) removed, "
        + "\(rows.changed) changed, \(rows.unchanged) unchanged")
    body.raw("</p>")
    if !report.schema.added.isEmpty || !report.schema.removed.isEmpty {
      body.raw("<p>")
      body.text(
        "columns added: \(report.schema.added.joined(separator: ", ")); "
          + "removed: \(report.schema.removed.joined(separator: ", "))")
      body.raw("</p>")
    }
    if report.malformedCount > 0 {
      body.raw("<p class=\"error\">")
      body.text(HumanText.count(report.malformedCount, "malformed row") + " left out")
      body.raw("</p>")
    }
    let columns = report.schema.new.isEmpty ? report.schema.old : report.schema.new
    if !report.examples.changed.isEmpty {
      body.raw("<h2>Changed rows</h2>")
      // The key, then the columns with a changed cell, in the file's order.
      let changed = Set(report.examples.changed.flatMap { $0.cells.map(\.column) })
      let shown = orderedUnion(
        orderedUnion(key, report.examples.changed.first.map { $0.key.keys.sorted() } ?? []),
        orderedUnion(columns.filter(changed.contains), changed.sorted()))
      body.raw("<table><thead><tr><th class=\"n\">line</th>")
      for column in shown { body.element("th", column) }
      body.raw("</tr></thead><tbody>")
      for row in report.examples.changed {
        body.raw("<tr><td class=\"n muted\">\(row.oldLine)→\(row.newLine)</td>")
        for column in shown {
          if let cell = row.cells.first(where: { $0.column == column }) {
            body.raw("<td class=\"changed\"><del>")
            body.text(cell.old ?? "")
            body.raw("</del> <ins>")
            body.text(cell.new ?? "")
            body.raw("</ins></td>")
          } else {
            body.element("td", row.key[column] ?? "")
          }
        }
        body.raw("</tr>")
      }
      body.raw("</tbody></table>")
    }
    for (title, examples, rowClass) in [
      ("Added rows", report.examples.added, "added"),
      ("Removed rows", report.examples.removed, "removed"),
    ] where !examples.isEmpty {
      body.raw("<h2>\(title)</h2><table><thead><tr><th class=\"n\">line</th>")
      let shown = orderedUnion(columns, examples.flatMap { $0.values.keys.sorted() })
      for column in shown { body.element("th", column) }
      body.raw("</tr></thead><tbody>")
      for row in examples {
        body.raw("<tr class=\"\(rowClass)\"><td class=\"n\">\(row.line)</td>")
        for column in shown { body.element("td", row.values[column] ?? "") }
        body.raw("</tr>")
      }
      body.raw("</tbody></table>")
    }
    if rows.added + rows.removed + rows.changed > 3 * rowExamples {
      body.raw("<p class=\"muted\">")
      body.text(
        "the first \(rowExamples) of each kind are shown ('art diff --rows --limit N' shows more)")
      body.raw("</p>")
    }
  }

  private static func orderedUnion(_ first: [String], _ second: [String]) -> [String] {
    var seen = Set<String>()
    return (first + second).filter { seen.insert($0).inserted }
  }
}
