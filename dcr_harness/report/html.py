"""certification.html: one self-contained page (inline CSS, inline SVG, no external asset).

Everything shown comes from the certification document, which holds only masked text;
every value is HTML-escaped here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from ..contract.verdicts import LABELS, VERDICTS, RunVerdict
from .certification import root_cause_line, unjudged_lines
from .contract_page import CONTRACT_PAGE

COLORS = {
    "fail": "#c62828",
    "waived": "#6a1b9a",
    "warn": "#ef8f00",
    "pass": "#2e7d32",
    "not_verified": "#5c6bc0",
    "not_covered": "#9e9e9e",
    "not_applicable": "#cfd4dc",
}
# A check's outcome, drawn with the colour of the requirement verdict it resembles.
OUTCOME_VERDICT = {
    "passed": "pass",
    "warned": "warn",
    "failed": "fail",
    "blocked": "not_verified",
    "error": "not_verified",
    "waived": "waived",
    "skipped": "not_covered",
}
OVERALL_COLORS = {
    RunVerdict.FAIL: COLORS["fail"],
    RunVerdict.PASS_WITH_WAIVERS: COLORS["waived"],
    RunVerdict.PASS_WITH_WARNINGS: COLORS["warn"],
    RunVerdict.PASS: COLORS["pass"],
    RunVerdict.PARTIAL: COLORS["not_verified"],
    RunVerdict.INCOMPLETE: COLORS["not_verified"],
    RunVerdict.INCONCLUSIVE: COLORS["not_verified"],
    RunVerdict.NO_VERDICT: "#555",
}
CONTRACT_LINK = CONTRACT_PAGE  # the shipped contract, written beside the certification

CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f6f9}
header{background:#1d2330;color:#fff;padding:20px 32px;display:flex;gap:24px;align-items:center;justify-content:space-between;flex-wrap:wrap}
header h1{margin:0;font-size:20px;font-weight:600}header .sub{color:#b8c0cf;font-size:13px;margin-top:4px}
.badge{display:inline-block;padding:10px 18px;border-radius:8px;color:#fff;font-size:20px;font-weight:700;letter-spacing:.02em}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px}
section{background:#fff;border:1px solid #dde2ea;border-radius:10px;padding:18px 22px;margin-bottom:20px}
h2{font-size:16px;margin:0 0 12px}h3{font-size:14px;margin:16px 0 8px;color:#45506a}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:12px}
.card{border:1px solid #e3e7ee;border-radius:8px;padding:10px 12px}.card b{display:block;font-size:22px}.card span{color:#5b6579;font-size:12px}
.chip{display:inline-block;min-width:58px;text-align:center;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #edf0f4}
th{font-size:12px;color:#5b6579;font-weight:600;background:#f8f9fb}td.id{white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.matrix{display:grid;grid-template-columns:130px 1fr;gap:6px 12px;align-items:center}.cells{display:flex;flex-wrap:wrap;gap:4px}
.cell{font:11px ui-monospace,Menlo,Consolas,monospace;color:#fff;padding:3px 6px;border-radius:4px;text-decoration:none}
pre{background:#f6f8fa;border:1px solid #e3e7ee;border-radius:6px;padding:8px 10px;overflow-x:auto;font-size:12px;white-space:pre-wrap;word-break:break-all;margin:6px 0}
details summary{cursor:pointer}.muted{color:#6b7488}.small{font-size:12px}a{color:#1f5fbf}
.filters button{border:1px solid #ccd3de;background:#fff;border-radius:14px;padding:3px 10px;margin:0 4px 8px 0;cursor:pointer;font-size:12px}
.filters button.on{background:#1d2330;color:#fff;border-color:#1d2330}
dl.kv{display:grid;grid-template-columns:200px 1fr;gap:4px 12px;margin:0}dl.kv dt{color:#5b6579}dl.kv dd{margin:0;word-break:break-all}
footer{color:#6b7488;font-size:12px;text-align:center;padding:12px}
"""

SCRIPT = """
window.__errors=[];window.onerror=function(m){window.__errors.push(String(m));document.documentElement.setAttribute('data-errors',window.__errors.join(' | '));};
document.addEventListener('DOMContentLoaded',function(){
  var buttons=document.querySelectorAll('.filters button');
  buttons.forEach(function(b){b.addEventListener('click',function(){
    buttons.forEach(function(x){x.classList.remove('on')});b.classList.add('on');
    var want=b.getAttribute('data-filter');
    document.querySelectorAll('tr[data-verdict]').forEach(function(tr){
      tr.style.display=(want==='all'||tr.getAttribute('data-verdict')===want)?'':'none';});
  });});
  document.documentElement.setAttribute('data-rendered','ok');
});
"""


