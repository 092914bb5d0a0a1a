"""The static parts of `report.html`: its markup, style sheet and script (`report` fills in the data).

The script builds the summary and the table from the JSON in `<script id="data">`, always as
text (`textContent`), and sorts and filters the table in the page.
"""

BODY = """<body>
<header><h1 id="title">kerasmigrate report</h1></header>
<noscript><p class="warning">This page draws its summary and table with JavaScript, which is off.
The same data is in report.json, next to this file.</p></noscript>
<main>
<section id="summary" aria-labelledby="summary-title"><h2 id="summary-title">Summary</h2></section>
<section id="files-section" aria-labelledby="files-title">
<h2 id="files-title">Files</h2>
<div class="controls">
<label>Status <select id="status-filter"><option value="">All</option></select></label>
<label>Filter <input id="text-filter" type="search" placeholder="path, reason, layer or class" autocomplete="off"></label>
<span id="shown-count" aria-live="polite"></span>
</div>
<div class="table-wrap"><table id="files"><thead><tr></tr></thead><tbody></tbody></table></div>
<p id="no-match" hidden>No file matches these filters.</p>
</section>
</main>
"""

CSS = """
:root {
  color-scheme: light dark;
  --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --ok: #1a7f37; --ok-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff8c5; --todo: #0969da; --todo-bg: #ddf4ff;
  --bad: #cf222e; --bad-bg: #ffebe9; --dead: #82071e; --dead-bg: #ffcecb; --off: #59636e; --off-bg: #eaeef2;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --line: #3d444d;
    --ok: #3fb950; --ok-bg: #12261e; --warn: #d29922; --warn-bg: #272115; --todo: #4493f8; --todo-bg: #121d2f;
    --bad: #f85149; --bad-bg: #2d1517; --dead: #ff7b72; --dead-bg: #3c1618; --off: #9198a1; --off-bg: #212830;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; padding: 1rem; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
h2 { font-size: 1.15rem; margin: 1.25rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .35rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
.warning { padding: .5rem .75rem; background: var(--warn-bg); border: 1px solid var(--warn); }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
dl.facts ul { margin: 0; padding-left: 1.1rem; }
ul.totals { list-style: none; display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; margin: 0; }
ul.totals li { min-width: 7.5rem; padding: .35rem .6rem; border: 1px solid var(--line); border-left-width: 5px;
  border-radius: 4px; background: var(--panel); }
ul.totals li.clickable { cursor: pointer; }
ul.totals li.zero { opacity: .6; }
ul.totals .n { display: block; font-size: 1.3rem; font-weight: 600; }
table.small { border-collapse: collapse; margin: 0; }
table.small th, table.small td { border-bottom: 1px solid var(--line); padding: .2rem .6rem .2rem 0; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
table.small td.num { text-align: right; padding-left: .6rem; }
.controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin-bottom: .5rem; }
.controls input, .controls select { font: inherit; padding: .2rem .35rem; max-width: 100%; }
.controls input { width: 18rem; }
#shown-count { color: var(--muted); }
.table-wrap { overflow-x: auto; }
#files { border-collapse: collapse; width: 100%; }
#files th, #files td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
#files thead th { position: sticky; top: 0; background: var(--panel); white-space: nowrap; }
#files th button { all: inherit; cursor: pointer; padding: 0; }
#files th button:focus-visible { outline: 2px solid var(--todo); }
#files th .arrow::after { content: ""; margin-left: .25rem; color: var(--muted); }
#files th[aria-sort="ascending"] .arrow::after { content: "\\25B2"; }
#files th[aria-sort="descending"] .arrow::after { content: "\\25BC"; }
#files td { overflow-wrap: break-word; }
#files td[data-col="path"] { overflow-wrap: anywhere; }
#files td[data-col="kind"], #files td[data-col="passes"] li { white-space: nowrap; }
#files td[data-col="writer"] { min-width: 9rem; }
#files td[data-col="mapped"], #files td[data-col="fix"] { min-width: 10rem; overflow-wrap: anywhere; }
#files td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
#files td[data-col="path"] { min-width: 12rem; }
#files td[data-col="reason"] { min-width: 12rem; }
#files ul { margin: 0; padding: 0; list-style: none; }
#files tbody tr > td:first-child { border-left: 4px solid var(--c, var(--line)); }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 1rem; border: 1px solid var(--c); color: var(--c);
  background: var(--cb); font-weight: 600; white-space: nowrap; }
.tag { color: var(--muted); font-size: .85em; margin-left: .3rem; }
.layers { color: var(--muted); }
[data-status="converted"], [data-status="verified"], [data-status="loads"] { --c: var(--ok); --cb: var(--ok-bg); }
[data-status="mismatch"] { --c: var(--warn); --cb: var(--warn-bg); }
[data-status="needs-convert"], [data-status="needs-repair"] { --c: var(--todo); --cb: var(--todo-bg); }
[data-status="refused"] { --c: var(--bad); --cb: var(--bad-bg); }
[data-status="failed"] { --c: var(--dead); --cb: var(--dead-bg); }
[data-status="skipped"] { --c: var(--off); --cb: var(--off-bg); }
ul.totals li[data-status] { border-left-color: var(--c); }
@media (max-width: 700px) {
  body { padding: .6rem; }
  dl.facts { grid-template-columns: minmax(0, 1fr); }
  dl.facts dd { margin-bottom: .3rem; }
  .controls input { width: 100%; }
  .controls label { flex: 1 1 100%; }
  /* One card per file: each cell on its own line, named by its column. */
  #files, #files tbody, #files tr, #files td { display: block; width: 100%; }
  #files thead tr { display: flex; flex-wrap: wrap; gap: .25rem .75rem; }
  #files thead th { position: static; border: 0; padding: .2rem 0; background: none; }
  #files tbody tr { border: 1px solid var(--line); border-left: 4px solid var(--c, var(--line)); margin-bottom: .5rem; }
  #files tbody tr > td:first-child { border-left: 0; }
  #files td { border: 0; padding: .15rem .5rem; min-width: 0; overflow-wrap: anywhere; }
  #files td[data-col] { min-width: 0; white-space: normal; }
  #files td:empty { display: none; }
  #files td::before { content: attr(data-label); display: block; color: var(--muted); font-size: .8em; }
  #files td.num { text-align: left; }
}
"""

