"""Kubernetes manifests for a distributed load run, rendered from the user's target file.

The same two commands as on separate hosts (`dcr-harness load --master` / `--worker`), as Kubernetes
objects: the master is a Job (its exit code is the gate) with a Service that the workers join by
name; the workers are a Deployment whose replicas set the scale. The target file goes into a
ConfigMap with every secret taken out: each statement the load profiles use goes into a Secret,
mounted as files, and the ConfigMap's target file names them (`@/work/secrets/statements.valid`).
What the load profiles never use (the admin hook and its token, the other statements) is left out,
so the cluster holds no secret the run does not need.

Reports: the master writes them to an emptyDir; a second container of the master's pod keeps the
pod alive after the run (until the reports are marked collected, or a deadline) so that
`kubectl cp` can fetch them, then exits with the master's code, so the Job fails when the gate does.

The Locust operator's LocustTest (locust.io/v2) is rendered as the alternative for clusters that run
it: the same image, ConfigMap and Secret, its own master and workers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..contract.target import TargetError, load_target, parse_target_text
from .safety import remote_refusal

# The Kubernetes release whose API schemas the manifests are validated against (tests/unit/
# test_kubernetes_manifests.py, with kubernetes-validate, which bundles them: no cluster, no network).
KUBERNETES_VERSION = "1.33.0"
MASTER_PORT = 5557
CONFIG_DIR = "/work/config"
SECRETS_DIR = "/work/secrets"
REPORTS_DIR = "/work/reports"
TARGET_FILE = "target.json"
THRESHOLDS_FILE = "thresholds.toml"
CA_BUNDLE_FILE = "ca-bundle.pem"
# The image (deploy/kubernetes/Dockerfile) links the bundled profiles here, for the operator's locust command.
PROFILES_DIR = "/opt/dcr-harness/load"
# What the load profiles use of the target's secrets; the rest stays out of the cluster.
LOAD_STATEMENTS = ("valid",)
COLLECT_HOLD_S = 900  # how long the reports wait for `kubectl cp` after the run
SHUTDOWN_GRACE_S = 120

# The master runs through a shell only to leave its exit code where the reports container reads it.
MASTER_SCRIPT = 'dcr-harness "$@"; code=$?; echo "$code" > {dir}/exit-code; exit "$code"'
COLLECT_SCRIPT = (
    "until [ -f {dir}/exit-code ]; do sleep 2; done; "
    'echo "the run ended (exit $(cat {dir}/exit-code)): kubectl cp $HOSTNAME:{dir} ./reports -c reports, '
    'then kubectl exec $HOSTNAME -c reports -- touch {dir}/collected"; '
    "waited=0; while [ ! -f {dir}/collected ] && [ $waited -lt {hold} ]; do sleep 2; waited=$((waited + 2)); done; "
    'exit "$(cat {dir}/exit-code)"'
)


@dataclass(frozen=True)
class KubeRun:
    """What the manifests run: the profile and the load options of `dcr-harness load`, at a scale."""

    profile: str
    workers: int
    users: int = 10
    spawn_rate: float = 5.0
    duration_s: float = 30.0
    shape: str | None = None
    rate: float | None = None  # an open-model run: users are sized for it (loadgen/arrival.py)
    image: str = "dcr-harness:latest"
    name: str = "dcr-load"
    thresholds: str | None = None  # the thresholds file's text, when the run has its own
    max_wait_s: int = 120


def cluster_target(path: str | Path) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(the ConfigMap's target document, the ConfigMap's other files, the Secret's files).

    Raises TargetError for a target file that does not load, or that a pod cannot use."""
    path = Path(path)
    target = load_target(path)
    if target.is_loopback:
        raise TargetError(
            f"{path}: base_url {target.base_url} is on loopback, which inside a pod is the pod "
            "itself; give the address the cluster reaches the deployment at"
        )
    refusal = remote_refusal(target)
    if refusal:
        raise TargetError(refusal)
    document = parse_target_text(path.read_text(encoding="utf-8"), path.suffix)
    secrets = {f"statements.{key}": getattr(target.statements, key) for key in LOAD_STATEMENTS}
    document["statements"] = {key: f"@{SECRETS_DIR}/statements.{key}" for key in LOAD_STATEMENTS}
    document.pop("admin", None)
    files: dict[str, str] = {}
    ca_bundle = document.get("tls", {}).get("ca_bundle")
    if ca_bundle:  # a path on the user's machine: its content travels in the ConfigMap (a CA is not secret)
        try:
            files[CA_BUNDLE_FILE] = Path(ca_bundle).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise TargetError(f"{path}: tls.ca_bundle: cannot read {ca_bundle}: {exc.strerror or exc}") from None
        document["tls"]["ca_bundle"] = f"{CONFIG_DIR}/{CA_BUNDLE_FILE}"
    return document, files, {k: str(v) for k, v in secrets.items()}


