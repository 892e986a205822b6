"""Entry point `dcr_harness_hypothesis`: the Hypothesis profiles for every pytest session.

They are registered when dcr_harness/engine/hypothesis_setup.py is imported (profiles ci, dev,
thorough; Hypothesis' files in the user cache, never the working directory); the run's seed
and example database are set by the harness plugin (dcr_harness/engine/plugin.py).
"""

from . import hypothesis_setup  # noqa: F401  (registers and loads the profiles on import)
