"""Build-time mapping of the repository's top-level folders into the package.

Everything else is in pyproject.toml. The folders stay the source of truth (one copy of
each file); a wheel carries them as dcr_harness.bundled.<folder> (see dcr_harness/paths.py).
"""

from setuptools import find_packages, setup

BUNDLED = {f"dcr_harness.bundled.{folder}": folder for folder in ("conformance", "schemas", "load", "docs")}

setup(
    packages=find_packages(include=["dcr_harness", "dcr_harness.*"]) + list(BUNDLED),
    package_dir=BUNDLED,
    package_data={name: ["*.json", "*.toml", "*.md"] for name in BUNDLED},
)
