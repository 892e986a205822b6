"""The console summary when a certification was built: by area with waived counts, then paths."""

from __future__ import annotations

from typing import Any

from .certification import VERDICTS
from .html import LABELS


def write_certification_summary(tr: Any, recorder: Any, doc: dict[str, Any]) -> None:
    tr.write_sep("=", "DCR conformance by contract area (requirements)")
    tr.write_line(f"{'area':<15}" + "".join(f"{LABELS[k]:>12}" for k in VERDICTS))
    for area in doc["areas"]:
        tr.write_line(f"{area['area']:<15}" + "".join(f"{area['counts'][k]:>12}" for k in VERDICTS))
    for r in doc["requirements"]:
        if r["verdict"] in ("fail", "warn", "waived"):
            reason = r["reasons"][0] if r["reasons"] else ""
            if r["verdict"] == "waived" and r["waiver"]:
                reason = f"waived until {r['waiver']['expires']}: {r['waiver']['reason']}"
            tr.write_line(f"  {r['verdict'].upper():<6} {r['id']:<10} {recorder.masker.mask(reason)[:110]}")
    for w in doc["waivers"]["expired"]:
        tr.write_line(f"  EXPIRED waiver for {w['requirement'] or w['check']} (expired {w['expires']}): no longer applies")
    target = doc["target"].get("name") or "?"
    tr.write_line(f"target: {target}   verdict: {doc['overall']['verdict']}   requests: {doc['profile']['requests_sent']}")
    seed = doc["profile"].get("hypothesis_seed")
    replay = f"{seed} (replay: --hypothesis-seed {seed})" if seed is not None else "none (derandomized profile)"
    tr.write_line(f"hypothesis: profile {doc['profile'].get('hypothesis_profile')}, seed {replay}")
    stop = doc["overall"].get("incomplete")
    if stop:
        tr.write_line(f"INCOMPLETE: {stop['reason']}; {len(stop['not_run'])} check(s) did not run; "
                      f"the finished checks alone give {stop['verdict_so_far']}")
    tr.write_line(f"report: {recorder.run_dir}")
    tr.write_line(f"certification: {recorder.certification_path}")
    if getattr(recorder, "signature_path", None):
        tr.write_line(f"signature: {recorder.signature_path}")
    if getattr(recorder, "signature_error", None):
        tr.write_line(f"signature NOT written: {recorder.signature_error}")
