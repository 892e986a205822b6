"""Certifying a partner's client integration: the harness as a strict DCR server.

`dcr-harness certify-client` serves the reference server in a recording mode
(server.py + recording.py), with scenarios that provoke the behaviour to judge
(scenarios.py); when the client is done, the recorded traffic (traffic.py) is judged per
request and per sequence (judges.py) against CLI-1..5 and the request rules, and written
as the same reports as a server run (report.py).
"""