def _labels(run: KubeRun, component: str | None = None) -> dict[str, str]:
    """A fresh dict each time: the YAML then repeats the labels instead of anchoring them."""
    labels = {"app.kubernetes.io/name": run.name, "app.kubernetes.io/part-of": "dcr-harness"}
    if component:
        labels["app.kubernetes.io/component"] = component
    return labels


def _meta(run: KubeRun, name: str, component: str | None = None) -> dict[str, Any]:
    return {"name": name, "labels": _labels(run, component)}


def _volumes(run: KubeRun) -> list[dict[str, Any]]:
    return [
        {"name": "config", "configMap": {"name": f"{run.name}-target"}},
        {"name": "secrets", "secret": {"secretName": f"{run.name}-secrets"}},
    ]


def _mounts() -> list[dict[str, Any]]:
    return [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "secrets", "mountPath": SECRETS_DIR, "readOnly": True},
    ]


def _container(run: KubeRun, name: str, cpu: str, memory: str) -> dict[str, Any]:
    return {
        "name": name,
        "image": run.image,
        "workingDir": "/work",
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}},
        "securityContext": {"allowPrivilegeEscalation": False},
    }


def master_args(run: KubeRun) -> list[str]:
    args = [
        "load",
        run.profile,
        "--master",
        "--expect-workers",
        str(run.workers),
        "--expect-workers-max-wait",
        str(run.max_wait_s),
        "--master-port",
        str(MASTER_PORT),
        "--target",
        f"{CONFIG_DIR}/{TARGET_FILE}",
        "--report-dir",
        REPORTS_DIR,
        "--spawn-rate",
        f"{run.spawn_rate:g}",
        "--duration",
        f"{run.duration_s:g}",
    ]
    args += ["--rate", f"{run.rate:g}"] if run.rate else ["--users", str(run.users)]
    if run.shape:
        args += ["--shape", run.shape]
    if run.thresholds is not None:
        args += ["--thresholds", f"{CONFIG_DIR}/{THRESHOLDS_FILE}"]
    return args


def worker_args(run: KubeRun) -> list[str]:
    return [
        "load",
        run.profile,
        "--worker",
        "--master-host",
        f"{run.name}-master",
        "--master-port",
        str(MASTER_PORT),
        "--target",
        f"{CONFIG_DIR}/{TARGET_FILE}",
        "--expect-workers-max-wait",
        str(run.max_wait_s),
    ]


def config_map(run: KubeRun, document: dict[str, Any], files: dict[str, str]) -> dict[str, Any]:
    data = {TARGET_FILE: json.dumps(document, indent=2) + "\n", **files}
    if run.thresholds is not None:
        data[THRESHOLDS_FILE] = run.thresholds
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(run, f"{run.name}-target"), "data": data}


def secret(run: KubeRun, values: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(run, f"{run.name}-secrets"),
        "type": "Opaque",
        "stringData": values,
    }


def master_service(run: KubeRun) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(run, f"{run.name}-master", "master"),
        "spec": {
            "selector": _labels(run, "master"),
            "ports": [{"name": "locust", "port": MASTER_PORT, "targetPort": MASTER_PORT}],
        },
    }


def master_job(run: KubeRun) -> dict[str, Any]:
    meta = _meta(run, f"{run.name}-master", "master")
    master = _container(run, "master", "1", "1Gi") | {
        "command": ["sh", "-c", MASTER_SCRIPT.format(dir=REPORTS_DIR), "dcr-harness"],
        "args": master_args(run),
        "ports": [{"name": "locust", "containerPort": MASTER_PORT}],
        "volumeMounts": [*_mounts(), {"name": "reports", "mountPath": REPORTS_DIR}],
    }
    collector = _container(run, "reports", "50m", "64Mi") | {
        "command": ["sh", "-c", COLLECT_SCRIPT.format(dir=REPORTS_DIR, hold=COLLECT_HOLD_S)],
        "volumeMounts": [{"name": "reports", "mountPath": REPORTS_DIR}],
    }
    deadline = int(run.duration_s) + run.max_wait_s + COLLECT_HOLD_S + SHUTDOWN_GRACE_S
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {
            "backoffLimit": 0,  # a load run is not retried: a second run would double the load
            "activeDeadlineSeconds": deadline,
            "template": {
                "metadata": {"labels": _labels(run, "master")},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [master, collector],
                    "volumes": [*_volumes(run), {"name": "reports", "emptyDir": {}}],
                },
            },
        },
    }


