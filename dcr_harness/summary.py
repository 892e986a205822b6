"""The console summary at the end of a conformance run: by contract area, then the path."""

from __future__ import annotations

from typing import Any

from .verdicts import ORDER, by_area, overall, requirement_verdicts


def write_summary(tr: Any, recorder: Any) -> None:
    if not recorder.records:
        return
    results = [r.to_dict(recorder.masker) for r in recorder.records]
    verdicts = requirement_verdicts(results)
    certification = getattr(recorder, "certification", None)
    if certification is not None:
        from .report.summary import write_certification_summary

        return write_certification_summary(tr, recorder, certification)
    tr.write_sep("=", "DCR conformance by contract area")
    tr.write_line(f"{'area':<15}" + "".join(f"{k:>7}" for k in ORDER))
    for area, counts in sorted(by_area(verdicts).items()):
        tr.write_line(f"{area:<15}" + "".join(f"{counts[k]:>7}" for k in ORDER))
    for v in verdicts.values():
        if v.verdict in ("fail", "warn"):
            reason = recorder.masker.mask(v.reasons[0]) if v.reasons else ""
            tr.write_line(f"  {v.verdict.upper():<5} {v.requirement:<10} {reason[:110]}")
    target = recorder.target.name if recorder.target else "?"
    tr.write_line(f"target: {target}   verdict: {overall(verdicts)}   requests: {recorder.session.sent if recorder.session else 0}")
    tr.write_line(f"report: {recorder.run_dir}")
