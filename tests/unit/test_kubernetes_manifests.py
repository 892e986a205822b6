"""The Kubernetes manifests: rendered from a user's target file, valid against the pinned Kubernetes
version's schemas (kubernetes-validate bundles them), consistent with each other, and secrets only in
the Secret. The manifests in deploy/kubernetes/ are what the documented command renders."""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from dcr_harness.cli.commands import main
from dcr_harness.contract.target import load_target, target_from_dict
from dcr_harness.loadgen.kube_manifests import KUBERNETES_VERSION, SECRETS_DIR

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
EXAMPLE = DEPLOY / "example" / "staging.toml"
# The command deploy/kubernetes/README.md gives for the committed manifests.
COMMITTED = [
    "load",
    "token_refresh",
    "--workers",
    "4",
    "--users",
    "200",
    "--spawn-rate",
    "20",
    "--duration",
    "300",
    "--target",
    str(EXAMPLE),
    "--image",
    "registry.example.com/dcr-harness:0.1.0",
]
STATEMENT = "eyJhbGciOiJSUzI1NiJ9.eyJzb2Z0d2FyZV9pZCI6ImsifQ.c2lnbmF0dXJlLW9mLWEtdmFsaWQtc3RhdGVtZW50"
ADMIN_TOKEN = "admin-token-that-must-not-reach-the-cluster"


def render(out: Path, *argv: str) -> dict[str, list[dict]]:
    assert main([*argv, "--render-kubernetes", str(out)]) == 0
    return {
        str(p.relative_to(out)): [o for o in yaml.safe_load_all(p.read_text()) if o]
        for p in sorted(out.rglob("*.yaml"))
    }


@pytest.fixture
def user_target(tmp_path: Path) -> Path:
    """A target file as a user has one: statements from files beside it, an admin hook, a CA bundle."""
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "valid.jwt").write_text(STATEMENT + "\n")
    (tmp_path / "secrets" / "revoked.jwt").write_text(STATEMENT[::-1] + "\n")
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB-not-a-real-ca\n-----END CERTIFICATE-----\n")
    target = tmp_path / "staging.toml"
    target.write_text(f'''name = "staging"
base_url = "https://dcr.staging.example.com"
[statements]
valid = "@secrets/valid.jwt"
revoked = "@secrets/revoked.jwt"
[admin]
revoke_url = "https://dcr.staging.example.com/admin/revoke"
token = "{ADMIN_TOKEN}"
[tls]
ca_bundle = "{tmp_path / "ca.pem"}"
[load]
allow_remote = true
''')
    return target


def objects(files: dict[str, list[dict]]) -> dict[str, dict]:
    return {obj["kind"]: obj for objs in files.values() for obj in objs}


def test_every_manifest_is_valid_for_the_pinned_kubernetes_version(tmp_path, user_target):
    thresholds = tmp_path / "mine.toml"
    thresholds.write_text("version = 2\n[throttling]\narrivals_dropped_ratio_max = 0.01\n")
    files = render(
        tmp_path / "k8s",
        "load",
        "throttling",
        "--workers",
        "3",
        "--rate",
        "2",
        "--target",
        str(user_target),
        "--thresholds",
        str(thresholds),
    )
    kinds = objects(files)
    assert set(kinds) == {"ConfigMap", "Secret", "Service", "Job", "Deployment", "LocustTest"}
    for kind, obj in kinds.items():
        if kind == "LocustTest":  # the operator's own resource: its CRD validates it in a cluster that runs it
            with pytest.raises(kubernetes_validate.SchemaNotFoundError):
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            continue
        assert (
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True) == KUBERNETES_VERSION.rsplit(".", 1)[0]
        )
    assert kinds["Deployment"]["spec"]["replicas"] == 3 and kinds["LocustTest"]["spec"]["worker"]["replicas"] == 3
    master = kinds["Job"]["spec"]["template"]["spec"]["containers"][0]
    assert master["args"][master["args"].index("--expect-workers") + 1] == "3"
    assert master["args"][master["args"].index("--rate") + 1] == "2" and "--users" not in master["args"]
    assert kinds["LocustTest"]["spec"]["master"]["extraArgs"][:2] == ["-u", "16"]  # sized for 2 devices a second
    # The run's own thresholds travel in the ConfigMap, and both masters gate on them.
    assert kinds["ConfigMap"]["data"]["thresholds.toml"] == thresholds.read_text()
    assert master["args"][master["args"].index("--thresholds") + 1] == "/work/config/thresholds.toml"
    assert "/work/config/thresholds.toml" in kinds["LocustTest"]["spec"]["master"]["extraArgs"]


