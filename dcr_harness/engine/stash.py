"""Where a run keeps its state in pytest's stash: the run's recorder (its state: recorder.state) on the config, each
check's record on its item. One definition, read by the plugin and the pytest-xdist glue."""

from __future__ import annotations

import pytest

from .recorder import CheckRecord, RunRecorder
from .run_config import RunConfig

RUN_CONFIG = pytest.StashKey[RunConfig]()
RECORDER = pytest.StashKey[RunRecorder]()
RECORD = pytest.StashKey[CheckRecord]()