def e(value: Any) -> str:
    return escape("" if value is None else str(value))


def chip(verdict: str) -> str:
    return (
        f'<span class="chip" style="background:{COLORS.get(verdict, "#777")}">{e(LABELS.get(verdict, verdict))}</span>'
    )


def chart(areas: list[Mapping[str, Any]]) -> str:
    """Horizontal stacked bars: requirements per verdict for each contract area."""
    row_h, label_w, bar_w = 30, 120, 560
    height = row_h * len(areas) + 40
    most = max((sum(a["counts"].values()) for a in areas), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Requirements by contract area and verdict" '
        f'width="{label_w + bar_w + 60}" height="{height}" viewBox="0 0 {label_w + bar_w + 60} {height}" font-family="system-ui,sans-serif" font-size="12">'
    ]
    for i, area in enumerate(areas):
        y, x = 10 + i * row_h, label_w
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="#1d2330">{e(area["area"])}</text>')
        for verdict in VERDICTS:
            n = area["counts"].get(verdict, 0)
            if not n:
                continue
            w = bar_w * n / most
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="20" rx="3" fill="{COLORS[verdict]}">'
                f"<title>{e(area['area'])}: {n} {e(LABELS[verdict])}</title></rect>"
            )
            if w >= 16:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 14}" text-anchor="middle" fill="#fff" font-weight="600">{n}</text>'
                )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" fill="#5b6579">{sum(area["counts"].values())}</text>')
    lx, ly = label_w, height - 14
    for verdict in VERDICTS:
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" rx="2" fill="{COLORS[verdict]}"/>'
            f'<text x="{lx + 14}" y="{ly}" fill="#1d2330">{e(LABELS[verdict])}</text>'
        )
        lx += 24 + 7 * len(LABELS[verdict])
    return "".join(parts) + "</svg>"


def _cards(doc: Mapping[str, Any]) -> str:
    counts, cov = doc["overall"]["counts"], doc["coverage"]
    cards = [(cov["covered"], f"of {cov['total']} requirements covered")]
    cards += [(counts[v], f"requirements {LABELS[v]}") for v in VERDICTS]
    cards.append((sum(doc["overall"]["checks"].values()), "checks run"))
    cards.append((doc["profile"].get("requests_sent", 0), "HTTP requests"))
    return (
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{e(n)}</b><span>{e(t)}</span></div>' for n, t in cards)
        + "</div>"
    )


def _matrix(doc: Mapping[str, Any]) -> str:
    rows: dict[str, list[str]] = {}
    for r in doc["requirements"]:
        title = f"{r['id']}: {LABELS[r['verdict']]}" + (f" - {r['text']}" if r["text"] else "")
        rows.setdefault(r["area"], []).append(
            f'<a class="cell" href="#req-{e(r["id"])}" title="{e(title)}" style="background:{COLORS[r["verdict"]]}">{e(r["id"])}</a>'
        )
    return (
        '<div class="matrix">'
        + "".join(f'<div><b>{e(a)}</b></div><div class="cells">{"".join(c)}</div>' for a, c in rows.items())
        + "</div>"
    )


def _folded(count: int, noun: str, inner: str) -> str:
    return f"<details class=small><summary>{count} {e(noun)}</summary>{inner}</details>"


def _row(row_id: str | None, verdict: str, first: str, body: str, first_class: str = "") -> str:
    """A table row; for requirements the verdict chip gets its own column."""
    attr = f' id="{e(row_id)}"' if row_id else ""
    chip_cell = f"<td>{chip(verdict)}</td>" if first_class == "id" else ""
    return (
        f'<tr{attr} data-verdict="{e(verdict)}"><td class="{first_class}">{first}</td>{chip_cell}<td>{body}</td></tr>'
    )