def test_the_objects_name_each_other_consistently(tmp_path, user_target):
    kinds = objects(render(tmp_path / "k8s", "load", "token_refresh", "--workers", "2", "--target", str(user_target)))
    job_pod = kinds["Job"]["spec"]["template"]
    worker_pod = kinds["Deployment"]["spec"]["template"]
    # The Service reaches the master's pod, on the port the master listens on and the workers join.
    assert kinds["Service"]["spec"]["selector"].items() <= job_pod["metadata"]["labels"].items()
    assert kinds["Deployment"]["spec"]["selector"]["matchLabels"] == worker_pod["metadata"]["labels"]
    worker_args = worker_pod["spec"]["containers"][0]["args"]
    assert worker_args[worker_args.index("--master-host") + 1] == kinds["Service"]["metadata"]["name"]
    assert kinds["Service"]["spec"]["ports"][0]["port"] == job_pod["spec"]["containers"][0]["ports"][0]["containerPort"]
    for pod in (job_pod, worker_pod):
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        for container in pod["spec"]["containers"]:
            assert {m["name"] for m in container["volumeMounts"]} <= set(volumes)
        assert volumes["config"]["configMap"]["name"] == kinds["ConfigMap"]["metadata"]["name"]
        assert volumes["secrets"]["secret"]["secretName"] == kinds["Secret"]["metadata"]["name"]
    locust_test = kinds["LocustTest"]["spec"]
    assert locust_test["env"]["secretMounts"][0]["name"] == kinds["Secret"]["metadata"]["name"]
    assert {v["name"] for v in locust_test["volumes"]} >= {m["name"] for m in locust_test["volumeMounts"]}


def test_secrets_go_into_the_secret_and_the_configmap_rebuilds_the_target_with_it(tmp_path, user_target):
    out = tmp_path / "k8s"
    files = render(out, "load", "token_refresh", "--workers", "2", "--target", str(user_target))
    kinds = objects(files)
    config, secret = kinds["ConfigMap"]["data"], kinds["Secret"]["stringData"]
    assert secret == {"statements.valid": STATEMENT}  # only what the load profiles use
    for name, text in ((n, p.read_text()) for n, p in ((n, out / n) for n in files) if n != "secret.yaml"):
        assert STATEMENT not in text and STATEMENT[::-1] not in text and ADMIN_TOKEN not in text, name
    assert ADMIN_TOKEN not in (out / "secret.yaml").read_text()
    assert (out / "secret.yaml").stat().st_mode & 0o077 == 0  # the statement in clear: this user's only
    # Mounted side by side, the ConfigMap's target file and the Secret's files are the user's target again.
    pod = tmp_path / "pod"
    pod.mkdir()
    for key, value in secret.items():
        (pod / key).write_text(value)
    document = json.loads(config["target.json"].replace(f"@{SECRETS_DIR}/", f"@{pod}/"))
    rebuilt, original = target_from_dict(document, base_dir=pod), load_target(user_target)
    assert rebuilt.statements.valid == original.statements.valid and rebuilt.base_url == original.base_url
    assert rebuilt.admin is None and rebuilt.statements.revoked is None
    assert config["ca-bundle.pem"] == (user_target.parent / "ca.pem").read_text()
    assert document["tls"]["ca_bundle"].endswith("/ca-bundle.pem")


def test_the_committed_manifests_are_what_the_documented_command_renders(tmp_path):
    fresh = render(tmp_path / "k8s", *COMMITTED)
    committed = {name: [o for o in yaml.safe_load_all((DEPLOY / name).read_text()) if o] for name in fresh}
    assert committed == fresh
    assert " ".join(COMMITTED[:2]) in (DEPLOY / "README.md").read_text()


# A broken manifest fails validation: each case breaks one thing in one object, as data.
BROKEN = [
    ("Deployment", ("spec", "replicas"), "four", "replicas as text"),
    ("Deployment", ("spec", "replica"), 4, "a misspelt key (strict: no unknown fields)"),
    ("Job", ("spec", "template", "spec", "restartPolicy"), ["Never"], "restartPolicy as a list"),
    ("Job", ("spec", "backoffLimit"), "0", "backoffLimit as text"),
    ("Service", ("spec", "ports"), {"port": 5557}, "ports as an object, not a list"),
    ("ConfigMap", ("data",), {"target.json": {"base_url": "x"}}, "a file's content as an object"),
    ("Secret", ("metadata", "name"), 42, "a name as a number"),
]


@pytest.mark.parametrize("kind, path, value, why", BROKEN, ids=[case[-1] for case in BROKEN])
def test_a_broken_manifest_fails_validation(kind, path, value, why):
    obj = objects(
        {
            name: [o for o in yaml.safe_load_all((DEPLOY / name).read_text()) if o]
            for name in ("configmap.yaml", "secret.yaml", "master.yaml", "workers.yaml")
        }
    )[kind]
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)  # valid as committed
    node = obj
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    "base_url, load, message",
    [
        ("http://127.0.0.1:8080", "", "is on loopback, which inside a pod is the pod itself"),
        ("https://dcr.staging.example.com", "", "does not opt in with `[load] allow_remote = true`"),
    ],
)
def test_a_target_a_pod_cannot_use_is_refused_in_one_line(tmp_path, capsys, base_url, load, message):
    target = tmp_path / "t.toml"
    target.write_text(f'base_url = "{base_url}"\n[statements]\nvalid = "{STATEMENT}"\n{load}')
    assert (
        main(
            [
                "load",
                "token_refresh",
                "--workers",
                "2",
                "--target",
                str(target),
                "--render-kubernetes",
                str(tmp_path / "k8s"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "k8s").exists()


def test_rendering_needs_the_workers_and_a_target(tmp_path, capsys, user_target):
    assert main(["load", "token_refresh", "--target", str(user_target), "--render-kubernetes", str(tmp_path)]) == 2
    assert "--render-kubernetes needs --workers N" in capsys.readouterr().err
    assert (
        main(
            [
                "load",
                "token_refresh",
                "--workers",
                "2",
                "--master",
                "--target",
                str(user_target),
                "--render-kubernetes",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert "does not combine with --master or --worker" in capsys.readouterr().err
