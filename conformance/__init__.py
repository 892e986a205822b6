"""The conformance suites (a package so that `pytest --pyargs dcr_harness.bundled.conformance` finds them in a wheel)."""
