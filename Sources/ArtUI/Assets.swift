/// The UI's stylesheet and script, served from the binary (nothing is
/// fetched from the internet) and written beside a static export.
enum Assets {
  /// `art.css` and `art.js` by name.
  static let files: [String: (contentType: String, text: String)] = [
    "art.css": ("text/css; charset=utf-8", css),
    "art.js": ("text/javascript; charset=utf-8", script),
  ]

  static let css = """
    :root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa;
      --accent: #0b63c5; --add: #dafbe1; --del: #ffebe9; --chg: #fff8c5; --unique: #0b63c5;
      --shared: #a8c7ee; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: var(--fg); background: var(--bg); }
    header { display: flex; gap: 18px; align-items: center; padding: 10px 24px;
      background: #24292f; color: #fff; }
    header a { color: #fff; text-decoration: none; }
    header .brand { font-weight: 700; font-size: 16px; letter-spacing: .5px; }
    header .where { color: #c9d1d9; font-size: 13px; margin-left: auto; }
    main { padding: 18px 24px 48px; max-width: 1400px; }
    h1 { font-size: 22px; margin: 4px 0 12px; font-weight: 600; }
    h2 { font-size: 16px; margin: 26px 0 8px; font-weight: 600; }
    a { color: var(--accent); }
    .muted { color: var(--muted); }
    .crumbs { color: var(--muted); margin-bottom: 6px; }
    .crumbs a { color: var(--muted); }
    table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
    th, td { text-align: left; padding: 5px 9px; border-bottom: 1px solid var(--line);
      vertical-align: top; }
    th { background: var(--soft); font-weight: 600; white-space: nowrap; }
    table.sortable th { cursor: pointer; user-select: none; }
    table.sortable th.asc::after { content: " \\25B2"; font-size: 10px; }
    table.sortable th.desc::after { content: " \\25BC"; font-size: 10px; }
    td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
    .wide { overflow-x: auto; }
    td.id, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      font-size: 12.5px; }
    .pill { display: inline-block; padding: 0 7px; margin: 1px 3px 1px 0; border-radius: 10px;
      background: #ddf4ff; color: #0550ae; font-size: 12px; }
    .pill.tag { background: #eef1f4; color: #424a53; }
    .pill.drop { background: var(--del); color: #a40e26; }
    .pill.keep { background: var(--add); color: #116329; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; }
    dl.facts dt { color: var(--muted); }
    dl.facts dd { margin: 0; }
    pre.text { background: var(--soft); border: 1px solid var(--line); padding: 10px;
      overflow: auto; white-space: pre; font-size: 12.5px; }
    pre.hex { font-size: 12.5px; }
    tr.added td { background: var(--add); }
    tr.removed td { background: var(--del); }
    td.changed { background: var(--chg); }
    td.changed del { color: #a40e26; }
    td.changed ins { color: #116329; text-decoration: none; font-weight: 600; }
    form.bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 8px 0 14px; }
    form.bar label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
    input, select, button { font: inherit; padding: 4px 7px; border: 1px solid var(--line);
      border-radius: 6px; background: #fff; }
    button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
    .pager { margin: 8px 0; color: var(--muted); }
    .pager a { margin: 0 6px; }
    .error { background: var(--del); border: 1px solid #ffcecb; padding: 10px 12px;
      border-radius: 6px; }
    details > summary { cursor: pointer; color: var(--muted); }
    .json { margin-left: 14px; }
    .chart { border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto; }
    .legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; }
    .legend .unique { background: var(--unique); }
    .legend .shared { background: var(--shared); }
    svg text { font: 12px system-ui, sans-serif; }
    svg .node rect { fill: #fff; stroke: #8c959f; }
    svg .node.center rect { fill: #ddf4ff; stroke: var(--accent); stroke-width: 2; }
    svg .node.removed rect { fill: #f6f8fa; stroke-dasharray: 4 3; }
    svg .edge { stroke: #8c959f; fill: none; }
    svg .job { fill: var(--muted); font-size: 11px; }
    img.preview { max-width: 100%; max-height: 70vh; border: 1px solid var(--line); }
    """

  static let script = """
    // The token came in the address; the cookie keeps it now, so take it
    // out of the address bar (and of history and copied links).
    if (/[?&]token=/.test(location.search)) {
      var query = location.search.slice(1).split("&")
        .filter(function (item) { return item.indexOf("token=") !== 0; }).join("&");
      history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    }
    // Sorts a table.sortable by the clicked column: by each cell's
    // data-sort when present, numbers as numbers.
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("th").forEach(function (th, column) {
        th.addEventListener("click", function () {
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          var ascending = !th.classList.contains("asc");
          table.querySelectorAll("th").forEach(function (h) { h.classList.remove("asc", "desc"); });
          th.classList.add(ascending ? "asc" : "desc");
          function key(row) {
            var cell = row.cells[column];
            if (!cell) return "";
            var value = cell.getAttribute("data-sort");
            return value === null ? cell.textContent.trim() : value;
          }
          rows.sort(function (a, b) {
            var x = key(a), y = key(b);
            var nx = parseFloat(x), ny = parseFloat(y);
            var order = (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y)
              ? nx - ny : x.localeCompare(y);
            return ascending ? order : -order;
          });
          rows.forEach(function (row) { body.appendChild(row); });
        });
      });
    });
    """
}