def _req_rows(
    doc: Mapping[str, Any], check_index: Mapping[str, int], only: tuple[str, ...] = VERDICTS, anchors: bool = True
) -> str:
    out = []
    for r in (r for r in doc["requirements"] if r["verdict"] in only):
        link = (
            f'<a href="{CONTRACT_LINK}#{e(r["anchor"])}">{e(r["section"])}</a>'
            if r["anchor"]
            else "not in the contract"
        )
        checks = "".join(
            f'<li><a href="#check-{check_index[n]}">{e(n)}</a></li>' for n in r["checks"] if n in check_index
        )
        reasons = "".join(f"<li>{e(x)}</li>" for x in r["reasons"])
        evidence = "".join(f"<li>{e(x)}</li>" for x in r.get("evidence", []))
        waiver = r.get("waiver")
        waiver_html = (
            (
                f'<div class="small">waived until {e(waiver["expires"])}: {e(waiver["reason"])}'
                f"{' (' + e(waiver['owner']) + ')' if waiver.get('owner') else ''}</div>"
            )
            if waiver
            else ""
        )
        body = (
            f'{e(r["text"] or "")}<div class="small muted">{link}</div>{waiver_html}'
            f"{'<ul class=small>' + reasons + '</ul>' if reasons and r['verdict'] != 'pass' else ''}"
            f"{'<div class=small>verified: <ul>' + evidence + '</ul></div>' if evidence and r['verdict'] == 'pass' else ''}"
            f"{_folded(len(r['checks']), 'check(s)', '<ul>' + checks + '</ul>') if checks else ''}"
        )
        first = f'{e(r["id"])}<div class="muted small">{e(r["level"] or "")}</div>'
        out.append(_row(f"req-{r['id']}" if anchors else None, r["verdict"], first, body, first_class="id"))
    return "".join(out)


def _exchange(x: Mapping[str, Any]) -> str:
    status = x.get("status") if x.get("error") is None else f"transport error: {x.get('error')}"
    headers = "\n".join(f"{k}: {v}" for k, v in x.get("response_headers", []))
    line = (
        f"<code>{e(x['method'])} {e(x['url'])}</code> &rarr; <b>{e(status)}</b> "
        f'<span class="muted">({e(x.get("elapsed_ms"))} ms{", " + e(x["note"]) if x.get("note") else ""})</span>'
    )
    if "curl" not in x:  # a passed check's exchange, summarized (results.FULL_EXCHANGES)
        return f'<div class="small">{line}</div>'
    return (
        f"<details><summary>{line}</summary>"
        f'<div class="small muted">reproduce (secrets are shell variables):</div><pre>{e(x.get("curl"))}</pre>'
        f'<div class="small muted">request body</div><pre>{e(x.get("request_body"))}</pre>'
        f'<div class="small muted">response</div><pre>{e(headers)}\n\n{e(x.get("response_body"))}</pre></details>'
    )


def _check_rows(doc: Mapping[str, Any]) -> str:
    out = []
    for i, c in enumerate(doc["checks"]):
        verdict = OUTCOME_VERDICT.get(c["outcome"], "not_covered")
        message = f"<pre>{e(c['message'])}</pre>" if c.get("message") and c["outcome"] != "passed" else ""
        exchanges = "".join(_exchange(x) for x in c.get("exchanges", []))
        body = (
            f'<b>{e(c["title"])}</b><div class="small muted"><code>{e(c["nodeid"])}</code> &middot; '
            f"{e(', '.join(c['requirements']))} &middot; {e(c.get('duration'))} s</div>{message}"
            f"{_folded(len(c.get('exchanges', [])), 'HTTP exchange(s)', exchanges) if exchanges else ''}"
        )
        out.append(
            _row(f"check-{i}", verdict, f'{chip(verdict)}<div class="small muted">{e(c["outcome"])}</div>', body)
        )
    return "".join(out)


def _waivers(doc: Mapping[str, Any]) -> str:
    w = doc["waivers"]
    if not (w["applied"] or w["expired"] or w["unused"]):
        return (
            '<p class="muted">No waiver applies to this run'
            + (f" (file {e(w['file'])})." if w["file"] else ".")
            + "</p>"
        )
    rows = []
    for state, items in (("applied", w["applied"]), ("expired", w["expired"]), ("unused", w["unused"])):
        for item in items:
            extra = (
                f'<div class="small muted">would waive: {e(", ".join(item["would_waive"]))}</div>'
                if item.get("would_waive")
                else ""
            )
            rows.append(
                f'<tr><td>{e(state)}</td><td class="id">{e(item["requirement"] or item["check"])}</td><td>{e(item["reason"])}{extra}</td>'
                f"<td>{e(item['expires'])}</td><td>{e(item['owner'] or '')}</td></tr>"
            )
    return (
        f'<p class="small muted">file {e(w["file"])}, sha256 {e(w["sha256"])}</p><table><tr><th>state</th><th>waives</th>'
        f"<th>reason</th><th>expires</th><th>owner</th></tr>{''.join(rows)}</table>"
    )


