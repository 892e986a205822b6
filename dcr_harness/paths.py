"""Where the harness finds its own data: schemas, suites, load profiles, the contract."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The harness runs from a source checkout (pip install -e .); these live beside the package.
REPO_ROOT = Path(os.environ.get("DCR_HARNESS_ROOT", PACKAGE_DIR.parent))
SCHEMA_DIR = REPO_ROOT / "schemas"
CONFORMANCE_DIR = REPO_ROOT / "conformance"
LOAD_DIR = REPO_ROOT / "load"
DEFAULT_REPORT_DIR = Path("reports")
# The contract is shared with the harness, not copied into it.
CONTRACT_PATH = Path(os.environ.get("DCR_CONTRACT", REPO_ROOT.parent / "shared" / "spec" / "CONTRACT.md"))
