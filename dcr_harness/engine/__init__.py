"""The pytest engine: the plugin and its fixtures, the run's state and its recorder, pytest-xdist workers,
stopping, selection by requirement, the preflight, the embedded reference server, Hypothesis set-up."""
