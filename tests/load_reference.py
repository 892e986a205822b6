"""A reference server sized for load (the token_refresh profile's embedded settings), for
tests that run the harness as separate processes against one target file."""

from __future__ import annotations

import pytest

from dcr_harness.engine.embedded import EmbeddedServer
from dcr_harness.loadgen.runner import EMBEDDED_ARGS


@pytest.fixture(scope="module")
def reference():
    """The target file of a running reference server."""
    server = EmbeddedServer(extra_args=EMBEDDED_ARGS["token_refresh"])
    server.start()
    yield server.target_file
    server.close()