SCRIPT = r"""
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const summary = data.summary;
  const files = data.files;
  const statusOrder = new Map(data.statuses.map((s, i) => [s, i]));

  // Every element is built here; data only ever becomes text nodes or attribute values.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function list(items) {
    if (!items.length) return null;  // an empty cell stays :empty
    return el("ul", null, ...items.map((item) => el("li", null, item)));
  }
  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }
  function seconds(s) {
    if (typeof s !== "number") return "";
    let text = s.toFixed(1) + " s";
    if (s >= 60) {
      const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = Math.round(s % 60);
      text += " (" + (h ? h + " h " : "") + m + " min " + r + " s)";
    }
    return text;
  }
  function diffText(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "string") return v;  // NaN, inf, -inf
    if (v === 0) return "0";
    const a = Math.abs(v);
    return a < 1e-3 || a >= 1e4 ? v.toExponential(2) : String(Number(v.toPrecision(3)));
  }
  function diffValue(v) {
    if (v === null || v === undefined) return null;
    if (typeof v === "number") return v;
    return v === "-inf" ? -Infinity : Infinity;  // NaN sorts with the largest differences
  }
  function writerText(r) {
    const w = r.writer || "";
    if (r.keras_version && !w.includes(r.keras_version)) return w ? w + " / Keras " + r.keras_version : "Keras " + r.keras_version;
    return w;
  }
  function passEntries(r) {
    return Object.entries(r.passes || {});
  }

  // ---- Summary ----
  const mode = summary.mode || "";
  document.title = "kerasmigrate " + mode + " report";
  document.getElementById("title").textContent = "kerasmigrate " + mode + " report";
  const section = document.getElementById("summary");
  const facts = [
    ["Mode", mode, "mode"],
    ["Tool", summary.tool, "tool"],
    ["Inputs", list((summary.inputs || []).map(String)), "inputs"],
    ["Output directory", summary.output_dir || "(none)", "output-dir"],
    ["Started", summary.started, "started"],
    ["Finished", summary.finished, "finished"],
    ["Total time", seconds(summary.seconds), "total-time"],
    ["Files", String(summary.files), "total-files"],
    ["Reused from ledger", String(summary.reused || 0), "reused"],
    ["Peak worker memory", typeof summary.peak_worker_mib === "number" ? summary.peak_worker_mib.toFixed(0) + " MiB" : "not measured", "peak-memory"],
  ];
  if ((summary.notes || []).length) facts.push(["Notes", list(summary.notes.map(String)), "notes"]);
  const options = Object.entries(summary.options || {});
  if (options.length) facts.push(["Options", list(options.map(([k, v]) => el("code", null, k + " = " + JSON.stringify(v)))), "options"]);
  const dl = el("dl", { class: "facts" });
  for (const [label, value, id] of facts) dl.append(el("dt", null, label), el("dd", { id: id }, value));
  section.append(dl);

  const counts = summary.counts || {};
  const shownStatuses = data.statuses.filter((s) => data.modeStatuses.includes(s) || counts[s]);
  const totals = el("ul", { class: "totals" });
  for (const s of shownStatuses) {
    const n = counts[s] || 0;
    const item = el("li", { id: "count-" + s, "data-status": s, class: n ? "clickable" : "zero", title: n ? "Show only these files" : null },
      el("span", { class: "n" }, String(n)), el("span", { class: "label" }, s));
    if (n) item.addEventListener("click", () => { statusFilter.value = s; update(); statusFilter.scrollIntoView(); });
    totals.append(item);
  }
  section.append(el("h3", null, "Files by status"), totals);

  function countTable(id, title, head, entries) {
    if (!entries.length) return;
    const body = el("tbody", null, ...entries.map(([k, n]) => el("tr", null, el("td", null, k), el("td", { class: "num" }, String(n)))));
    section.append(el("h3", null, title),
      el("table", { id: id, class: "small" }, el("thead", null, el("tr", null, el("th", null, head), el("th", null, "Files"))), body));
  }
  const byCount = (obj) => Object.entries(obj || {}).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  countTable("refused-reasons", "Refused, by reason", "Reason", byCount(summary.refused_by_reason));
  countTable("failed-reasons", "Failed, by reason", "Reason", byCount(summary.failed_by_reason));
  countTable("loads-in", mode === "check" ? "Keras 3 releases the files load in" : "Keras 3 releases the outputs load in",
    "Keras 3 release", Object.entries(summary.loads_in || {}));

  // ---- Table ----
  const COLUMNS = [
    // By the order of report.json (Python's, by code point), so the page and the file agree.
    { key: "path", label: "Path", numeric: true, sort: (r, index) => index, text: (r) => r.path },
    { key: "status", label: "Status", numeric: true, sort: (r) => statusOrder.get(r.status) ?? statusOrder.size, text: (r) => r.status,
      cell: (r) => [el("span", { class: "badge" }, r.status), r.reused ? el("span", { class: "tag", title: "Taken from the ledger of an earlier run" }, "reused") : null,
        r.identical_to ? el("span", { class: "tag identical", title: "Same content and options as that file: converted once, its result shared" }, "identical to " + r.identical_to) : null] },
    { key: "kind", label: "Kind", text: (r) => (r.kind || "") + (r.joined_with ? "\njoined with " + r.joined_with : "") },
    { key: "writer", label: "Writer", text: writerText },
    { key: "passes", label: "Passes", numeric: true,
      sort: (r) => passEntries(r).length ? passEntries(r).reduce((t, [, n]) => t + n, 0) : null,
      text: (r) => passEntries(r).map(([k, n]) => k + " \u00d7" + n).join("\n"),
      cell: (r) => [list(passEntries(r).map(([k, n]) => el("span", null, el("code", null, k), " \u00d7" + n)))] },
    { key: "mapped", label: "Mapped classes", text: (r) => (r.mapped || []).join("\n"),
      cell: (r) => [list((r.mapped || []).map((m) => el("code", null, m)))] },
    { key: "traced", label: "From traced functions", text: (r) => (r.traced || []).join("\n"),
      cell: (r) => [list((r.traced || []).map((t) => el("span", null, t)))] },
    { key: "reason", label: "Reason", text: (r) => [r.reason || "", ...(r.layers || [])].join("\n"),
      cell: (r) => [r.reason || "", (r.layers || []).length ? el("div", { class: "layers" }, "layers: ", el("code", null, r.layers.join(", "))) : null] },
    { key: "fix", label: "Fix", text: (r) => r.fix || "", cell: (r) => [r.fix ? el("code", null, r.fix) : null] },
    { key: "max_diff", label: "Max diff", numeric: true, cls: "num", sort: (r) => diffValue(r.max_diff), text: (r) => diffText(r.max_diff) },
    { key: "seconds", label: "Seconds", numeric: true, cls: "num", sort: (r) => (typeof r.seconds === "number" ? r.seconds : null),
      text: (r) => (typeof r.seconds === "number" ? r.seconds.toFixed(2) : "") },
  ];
  const ALWAYS = new Set(["path", "status", "seconds"]);
  const columns = COLUMNS.filter((c) => ALWAYS.has(c.key) || files.some((r) => c.text(r) !== ""));

  const table = document.getElementById("files");
  const headRow = table.tHead.rows[0];
  const tbody = table.tBodies[0];
  const statusFilter = document.getElementById("status-filter");
  const textFilter = document.getElementById("text-filter");
  const shownCount = document.getElementById("shown-count");
  const noMatch = document.getElementById("no-match");

  const rows = files.map((r, index) => {
    const tr = el("tr", { "data-status": r.status });
    const keys = {};
    for (const c of columns) {
      const content = c.cell ? c.cell(r) : [c.text(r)];
      tr.append(el("td", { "data-col": c.key, "data-label": c.label, class: c.cls }, ...content));
      keys[c.key] = c.sort ? c.sort(r, index) : c.text(r);
    }
    const haystack = [r.path, r.reason || "", ...(r.layers || []), ...(r.mapped || [])].join("\n").toLowerCase();
    return { tr, keys, haystack, status: r.status, index };
  });

  let sortKey = "path", sortDir = 1;
  const collator = new Intl.Collator(undefined, { numeric: true });
  const headers = new Map();
  for (const c of columns) {
    const th = el("th", { scope: "col", "data-key": c.key, "aria-sort": c.key === sortKey ? "ascending" : "none" },
      el("button", { type: "button", title: "Sort by " + c.label.toLowerCase() }, c.label, el("span", { class: "arrow" })));
    th.addEventListener("click", () => {
      if (sortKey === c.key) sortDir = -sortDir;
      else { sortKey = c.key; sortDir = 1; }
      sort();
    });
    headers.set(c.key, th);
    headRow.append(th);
  }

  function isEmpty(v) {
    return v === null || v === undefined || v === "";
  }
  function sort() {
    const numeric = columns.find((c) => c.key === sortKey).numeric;
    rows.sort((a, b) => {
      const va = a.keys[sortKey], vb = b.keys[sortKey];
      const ea = isEmpty(va), eb = isEmpty(vb);
      if (ea || eb) return ea === eb ? a.index - b.index : ea ? 1 : -1;  // empty values last, either way
      const c = numeric ? (va < vb ? -1 : va > vb ? 1 : 0) : collator.compare(va, vb);
      return c * sortDir || a.index - b.index;
    });
    for (const [key, th] of headers) th.setAttribute("aria-sort", key !== sortKey ? "none" : sortDir > 0 ? "ascending" : "descending");
    const fragment = document.createDocumentFragment();
    for (const row of rows) fragment.append(row.tr);
    tbody.append(fragment);
  }

  const present = data.statuses.filter((s) => files.some((r) => r.status === s));
  statusFilter.options[0].textContent = "All (" + files.length + ")";
  for (const s of present) statusFilter.append(el("option", { value: s }, s + " (" + files.filter((r) => r.status === s).length + ")"));

  function update() {
    const status = statusFilter.value;
    const needle = textFilter.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const visible = (!status || row.status === status) && (!needle || row.haystack.includes(needle));
      row.tr.hidden = !visible;
      if (visible) shown++;
    }
    shownCount.textContent = shown + " of " + plural(files.length, "file") + " shown";
    noMatch.hidden = shown > 0 || files.length === 0;
  }
  statusFilter.addEventListener("change", update);
  textFilter.addEventListener("input", update);

  sort();
  update();
})();
"""