def _variables(doc: Mapping[str, Any]) -> str:
    """The legend of the reproductions: what each ${DCR_...} variable stands for."""
    rows = "".join(
        f'<tr><td class="id">{e(v)}</td><td>{e(o)}</td></tr>' for v, o in sorted((doc.get("variables") or {}).items())
    )
    if not rows:
        return ""
    note = (
        "Secrets in the reproductions are shell variables: export each with its value to replay a command; "
        "<code>${VAR:120:40}</code> is a stretch of one, and a command such as <code>$(printf %s ... | base64 -w0 | cut -c ...)</code> re-encodes one."
    )
    return f'<section><h2>Variables</h2><p class="small muted">{note}</p><table><tr><th>variable</th><th>stands for</th></tr>{rows}</table></section>'


def _provenance(doc: Mapping[str, Any]) -> str:
    d, p = doc["digests"], doc["profile"]
    items = [
        ("harness version", doc["harness_version"]),
        ("started", doc["started_at"]),
        ("finished", doc["finished_at"]),
        ("generated", doc["generated_at"]),
        (f"contract ({d['contract']['path']}) sha256", d["contract"]["sha256"]),
        ("hypothesis profile / seed", f"{p.get('hypothesis_profile')} / {p.get('hypothesis_seed')}"),
        ("throttle profile", json.dumps(p.get("throttle"))),
        ("token ttl (s)", p.get("token_ttl_seconds")),
        ("request budget", p.get("max_requests")),
        ("embedded reference", doc["embedded"]),
        ("embedded faults", ", ".join(doc["embedded_faults"]) or "none"),
    ]
    kv = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items)
    schemas = "".join(f"<dt>{e(n)}</dt><dd><code>{e(h)}</code></dd>" for n, h in d["schemas"].items())
    return (
        f'<dl class="kv">{kv}</dl><details><summary>schema digests (sha256)</summary><dl class="kv small">{schemas}</dl></details>'
        f"<details><summary>target (secrets masked)</summary><pre>{e(json.dumps(doc['target'], indent=2))}</pre></details>"
    )


def _scope(doc: Mapping[str, Any]) -> str:
    """Why a run does not certify PASS although nothing failed: unreachable, stopped, narrowed, blocked."""
    scope = doc["overall"].get("scope") or {}
    notes = []
    if doc["overall"].get("root_cause"):
        notes.append(f"Root cause: {root_cause_line(doc['overall']['root_cause'])}")
    if scope.get("unreachable"):
        notes.append(f"No verdicts: {scope['unreachable']}")
    if scope.get("incomplete"):
        notes.append(f"Incomplete run: {scope['incomplete']}")
    narrowed = scope.get("narrowed")
    if narrowed:
        how = ", ".join(f"{k} {v}" for k, v in narrowed.items() if k in ("req", "k", "m", "ignored", "paths") and v)
        notes.append(
            f"Partial run ({how}): {narrowed.get('deselected', 0)} checks left out; requirements they cover are not certified here."
        )
    if scope.get("blocked_checks"):
        notes.append(f"{len(scope['blocked_checks'])} check(s) could not judge (blocked or harness error): see Checks.")
    notes += [line[0].upper() + line[1:] for line in unjudged_lines(scope)]
    if scope.get("throttle_mismatch"):
        notes.append(f"Throttle: {scope['throttle_mismatch']}")
    if scope.get("device_note"):
        notes.append(f"Devices: {scope['device_note']}")
    if doc["coverage"].get("not_verified") and doc["overall"]["verdict"] == RunVerdict.INCONCLUSIVE:
        notes.append(
            f"Not verified although exercised: {', '.join(doc['coverage']['not_verified'])} (see each requirement's reasons)."
        )
    return "".join(f'<p class="small"><b>{e(n)}</b></p>' for n in notes)


