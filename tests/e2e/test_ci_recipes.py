"""The CI recipes of examples/ci/ cannot rot: each is parsed, and its shell steps run in
order, as the CI service would, against the embedded reference server standing in for the
secret target, with the harness installed from the wheel (tests/wheel_env.py).

What a CI service provides is stood in for: `actions/setup-python` by the venv on PATH,
secrets and File-type variables by the reference's target file, RUNNER_TEMP by a temporary
folder. Only durations and selections are shortened (SHORTER); every artifact path a
recipe keeps must match files the run wrote."""

from __future__ import annotations

import glob
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from dcr_harness import paths
from tests.load_reference import reference  # noqa: F401  (a fixture)
from tests.wheel_env import installed  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow
RECIPES = paths.PACKAGE_DIR.parent / "examples" / "ci"
STEP_TIMEOUT_S = 600
# Speed only: a short selection of checks (the whole suite from the wheel is test_wheel_install's) and short loads.
SHORTER = [
    (re.compile(r"dcr-harness run\b"), "dcr-harness run --req REG-OK-1 --req TOK-OK-1"),
    (re.compile(r"--duration \d+"), "--duration 8"),
    (re.compile(r"--users \d+"), "--users 4"),
    (re.compile(r"--spawn-rate \d+"), "--spawn-rate 4"),
]
# Steps that a CI service runs for the recipe, and what stands in for them here.
PROVIDED_ACTIONS = {"actions/setup-python", "actions/upload-artifact", "actions/checkout"}


@dataclass
class Step:
    name: str
    script: str
    env: dict[str, str] = field(default_factory=dict)
    always: bool = False


@dataclass
class Job:
    recipe: str
    name: str
    steps: list[Step]
    artifacts: list[str]


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def github_jobs(path: Path, secrets: dict[str, str]) -> list[Job]:
    doc = yaml.safe_load(path.read_text())

    def expand(value: object) -> str:
        def secret(match: re.Match) -> str:
            assert match.group(1) in secrets, f"{path.name}: unknown secret {match.group(1)}"
            return secrets[match.group(1)]

        text = re.sub(r"\$\{\{\s*secrets\.(\w+)\s*\}\}", secret, _text(value))
        assert "${{" not in text, f"{path.name}: an expression the test does not stand in for: {text}"
        return text

    jobs = []
    for name, job in doc["jobs"].items():
        workflow_env = {k: expand(v) for k, v in {**doc.get("env", {}), **job.get("env", {})}.items()}
        steps, artifacts = [], []
        for raw in job["steps"]:
            if "uses" in raw:
                action = raw["uses"].split("@")[0]
                assert action in PROVIDED_ACTIONS, f"{path.name}: no stand-in for {action}"
                if action == "actions/upload-artifact":
                    artifacts += [line.strip() for line in raw["with"]["path"].splitlines() if line.strip()]
                continue
            env = {**workflow_env, **{k: expand(v) for k, v in raw.get("env", {}).items()}}
            steps.append(
                Step(raw.get("name", raw["run"][:40]), expand(raw["run"]), env, "always()" in str(raw.get("if", "")))
            )
        jobs.append(Job(path.name, name, steps, artifacts))
    return jobs


def gitlab_jobs(path: Path, file_variables: dict[str, str]) -> list[Job]:
    doc = yaml.safe_load(path.read_text())
    jobs = []
    for name, job in doc.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        merged: dict = {}
        for base in [job["extends"]] if isinstance(job.get("extends"), str) else job.get("extends", []):
            merged.update(doc[base])
        merged.update(job)
        env = {k: _text(v) for k, v in {**doc.get("variables", {}), **merged.get("variables", {})}.items()}
        env.update(file_variables)
        lines = merged.get("before_script", []) + merged["script"]
        artifacts = list(merged.get("artifacts", {}).get("paths", []))
        junit = merged.get("artifacts", {}).get("reports", {}).get("junit")
        artifacts += [junit] if isinstance(junit, str) else list(junit or [])
        jobs.append(Job(path.name, name, [Step(name, "\n".join(lines), env)], artifacts))
    return jobs


