"""Load testing support for the Locust profiles in load/: target, judging, metrics, thresholds, runner.

The locustfiles stay about user behaviour; everything a profile shares lives here.
"""