def _client_scenarios(doc: Mapping[str, Any]) -> str:
    """A client certification: the scenarios the partner's client ran against."""
    client = doc.get("client")
    if not client:
        return ""
    rows = "".join(
        f'<tr><td class="id">{e(s["name"])}</td><td>{e(s["description"])}</td></tr>' for s in client["scenarios"]
    )
    return (
        f'<section><h2>Client certification: scenarios</h2><p class="small muted">Only the client\'s requirements are verdicts; '
        f"the server requirements are not applicable.</p><table><tr><th>scenario</th><th>what it provokes</th></tr>{rows}</table></section>"
    )


def _attention(doc: Mapping[str, Any], check_index: Mapping[str, int]) -> str:
    """Failed, waived and warned requirements first: what a reader acts on."""
    rows = _req_rows(doc, check_index, only=("fail", "waived", "warn"), anchors=False)
    if not rows:
        return ""
    return f"<section><h2>Needs attention</h2><table><tr><th>ID</th><th>verdict</th><th>requirement, evidence</th></tr>{rows}</table></section>"


TREND_KINDS = (
    ("newly_failing", "newly failing"),
    ("newly_unverified", "newly not verified"),
    ("fixed", "fixed"),
    ("left_out", "left out by the selection"),
    ("changed", "changed"),
)


def _trend_cell(cell: Mapping[str, Any] | None) -> str:
    if not cell:
        return '<td class="muted">-</td>'
    counts = ", ".join(f"{n} {LABELS[v]}" for v, n in cell["counts"].items() if n)
    return f'<td title="{e(counts)}">{chip(cell["verdict"])}</td>'


def _trend_row(r: Mapping[str, Any], areas: list[str], this_run: bool) -> str:
    faults = f'<div class="small muted">faults: {e(", ".join(r["faults"]))}</div>' if r["faults"] else ""
    cells = "".join(_trend_cell(r["areas"].get(a)) for a in areas)
    mark = ' class="this-run"' if this_run else ""
    return (
        f'<tr data-run="{e(r["run"])}"{mark}><td class="id">{e(r["started_at"])}{" (this run)" if this_run else ""}'
        f'<div class="small muted">{e(r["run"])}</div></td><td><b>{e(r["verdict"])}</b>{faults}</td>'
        f"<td>{e(r['requests'])}</td>{cells}</tr>"
    )


def _trend(trend: Mapping[str, Any] | None) -> str:
    """This target's last runs under the same report root, and what changed since the previous one."""
    if not trend:
        return ""
    runs = trend["runs"]
    areas = list(dict.fromkeys(a for r in runs for a in r["areas"]))
    head = "".join(f"<th>{e(a)}</th>" for a in areas)
    rows = "".join(_trend_row(r, areas, i == len(runs) - 1) for i, r in enumerate(runs))
    d = trend["since_previous"]
    changes = []
    for kind, label in TREND_KINDS:
        for c in d["requirements"][kind]:
            note = f' <span class="small muted">({e(c["note"])})</span>' if c.get("note") else ""
            old, new = (chip(v) if v else '<span class="muted">absent</span>' for v in (c["old"], c["new"]))
            changes.append(
                f'<tr data-change="{kind}"><td class="id"><a href="#req-{e(c["id"])}">{e(c["id"])}</a></td>'
                f"<td>{e(label)}</td><td>{old} &rarr; {new}{note}</td></tr>"
            )
    checks = {k: len(v) for k, v in d["checks"].items() if v}
    check_line = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in checks.items()) or "no check changed its outcome"
    since = (
        f"<table><tr><th>ID</th><th>change</th><th>verdict</th></tr>{''.join(changes)}</table>"
        if changes
        else '<p class="small">No requirement changed its verdict.</p>'
    )
    worse = '<p class="small"><b>Worse than the previous run.</b></p>' if d["worse"] else ""
    return (
        f'<section id="trend"><h2>Trend of this target (last {len(runs)} runs in this report folder)</h2>'
        f"<table><tr><th>run</th><th>verdict</th><th>requests</th>{head}</tr>{rows}</table>"
        f'<h3>Since the previous run ({e(d["old"]["started_at"])})</h3>{worse}<div id="since-previous">{since}</div>'
        f'<p class="small muted">Checks: {e(check_line)}. Requests {e(d["old"]["requests"])} &rarr; {e(d["new"]["requests"])}; '
        f"seconds {e(d['old']['seconds'])} &rarr; {e(d['new']['seconds'])}. "
        f"Details, from the report folder: <code>dcr-harness diff {e(Path(d['old']['report']).name)} "
        f"{e(Path(d['new']['report']).name)}</code></p></section>"
    )


