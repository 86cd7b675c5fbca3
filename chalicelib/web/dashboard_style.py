"""The dashboard's stylesheet, inlined in the page (no external stylesheet, font or image)."""

STYLE = """
:root{color-scheme:light;--fg:#1d2330;--muted:#5b6474;--bg:#f4f5f7;--card:#fff;--line:#dde1e8;--grid:#e9ecf1}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.45;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
main{max-width:72rem;margin:0 auto;padding:1rem}
header{margin-bottom:1rem}
h1{font-size:1.6rem;margin:0 0 .25rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:0 0 .5rem}
.meta{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:0;padding:0;list-style:none;color:var(--muted)}
.meta b{color:var(--fg);font-weight:600}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.75rem;margin-bottom:1rem}
.tile{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.7rem .8rem;min-width:0}
.tile .label{display:block;color:var(--muted);font-size:.85rem}
.tile .value{display:block;font-size:1.6rem;font-weight:650;font-variant-numeric:tabular-nums}
.tile .note{display:block;color:var(--muted);font-size:.8rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,30rem),1fr));gap:1rem;margin-bottom:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem;min-width:0;
margin-bottom:1rem}
.charts .card{margin-bottom:0}
svg.chart{display:block;width:100%;height:auto;max-width:100%}
svg.chart text{font-size:15px;fill:var(--muted)}
svg.chart text.empty{font-size:18px;fill:var(--fg)}
svg.chart text.target-label{font-size:14px;fill:var(--fg)}
svg.chart text.count{font-size:13px;fill:var(--fg)}
.chart-note{margin:.35rem 0 0;color:var(--muted);font-size:.85rem}
svg.chart line.grid{stroke:var(--grid);stroke-width:1}
svg.chart line.grid.baseline{stroke:#9aa3b2}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:.5rem 0 0;padding:0;font-size:.9rem}
.legend li{display:flex;align-items:center;gap:.35rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:.15rem;background:var(--c);margin-right:.35rem;
vertical-align:-.05rem}
.legend .swatch{margin-right:0}
.swatch.line{height:.2rem;border-radius:0}
.swatch.dashed{height:0;background:none;border-top:.15rem dashed var(--c);border-radius:0}
.off-scale{color:var(--muted)}
.table-scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
caption{text-align:left;color:var(--muted);padding-bottom:.4rem;caption-side:top}
th,td{padding:.4rem .6rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
thead th{font-size:.85rem;color:var(--muted);font-weight:600}
td.num{text-align:right}
#leaderboard{width:100%;min-width:44rem}
#leaderboard caption>span{position:sticky;left:0;display:inline-block;max-width:calc(100vw - 3rem)}
#leaderboard tbody th{position:sticky;left:0;background:var(--card)}
.totals-grid{display:flex;flex-wrap:wrap;align-items:flex-start;gap:1rem 2rem}
.totals{min-width:14rem}
footer{color:var(--muted);font-size:.85rem;padding:0 0 2rem}
@media (max-width:30rem){main{padding:.6rem}h1{font-size:1.3rem}.tile .value{font-size:1.3rem}.card{padding:.7rem}}
"""