def all_jobs(target_file: Path) -> list[Job]:
    if not RECIPES.is_dir():
        pytest.skip("not a source checkout: no examples/ci/")
    secret = {"DCR_TARGET_FILE": target_file.read_text()}
    jobs = []
    for path in sorted(RECIPES.glob("*.yml")):
        if path.name.startswith("github"):
            jobs += github_jobs(path, secret)
        else:
            jobs += gitlab_jobs(path, {"DCR_TARGET_FILE": str(target_file)})
    return jobs


def test_the_recipes_are_there_and_parse(tmp_path: Path) -> None:
    target = tmp_path / "t.json"
    target.write_text("{}")
    jobs = {(j.recipe, j.name): j for j in all_jobs(target)}
    assert {r for r, _ in jobs} == {"github-actions.yml", "github-actions-nightly.yml", "gitlab-ci.yml"}
    scripts = {key: "\n".join(s.script for s in job.steps) for key, job in jobs.items()}
    for key, script in scripts.items():
        assert 'pip install "$DCR_HARNESS_SPEC"' in script, key  # from the wheel
        assert "dcr-harness run --target" in script, key
        assert any("junit.xml" in a for a in jobs[key].artifacts), key
        assert any("certification" in a or a == "reports/" for a in jobs[key].artifacts), key
    nightly = [k for k in jobs if "nightly" in k[0] or "nightly" in k[1]]
    assert len(nightly) == 2 and all("dcr-harness load token_refresh" in scripts[k] for k in nightly)
    assert all(any(s.env.get("HYPOTHESIS_PROFILE") == "thorough" for s in jobs[k].steps) for k in nightly)


def run_job(job: Job, workspace: Path, inst) -> list[str]:
    """Run a job's steps like the CI service; the failures, one line each."""
    failures: list[str] = []
    runner_temp = workspace.parent / f"{workspace.name}-runner-temp"
    runner_temp.mkdir()
    for step in job.steps:
        if failures and not step.always:
            continue
        script = step.script
        for pattern, shorter in SHORTER:
            script = pattern.sub(shorter, script)
        # The recipe's DCR_HARNESS_SPEC is overridden as a user would: with the wheel (offline: no index).
        env = inst.env(
            **{
                **step.env,
                "DCR_HARNESS_SPEC": str(inst.wheel),
                "RUNNER_TEMP": str(runner_temp),
                "CI": "true",
                "PIP_NO_INDEX": "1",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            }
        )
        if env.get("HYPOTHESIS_PROFILE") == "thorough":
            env["HYPOTHESIS_PROFILE"] = "ci"  # speed only; the profile itself is registered by the plugin
        proc = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_S,
        )
        if proc.returncode != 0:
            failures.append(
                f"{job.recipe} {job.name} / {step.name}: exit {proc.returncode}: {(proc.stderr or proc.stdout)[-1500:]}"
            )
    return failures


@pytest.mark.timing  # the jobs run whole conformance and load runs, shortened in time (SHORTER)
@pytest.mark.parametrize(
    "recipe, job_name",
    [
        ("github-actions.yml", "certify"),
        ("github-actions-nightly.yml", "nightly"),
        ("gitlab-ci.yml", "dcr-conformance"),
        ("gitlab-ci.yml", "dcr-nightly"),
    ],
)
def test_recipe_runs_and_keeps_its_artifacts(recipe, job_name, reference, installed, tmp_path) -> None:  # noqa: F811
    (job,) = [j for j in all_jobs(reference) if (j.recipe, j.name) == (recipe, job_name)]
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    failures = run_job(job, workspace, installed)
    assert not failures, "\n".join(failures)
    for pattern in job.artifacts:
        assert glob.glob(str(workspace / pattern)), f"{recipe} {job_name}: artifact {pattern} matched nothing"
    assert not list(workspace.parent.glob("workspace-runner-temp/dcr-target")), "the secret target file was left behind"
