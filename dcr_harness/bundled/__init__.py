"""The repository's top-level folders, shipped inside the distribution.

`conformance/`, `schemas/`, `load/` and `docs/` stay where they are in the repository (one
copy of each file); setup.py maps them to `dcr_harness.bundled.<folder>` when a wheel is
built. `dcr_harness.paths` finds them here in an installed harness and beside the package
in a source checkout. The pytest entry of an installed harness:
`pytest -p dcr_harness --pyargs dcr_harness.bundled.conformance`.
"""
