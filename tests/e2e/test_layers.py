"""The dependency rule (docs/ARCHITECTURE.md) holds, and import-linter would catch a break of it.

The contracts are in pyproject.toml ([tool.importlinter]); `lint-imports` is the checker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dcr_harness import paths

CHECKOUT = paths.PACKAGE_DIR.parent
# import-linter's command (the test extra): beside this Python (a venv), else on PATH (a system install)
LINT = [
    shutil.which("lint-imports", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    or "lint-imports",
    "--no-cache",
]


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}  # this copy of dcr_harness, not the installed one
    return subprocess.run(LINT, cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_package_keeps_its_layers() -> None:
    out = lint(CHECKOUT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def lint_with(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess[str]:
    """lint-imports over a copy of the package in which `module` (a path under dcr_harness/) ends with `line`."""
    shutil.copytree(paths.PACKAGE_DIR, tmp_path / "dcr_harness", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CHECKOUT / "pyproject.toml", tmp_path)
    source = tmp_path / "dcr_harness" / module
    source.write_text(source.read_text() + f"\n{line}  # the deliberate mistake\n")
    return lint(tmp_path)


def test_a_report_module_importing_the_engine_breaks_the_layers(tmp_path: Path) -> None:
    out = lint_with(tmp_path, "report/html.py", "from ..engine import plugin")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "dcr_harness.report.html -> dcr_harness.engine.plugin" in out.stdout
    assert "Layers: each package imports only the layers below it BROKEN" in " ".join(out.stdout.split())


def test_the_reference_server_importing_the_harness_breaks_its_independence(tmp_path: Path) -> None:
    out = lint_with(tmp_path, "refserver/store.py", "from .. import checks")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "dcr_harness.refserver.store -> dcr_harness.checks" in out.stdout


# A wrong import, and the contract that names it.
FORBIDDEN_IMPORTS = [
    (
        "clientcert/report.py",
        "from ..engine import recorder",
        "dcr_harness.clientcert.report -> dcr_harness.engine.recorder",
        "Client certification builds its results without the pytest engine BROKEN",
    ),
    (
        "report/certification.py",
        "import pytest",
        "dcr_harness.report.certification -> pytest",
        "Reports are built from a run's results, without pytest BROKEN",
    ),
    (
        "results/record.py",
        "import pytest",
        "dcr_harness.results.record -> pytest",
        "Reports are built from a run's results, without pytest BROKEN",
    ),
]


@pytest.mark.parametrize("module, line, chain, broken", FORBIDDEN_IMPORTS, ids=[m for m, *_ in FORBIDDEN_IMPORTS])
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, chain: str, broken: str
) -> None:
    out = lint_with(tmp_path, module, line)
    assert out.returncode == 1, out.stdout + out.stderr
    assert chain in out.stdout
    assert broken in " ".join(out.stdout.split())
