"""An installed harness for the packaging tests: the wheel, built from this checkout, in a
fresh virtual environment outside it (what `pipx install` or `pip install` in a CI image does).

- DCR_HARNESS_WHEEL=path: use that wheel instead of building one (offline runs).
- DCR_PROOF_CLEAN_VENV=1: a venv without the system site-packages, its runtime dependencies
  installed by pip from the wheel's requirements (needs the package index). Otherwise the
  venv borrows the dependencies of the Python running the tests (no network): the system
  site-packages, or, when the tests run in a virtual environment (as CI and the README do),
  that environment's site-packages through a .pth line, and the wheel goes in without its
  dependencies. Either way `installed.python` imports dcr_harness from the venv, never from
  the checkout: the fixture proves it before any test uses it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from dcr_harness import paths

from .once import once_per_run

CHECKOUT = paths.PACKAGE_DIR.parent
BUILD_TIMEOUT_S = 300
# What a shell in a fresh CI image does not have: nothing may point back at this checkout.
LEAKY_VARIABLES = ("PYTHONPATH", "DCR_HARNESS_ROOT", "DCR_CONTRACT", "DCR_TARGET", "VIRTUAL_ENV", "PYTHONHOME")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in LEAKY_VARIABLES}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return {**env, **extra}

    def run(self, args: list[str], cwd: Path, timeout: float, **extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            args,
            cwd=cwd,
            env=self.env(**extra_env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )


def _check(proc: subprocess.CompletedProcess, what: str) -> None:
    if proc.returncode != 0:
        pytest.fail(f"{what} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")


def build_wheel(out: Path) -> Path:
    if os.environ.get("DCR_HARNESS_WHEEL"):
        return Path(os.environ["DCR_HARNESS_WHEEL"]).resolve()
    if not (CHECKOUT / "pyproject.toml").is_file():
        pytest.skip("not a source checkout: nothing to build (set DCR_HARNESS_WHEEL)")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(CHECKOUT)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    _check(proc, "python -m build")
    (wheel,) = out.glob("dcr_harness-*.whl")
    return wheel


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return once_per_run(tmp_path_factory, "installed-wheel", lambda: _install(tmp_path_factory))


def _install(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    wheel = build_wheel(root / "dist")
    clean = os.environ.get("DCR_PROOF_CLEAN_VENV") == "1"
    in_venv = sys.prefix != sys.base_prefix  # a venv's --system-site-packages would not see this one's packages
    venv = root / "venv"
    system = not clean and not in_venv
    _check(
        subprocess.run(
            [sys.executable, "-m", "venv", *(["--system-site-packages"] if system else []), str(venv)],
            capture_output=True,
            text=True,
            timeout=120,
        ),
        "python -m venv",
    )
    inst = Installed(wheel, venv)
    pip = [str(inst.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if not clean and in_venv:
        # After the venv's own site-packages on sys.path: the wheel's copy of dcr_harness comes first.
        purelib = inst.run(
            [str(inst.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root, timeout=60
        ).stdout.strip()
        (Path(purelib) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        # The venv's own setuptools (ensurepip's, older than a dependency may ask for: hdrhistogram wants >=83)
        # would hide the borrowed one from a later `pip install` of the wheel with its dependencies.
        _check(
            inst.run(
                [str(inst.python), "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"], cwd=root, timeout=120
            ),
            "pip uninstall setuptools",
        )
        pip += ["--no-deps"]
    _check(inst.run(pip + ([] if clean else ["--no-index"]) + [str(wheel)], cwd=root, timeout=600), "pip install")
    where = inst.run(
        [
            str(inst.python),
            "-c",
            "import dcr_harness, dcr_harness.paths as p; "
            "print(dcr_harness.__file__); print(p.CONFORMANCE_DIR); print(p.INSTALLED)",
        ],
        cwd=root,
        timeout=60,
    )
    _check(where, "import dcr_harness")
    module, suites, flag = where.stdout.split()
    # The proof that the venv runs the wheel, not the checkout's (editable) copy.
    assert Path(module).is_relative_to(venv) and Path(suites).is_relative_to(venv) and flag == "True", where.stdout
    assert not Path(module).is_relative_to(CHECKOUT)
    return inst