def workers_deployment(run: KubeRun) -> dict[str, Any]:
    meta = _meta(run, f"{run.name}-worker", "worker")
    worker = _container(run, "worker", "1", "512Mi") | {
        "command": ["dcr-harness"],
        "args": worker_args(run),
        "volumeMounts": _mounts(),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": run.workers,
            "selector": {"matchLabels": _labels(run, "worker")},
            "template": {
                "metadata": {"labels": _labels(run, "worker")},
                "spec": {"containers": [worker], "volumes": _volumes(run)},
            },
        },
    }


def locust_test(run: KubeRun) -> dict[str, Any]:
    """The Locust operator's LocustTest: the operator makes the master, its Service and the workers, and
    appends --master/--worker and their ports to these commands (plain `locust`, the image's entrypoint)."""
    seed = f"--locustfile {PROFILES_DIR}/{run.profile}.py"
    return {
        "apiVersion": "locust.io/v2",
        "kind": "LocustTest",
        "metadata": _meta(run, run.name),
        "spec": {
            "image": run.image,
            "master": {
                "command": seed,
                "autostart": True,
                "autoquit": {"enabled": True, "timeout": 60},
                "extraArgs": locust_options(run),
            },
            "worker": {"command": seed, "replicas": run.workers},
            "env": {
                "variables": [{"name": k, "value": v} for k, v in locust_environment(run).items()],
                "secretMounts": [{"name": f"{run.name}-secrets", "mountPath": SECRETS_DIR}],
            },
            "volumes": [_volumes(run)[0], {"name": "reports", "emptyDir": {}}],
            "volumeMounts": [
                {"name": "config", "mountPath": CONFIG_DIR, "target": "both"},
                {"name": "reports", "mountPath": REPORTS_DIR, "target": "master"},
            ],
        },
    }


def locust_options(run: KubeRun) -> list[str]:
    """The run's options as plain Locust's (the operator runs locust, not dcr-harness)."""
    out = ["-u", str(run.users), "-r", f"{run.spawn_rate:g}", "-t", f"{max(1, int(run.duration_s))}s"]
    if run.rate:
        out += ["--dcr-rate", f"{run.rate:g}"]
    if run.thresholds is not None:
        out += ["--dcr-thresholds", f"{CONFIG_DIR}/{THRESHOLDS_FILE}"]
    return out


def locust_environment(run: KubeRun) -> dict[str, str]:
    """What `dcr-harness load` sets for the profiles, set for plain locust (a shape reads its size here)."""
    env = {"DCR_TARGET": f"{CONFIG_DIR}/{TARGET_FILE}", "DCR_LOAD_REPORT_DIR": REPORTS_DIR}
    if run.shape:
        env |= {
            "DCR_LOAD_SHAPE": run.shape,
            "DCR_LOAD_USERS": str(run.users),
            "DCR_LOAD_SPAWN_RATE": f"{run.spawn_rate:g}",
            "DCR_LOAD_DURATION": f"{run.duration_s:g}",
        }
    return env


def render(target_path: str | Path, run: KubeRun) -> dict[str, list[dict[str, Any]]]:
    """{file name: its objects}: everything `kubectl apply -f DIR` needs, and the operator's alternative
    in a folder of its own (applying DIR does not apply both). Raises TargetError."""
    document, files, secrets = cluster_target(target_path)
    return {
        "configmap.yaml": [config_map(run, document, files)],
        "secret.yaml": [secret(run, secrets)],
        "master.yaml": [master_service(run), master_job(run)],
        "workers.yaml": [workers_deployment(run)],
        "locust-operator/locusttest.yaml": [locust_test(run)],
    }


class ManifestDumper(yaml.SafeDumper):
    """YAML as people write manifests: a file's text (the target file in the ConfigMap) as a literal block."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


ManifestDumper.add_representer(str, _text)


HEADER = "# Rendered by `dcr-harness load PROFILE --render-kubernetes DIR` (deploy/kubernetes/README.md): render again, do not edit.\n"


def to_yaml(objects: list[dict[str, Any]]) -> str:
    return HEADER + yaml.dump_all(objects, Dumper=ManifestDumper, sort_keys=False, width=120)
