"""Honest dependency ranges and a lock that matches them.

Lower bounds are proven by CI (.ci/run installs the oldest releases they allow); these tests
keep the declarations themselves honest: every dependency has a lower bound, the ones whose
majors break plugins have an upper bound below the next major, and requirements.lock pins
every declared dependency, with hashes, inside its range.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
# Their major releases break plugins and the harness is one: capped below the next major.
CAPPED = ("pytest", "hypothesis", "locust", "pytest-xdist", "allure-pytest")
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    return [Requirement(r) for r in project["dependencies"] + extras]


def locked() -> dict[str, tuple[Version, str]]:
    """name -> (pinned version, the requirement's whole entry with its hash lines)."""
    text = (ROOT / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    pins: dict[str, tuple[Version, str]] = {}
    for entry in entries:
        match = PIN.match(entry.strip())
        if match:
            pins[canonicalize_name(match.group(1))] = (Version(match.group(2)), entry)
    return pins


def test_every_dependency_has_a_lower_bound():
    missing = [str(r) for r in declared() if not any(s.operator in (">=", "==", "~=") for s in r.specifier)]
    assert not missing, missing


def test_plugin_breaking_dependencies_stop_below_the_next_major():
    by_name = {canonicalize_name(r.name): r for r in declared()}
    for name in CAPPED:
        req = by_name[canonicalize_name(name)]
        lower = next(Version(s.version) for s in req.specifier if s.operator == ">=")
        upper = [Version(s.version) for s in req.specifier if s.operator == "<"]
        assert upper, f"{name} has no upper bound"
        assert upper[0].major > lower.major and not any(upper[0].release[1:]), (
            f"{name}: cap at a major release, not {req.specifier}"
        )


def test_the_lock_pins_every_declared_dependency_inside_its_range_with_hashes():
    pins = locked()
    for req in declared():
        name = canonicalize_name(req.name)
        assert name in pins, (
            f"{req.name} is not in requirements.lock (refresh it: README, 'Installing the exact tested set')"
        )
        version, entry = pins[name]
        assert req.specifier.contains(version, prereleases=True), f"{req.name}=={version} is outside {req.specifier}"
    unhashed = [name for name, (_, entry) in pins.items() if "--hash=sha256:" not in entry]
    assert not unhashed, f"pinned without a hash: {unhashed}"