def _deployment(doc: Mapping[str, Any]) -> str:
    """The deployment as HTTP's envelope showed it (contract section 0): limits, repeated headers, what never reached the API."""
    dep = doc.get("deployment") or {}
    if not dep.get("envelope_requests"):
        return ""
    declared = dep["front_door"].get("declared") or {}
    who = declared.get("name") or dep["front_door"].get("server") or "not identified"
    facts = "".join(f"<li>{e(line)}</li>" for line in dep["limit_lines"])
    facts += "".join(f"<li>{e(field)} sent twice: {e(fate)}</li>" for field, fate in dep["repeated_headers"].items())
    facts += "".join(f"<li>declared {e(k)}: {e(v)}</li>" for k, v in declared.items() if k != "name")
    rows = "".join(
        f'<tr><td>{e(r["status"])}</td><td>{e(r["refused_by"])}</td><td>{e(r["case"])}<div class="small muted">'
        f"{e(r['what'])} ({e(r['kind'])}); {e(r['media_type'])}, Server {e(r['server'])}</div></td></tr>"
        for r in dep["refused_at_front_door"]
    )
    more = dep["refused_before_the_api"] - len(dep["refused_at_front_door"])
    note = (
        f"{dep['refused_before_the_api']} of {dep['envelope_requests']} requests over a limit or not well-formed were refused "
        f"before the API (front door: {e(who)}). HTTP permits such refusals (the contract's section 0): they are not verified, "
        "never failed; a 5xx is still a failure."
    )
    table = f"<table><tr><th>status</th><th>refused by</th><th>request</th></tr>{rows}</table>" if rows else ""
    return (
        f'<section id="deployment"><h2>Deployment</h2><p class="small muted">{note}</p><ul>{facts}</ul>{table}'
        + (f'<p class="small muted">... and {more} more</p>' if more > 0 else "")
        + "</section>"
    )


def render(doc: Mapping[str, Any], trend: Mapping[str, Any] | None = None) -> str:
    verdict = doc["overall"]["verdict"]
    target = doc.get("target") or {}
    check_index = {c["nodeid"]: i for i, c in enumerate(doc["checks"])}
    filters = "".join(
        f'<button data-filter="{v}">{e(LABELS[v])} ({doc["overall"]["counts"][v]})</button>' for v in VERDICTS
    )
    return f"""<!DOCTYPE html>
<html lang="en" data-verdict="{e(verdict)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DCR certification: {e(target.get("name"))} - {e(verdict)}</title>
<style>{CSS}</style><script>{SCRIPT}</script></head>
<body>
<header><div><h1>DCR conformance certification &middot; {e(target.get("name") or "target")}</h1>
<div class="sub">{e(target.get("base_url"))} &middot; {e(doc["started_at"])} &rarr; {e(doc["finished_at"])} &middot; dcr-harness {e(doc["harness_version"])}</div></div>
<div id="verdict" class="badge" style="background:{OVERALL_COLORS.get(verdict, "#555")}">{e(verdict)}</div></header>
<main>
<section><h2>Summary</h2>{_scope(doc)}{_cards(doc)}</section>
{_trend(trend)}
{_client_scenarios(doc)}
{_attention(doc, check_index)}
<section><h2>Results by contract area</h2>{chart(doc["areas"])}</section>
<section><h2>Coverage matrix</h2><p class="small muted">Each cell is a requirement of the contract; grey cells are not covered by this run.</p>{_matrix(doc)}</section>
<section><h2>Requirements</h2><div class="filters"><button class="on" data-filter="all">all ({doc["coverage"]["total"]})</button>{filters}</div>
<table><tr><th>ID</th><th>verdict</th><th>requirement, evidence</th></tr>{_req_rows(doc, check_index)}</table></section>
{_deployment(doc)}
<section><h2>Waivers</h2>{_waivers(doc)}</section>
<section><h2>Checks</h2><table><tr><th>outcome</th><th>check</th></tr>{_check_rows(doc)}</table></section>
{_variables(doc)}
<section><h2>Provenance</h2>{_provenance(doc)}</section>
</main><footer>Generated by dcr-harness {e(doc["harness_version"])} at {e(doc["generated_at"])}. Secrets appear as ${{DCR_...}} shell variables.
Verify integrity with <code>dcr-harness verify-report</code> when a certification.json.sig is present.</footer>
</body></html>
"""
