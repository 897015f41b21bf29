# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The hardware validation report: Markdown, and an HTML page with one chart per metric (inline SVG)."""

from __future__ import annotations

from html import escape

from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.blacksheep import describe, _num


def markdown(result, title="Hardware validation"):
    lines = ["# %s" % title, ""]
    outliers = result["outliers"]
    if outliers:
        lines.append("**%d black sheep**: %s" % (len(outliers), ", ".join(outliers)))
    else:
        lines.append("**No black sheep**: every judged node matches its peers.")
    lines.append("")
    lines += ["| Node | Profile | Verdict | Why |", "|---|---|---|---|"]
    for name in sorted(result["nodes"]):
        node = result["nodes"][name]
        verdict = "BLACK SHEEP" if node["outlier"] else ("ok" if node["judged"] else "not judged")
        why = "; ".join(describe(r) for r in node["reasons"]) or ("" if node["judged"] else "too few peers")
        lines.append("| %s | %s | %s | %s |" % (name, node["profile"], verdict, why.replace("|", "\\|")))
    for profile, group in sorted(result["groups"].items()):
        lines += ["", "## Profile %s (%d nodes)" % (profile, len(group["members"])), ""]
        if not group["judged"]:
            lines += ["Not judged: %s." % group["reason"], ""]
        lines += ["| Metric | Reference | " + " | ".join(group["members"]) + " |",
                  "|---|---|" + "---|" * len(group["members"])]
        for metric, stats in sorted(group["metrics"].items()):
            reference = ("median %s, MAD %s" % (_num(stats["median"]), _num(stats["mad"]))) if "median" in stats \
                else "mode %s" % stats["mode"]
            cells = []
            for member in group["members"]:
                value = stats["values"].get(member)
                flagged = any(r["metric"] == metric for r in result["nodes"][member]["reasons"])
                text = "" if value is None else _num(value)
                cells.append("**%s** ⚠" % text if flagged else text)
            lines.append("| %s | %s | %s |" % (metric, reference, " | ".join(cells)))
    return "\n".join(lines) + "\n"


def _chart(metric, stats, members, flagged, label):
    """A horizontal bar chart of one metric: a bar per node, the median as a line, black sheep in red."""
    values = [(m, stats["values"].get(m)) for m in members]
    numeric = [v for _m, v in values if isinstance(v, (int, float))]
    top = max(numeric + [stats.get("median") or 0, 1e-9])
    width, bar_h, left, gap = 560, 22, 140, 6
    height = len(values) * (bar_h + gap) + 30
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" aria-label="%s">'
             % (width, height, escape(label))]
    for i, (member, value) in enumerate(values):
        y = 10 + i * (bar_h + gap)
        colour = "#c62828" if member in flagged else "#5c8fd6"
        length = 0 if value is None else (width - left - 80) * float(value) / top
        parts.append('<text x="%d" y="%d" text-anchor="end" font-size="12">%s</text>' % (left - 6, y + 15, escape(member)))
        parts.append('<rect class="%s" x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>'
                     % ("sheep" if member in flagged else "peer", left, y, length, bar_h, colour, escape(member), escape(_num(value))))
        parts.append('<text x="%.1f" y="%d" font-size="12">%s%s</text>'
                     % (left + length + 4, y + 15, escape(_num(value)), " ⚠" if member in flagged else ""))
    if stats.get("median") is not None:
        x = left + (width - left - 80) * stats["median"] / top
        parts.append('<line x1="%.1f" y1="4" x2="%.1f" y2="%d" stroke="#222" stroke-dasharray="4 3"/>' % (x, x, height - 16))
        parts.append('<text x="%.1f" y="%d" font-size="11" text-anchor="middle">median %s</text>'
                     % (x, height - 4, escape(_num(stats["median"]))))
    parts.append("</svg>")
    return "".join(parts)


def html(result, title="Hardware validation"):
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>%s</title>' % escape(title),
           "<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
           "td,th{border:1px solid #ccc;padding:.3em .6em}.sheep{color:#c62828;font-weight:bold}"
           "section{margin-bottom:2em}</style></head><body>", "<h1>%s</h1>" % escape(title)]
    outliers = result["outliers"]
    out.append('<p id="verdict">%s</p>' % (
        ('<span class="sheep">%d black sheep</span>: %s' % (len(outliers), escape(", ".join(outliers)))) if outliers
        else "No black sheep: every judged node matches its peers."))
    out.append("<table><tr><th>Node</th><th>Profile</th><th>Verdict</th><th>Why</th></tr>")
    for name in sorted(result["nodes"]):
        node = result["nodes"][name]
        verdict = "BLACK SHEEP" if node["outlier"] else ("ok" if node["judged"] else "not judged")
        out.append('<tr%s><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
            ' class="sheep"' if node["outlier"] else "", escape(name), escape(node["profile"]), verdict,
            escape("; ".join(describe(r) for r in node["reasons"]))))
    out.append("</table>")
    for profile, group in sorted(result["groups"].items()):
        out.append("<h2>Profile %s</h2>" % escape(profile))
        if not group["judged"]:
            out.append("<p>Not judged: %s.</p>" % escape(group["reason"]))
        for metric, stats in sorted(group["metrics"].items()):
            flagged = set(m for m in group["members"] if any(r["metric"] == metric for r in result["nodes"][m]["reasons"]))
            out.append('<section data-metric="%s"><h3>%s</h3>' % (escape(metric), escape(metric)))
            if "median" in stats:
                out.append(_chart(metric, stats, group["members"], flagged, metric))
            else:
                out.append("<p>mode: %s</p><ul>%s</ul>" % (escape(str(stats["mode"])), "".join(
                    '<li%s>%s: %s</li>' % (' class="sheep"' if m in flagged else "", escape(m), escape(str(v)))
                    for m, v in sorted(stats["values"].items()))))
            out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
