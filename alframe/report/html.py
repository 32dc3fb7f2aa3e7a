"""The report page: one self-contained HTML file (inline CSS, PNGs as base64 data URIs).

It can be mailed, attached to an issue or opened from a CI artefact with nothing beside it.
"""

from __future__ import annotations

import base64
import html
import time
from pathlib import Path

from alframe.report.analysis import Analysis, verdict
from alframe.report.tables import Table

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;
color:#1d2430;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #dde;padding-bottom:.2em}
.meta{color:#667;margin-top:0}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d8dce6;padding:.3em .6em;text-align:right;vertical-align:top}
th{background:#f1f3f8}td:first-child,th:first-child{text-align:left}
td.best{font-weight:700;background:#eaf6ea}
td:not(:first-child){white-space:nowrap}
.notes{color:#445;font-size:.88em}.notes li{margin:.2em 0}
img{max-width:100%;border:1px solid #e3e6ee;margin:.5em 0}
details{margin:.8em 0}summary{cursor:pointer;font-weight:600}
.scroll{overflow-x:auto}
.verdict{font-size:1.15em;font-weight:600;background:#f4f7fd;border-left:4px solid #3b6fd8;padding:.5em .8em}
"""


def table_html(t: Table, heading: bool = True) -> str:
    out = [f"<h2 id='{t.key}'>{html.escape(t.title)}</h2>" if heading else ""]
    out.append("<div class='scroll'><table><thead><tr>")
    out += [f"<th>{html.escape(c)}</th>" for c in t.columns]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(t.rows):
        best = t.best[i] if i < len(t.best) else set()
        cells = "".join(
            f"<td class='best'>{html.escape(c)}</td>" if j in best else f"<td>{html.escape(c)}</td>"
            for j, c in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table></div>")
    if t.notes:
        out.append("<ul class='notes'>" + "".join(f"<li>{html.escape(n)}</li>" for n in t.notes) + "</ul>")
    return "".join(out)


def image_html(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"


def page(a: Analysis, tables: dict[str, Table], images: dict[str, Path], n_runs: int) -> str:
    """The whole page as a string."""
    ceiling = ""
    if a.ceiling:
        parts = [f"{m} {float(a.ceiling[m]):.4f}" for m in a.metrics if isinstance(a.ceiling.get(m), (int, float))]
        if parts:
            ceiling = " · ceiling (whole pool labelled): " + ", ".join(parts)
    body = [
        f"<h1>{html.escape(a.name)}</h1>",
        f"<p class='verdict' id='verdict'>{html.escape(verdict(a))}</p>",
        f"<p class='meta'>{html.escape(a.kind)} · {len(a.settings)} setting(s) · {n_runs} run(s) · "
        f"generated {html.escape(time.strftime('%Y-%m-%d %H:%M:%S'))}{html.escape(ceiling)}</p>",
        "<p class='meta'>Targets: " + html.escape("; ".join(t.label for t in a.targets) or "none") + "</p>",
        table_html(tables["label_complexity"]),
        "<h2 id='curves'>Learning curves</h2>",
    ]
    for m in a.metrics:
        if f"curves_{m}" in images:
            body.append(image_html(images[f"curves_{m}"], f"{m} against answered cells"))
        grouped = sorted(k for k in images if k.startswith(f"curves_{m}__group"))
        if grouped:
            body.append(f"<details><summary>{html.escape(m)}: each setting against its own random baseline "
                        f"({len(grouped)} plots)</summary>")
            body.extend(image_html(images[k], f"{m} by baseline") for k in grouped)
            body.append("</details>")
    body.append(table_html(tables["final_metrics"]))
    body.append(table_html(tables["time"]))
    if "time" in images:
        body.append(image_html(images["time"], "seconds per round by stage"))
    body.append(table_html(tables["imbalance"]))
    if "imbalance" in images:
        body.append(image_html(images["imbalance"], "per-label F1 against label frequency"))
    if "annotation" in tables and tables["annotation"].rows:
        body.append(table_html(tables["annotation"]))
    for key in ("per_label", "runs"):
        t = tables[key]
        body.append(f"<details><summary>{html.escape(t.title)} ({len(t.rows)} rows)</summary>"
                    f"{table_html(t, heading=False)}</details>")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(a.name)} · alframe report</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
