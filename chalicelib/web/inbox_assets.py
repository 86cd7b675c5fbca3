"""The inbox's stylesheet and its one script (keyboard shortcuts), served from ``/inbox/assets/`` so the
pages' Content-Security-Policy needs no ``unsafe-inline``.  The pages work without the script."""

from __future__ import annotations

import hashlib

CSS = """
*{box-sizing:border-box}
:root{--ink:#1b1b1b;--muted:#4d4d4d;--line:#c9c9c9;--bg:#f6f7f9;--card:#fff;--accent:#0b57d0;--accent-dark:#0842a0;
--note:#fff4d6;--note-line:#8a6100;--system:#eef1f5;--bad:#a4262c;--ok:#1e6b34;--warn:#8a4b00}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent)}
a:hover{color:var(--accent-dark)}
:focus-visible{outline:3px solid #b35900;outline-offset:2px}
.skip{position:absolute;left:-10000px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:10}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;background:#14213d;color:#fff}
header.top a{color:#fff}
header.top .brand{font-weight:700;font-size:1.1rem;text-decoration:none}
header.top form{margin:0 0 0 auto}
nav.views ul{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:0;padding:0}
nav.views a{display:inline-block;padding:.3rem .7rem;border-radius:999px;text-decoration:none;color:#fff;
  border:1px solid #7b8bb0}
nav.views a[aria-current="page"]{background:#fff;color:#14213d;font-weight:700}
.count{display:inline-block;min-width:1.5em;margin-left:.3em;padding:0 .35em;border-radius:999px;background:#e3e8f3;
  color:#14213d;font-size:.85em;text-align:center}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;line-height:1.25;margin:.25rem 0 .75rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin:0 0 1rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}
label{display:block;font-weight:600;font-size:.9rem;margin:0 0 .2rem}
select,input[type=text],textarea{font:inherit;color:var(--ink);background:#fff;border:2px solid #6b6b6b;
  border-radius:6px;padding:.35rem .5rem;max-width:100%}
textarea{width:100%;min-height:7rem;resize:vertical}
button{font:inherit;font-weight:600;color:#fff;background:var(--accent);border:2px solid var(--accent);
  border-radius:6px;padding:.4rem 1rem;cursor:pointer}
button:hover{background:var(--accent-dark)}
button.secondary{background:#fff;color:var(--accent)}
button.note{background:var(--note-line);border-color:var(--note-line)}
.table-scroll{overflow-x:auto}
table.tickets{width:100%;border-collapse:collapse;background:var(--card)}
table.tickets th,table.tickets td{padding:.45rem .5rem;border-bottom:1px solid var(--line);text-align:left;
  vertical-align:top}
table.tickets th{font-size:.85rem;color:var(--muted)}
table.tickets tr.selected td{background:#e8f0fe}
table.tickets td.subject{min-width:14rem;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.overdue{color:var(--bad);font-weight:600}
.pill{display:inline-block;padding:0 .45em;border-radius:4px;border:1px solid var(--line);font-size:.85em;
  background:#fff}
.pager{display:flex;gap:1rem;margin:.75rem 0}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 20rem;gap:1rem}
@media (max-width:60rem){.layout{grid-template-columns:minmax(0,1fr)}}
.msg{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:.6rem .8rem;margin:0 0 .75rem;
  background:var(--card)}
.msg.customer{border-left-color:#5b6b8c}
.msg.agent{border-left-color:var(--accent)}
.msg.internal{background:var(--note);border-left-color:var(--note-line)}
.msg.system{background:var(--system);border-left-color:#6b6b6b}
.msg header{display:flex;flex-wrap:wrap;gap:.25rem .75rem;font-size:.9rem;margin:0 0 .35rem}
.msg .who{font-weight:700}
.msg .body{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
.msg details{margin:.5rem 0 0}
.msg details pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f3f3;padding:.5rem;border-radius:4px}
.label-note{font-weight:700;color:var(--note-line);text-transform:uppercase;font-size:.8rem}
.delivery.sent{color:var(--ok)}
.delivery.retrying,.delivery.queued{color:var(--warn)}
.delivery.failed{color:var(--bad);font-weight:600}
ul.plain{list-style:none;padding:0;margin:0}
ul.plain li{margin:0 0 .35rem;overflow-wrap:anywhere}
.alert{border:2px solid var(--bad);background:#fdecea;color:#6e1a1e;border-radius:6px;padding:.75rem 1rem;margin:0 0 1rem}
.notice{border:2px solid var(--ok);background:#eaf6ec;color:#143d22;border-radius:6px;padding:.75rem 1rem;margin:0 0 1rem}
.reply-box{border:2px solid var(--accent)}
.note-box{border:2px dashed var(--note-line);background:var(--note)}
#help[hidden]{display:none}
#help{position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;z-index:20}
#help .card{max-width:26rem;width:90%}
kbd{font:inherit;font-weight:700;border:1px solid #888;border-bottom-width:2px;border-radius:4px;padding:0 .3em;
  background:#fff}
"""

JS = r"""
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
  var current = -1;
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  function select(i) {
    if (!rows.length) { return; }
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, j) { r.classList.toggle("selected", j === current); });
    var link = rows[current].querySelector("a");
    if (link) { link.focus(); }
  }
  var help = document.getElementById("help");
  var before = null;
  function toggleHelp(show) {
    if (!help) { return; }
    var open = show === undefined ? help.hidden : show;
    if (open === !help.hidden) { return; }
    help.hidden = !open;
    if (open) { before = document.activeElement; var b = help.querySelector("button"); if (b) { b.focus(); } }
    else if (before) { before.focus(); before = null; }  // back where the reader was, not lost on the page
  }
  if (help) {
    help.addEventListener("click", function (e) { if (e.target === help || e.target.tagName === "BUTTON") { toggleHelp(false); } });
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === "Escape") { toggleHelp(false); return; }
    if (help && !help.hidden && e.key !== "?") {  // a modal list: no shortcut, no Tab, behind it
      if (e.key === "Tab") { e.preventDefault(); }
      return;
    }
    if (typing(e.target)) { return; }
    var focus = function (id) { var el = document.getElementById(id); if (el) { e.preventDefault(); el.focus(); } };
    if (e.key === "j") { e.preventDefault(); select(current + 1); }
    else if (e.key === "k") { e.preventDefault(); select(current - 1); }
    else if (e.key === "r") { focus("reply-text"); }
    else if (e.key === "n") { focus("note-text"); }
    else if (e.key === "a") {
      var form = document.getElementById("assign-me");
      if (form) { e.preventDefault(); form.submit(); }
    }
    else if (e.key === "?") { e.preventDefault(); toggleHelp(); }
  });
}());
"""

VERSION = hashlib.sha256((CSS + JS).encode()).hexdigest()[:12]  # in the URLs: a new version is a new URL
