"""Project-wide pytest set-up: the Hypothesis profiles (ci, thorough, dev) of dcr_harness/engine/hypothesis_setup.py.

An installed harness loads them through its `dcr_harness_hypothesis` pytest plugin; importing
them here covers a checkout whose installed metadata predates that entry point.
"""

import dcr_harness.engine.hypothesis_profiles  # noqa: F401
