"""Where the harness finds its own data: schemas, suites, load profiles, the contract.

One copy of each: the repository's top-level folders (conformance/, schemas/, load/,
docs/). A source checkout (or `pip install -e .`) reads them beside the package; an
installed wheel carries them as the package `dcr_harness.bundled` (setup.py maps them at
build time). DCR_HARNESS_ROOT points at another checkout.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT = PACKAGE_DIR.parent


def _is_checkout(root: Path) -> bool:
    return (root / "pyproject.toml").is_file() and (root / "conformance").is_dir()


def _root() -> Path:
    """The folder that holds conformance/, schemas/, load/ and docs/."""
    if os.environ.get("DCR_HARNESS_ROOT"):
        return Path(os.environ["DCR_HARNESS_ROOT"])
    if _is_checkout(_CHECKOUT):
        return _CHECKOUT
    # An installed wheel: a real directory in site-packages (pytest and Locust need files).
    return Path(str(files("dcr_harness.bundled")))


REPO_ROOT = _root()
INSTALLED = REPO_ROOT != _CHECKOUT and not os.environ.get("DCR_HARNESS_ROOT")
SCHEMA_DIR = REPO_ROOT / "schemas"
CONFORMANCE_DIR = REPO_ROOT / "conformance"
LOAD_DIR = REPO_ROOT / "load"
DOCS_DIR = REPO_ROOT / "docs"
DEFAULT_REPORT_DIR = Path("reports")
# The contract and the target file, as the project states them (shipped in the wheel).
CONTRACT_PATH = Path(os.environ.get("DCR_CONTRACT", DOCS_DIR / "contract.md"))
TARGET_DOC_PATH = DOCS_DIR / "target-file.md"
