"""Reports built from a run's results: certification (JSON + HTML), signatures, waivers, Allure.

- certification.py  results.json (+ waivers) -> certification.json document
- html.py           certification document -> self-contained certification.html
- signing.py        detached Ed25519 signature over certification.json; verification
- waivers.py        the waiver file (accepted deviations with an expiry date)
- allure_glue.py    titles, labels, links, severity, steps and masked attachments for Allure
- hooks.py          the pytest plugin object that ties these to a conformance run
- cli.py            dcr-harness report | sign | verify-report
"""
