"""`dcr-harness load` options beyond one run on this machine: a known arrival rate (--rate) and
Kubernetes manifests rendered from the target file (--render-kubernetes DIR); wired into commands.py."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..contract.target import TargetError, target_path_from_env
from ..errors import ExitCode
from ..loadgen.arrival import budget_for, users_for
from ..loadgen.kube_manifests import KubeRun, render, to_yaml
from ..loadgen.runner import profiles

DEFAULT_USERS = 10
DEFAULT_SPAWN_RATE = 5.0
DEFAULT_IMAGE = "dcr-harness:latest"


def add_arguments(load: argparse.ArgumentParser) -> None:
    load.add_argument(
        "--rate",
        type=float,
        metavar="RPS",
        help="open model: a target arrival rate (per second, all workers together; an arrival is "
        "one use of the app in token_refresh, one device played in throttling); users are sized "
        "for it and the report gives offered, achieved and dropped arrivals",
    )
    kube = load.add_argument_group("Kubernetes (deploy/kubernetes/README.md)")
    kube.add_argument(
        "--render-kubernetes",
        metavar="DIR",
        help="write the run's manifests to DIR instead of running it: the master Job and Service, "
        "the workers Deployment (--workers: its replicas), the target file as a ConfigMap, "
        "its statements as a Secret; and the Locust operator's LocustTest",
    )
    kube.add_argument(
        "--image", default=DEFAULT_IMAGE, help=f"the harness image the pods run (default {DEFAULT_IMAGE})"
    )
    kube.add_argument("--name", default="dcr-load", help="prefix of the objects' names (default dcr-load)")


def users_and_spawn_rate(args: argparse.Namespace) -> tuple[int, float]:
    """The users to start and how fast; ValueError (one line) when the options do not fit together."""
    if args.rate is None:
        users = DEFAULT_USERS if args.users is None else args.users
        return users, DEFAULT_SPAWN_RATE if args.spawn_rate is None else args.spawn_rate
    if args.rate <= 0:
        raise ValueError(f"--rate must be above 0, not {args.rate:g}")
    if args.users is not None:
        raise ValueError(
            f"--rate sizes the users itself ({users_for(args.rate, budget_for(args.profile))} for "
            f"{args.rate:g}/s); leave out --users"
        )
    if args.shape:
        raise ValueError("--rate holds one arrival rate for the whole run; it does not combine with --shape")
    if args.worker:
        raise ValueError("a worker takes the rate from its master; give --rate to the master")
    users = users_for(args.rate, budget_for(args.profile))
    # All users within the first second by default: a slow start would offer less than the rate.
    return users, float(users) if args.spawn_rate is None else args.spawn_rate


def render_kubernetes(args: argparse.Namespace, users: int, spawn_rate: float) -> int:
    """Write the manifests; exit 0, or 2 with one line naming what is wrong."""

    def fail(message: str) -> int:
        print(f"dcr-harness load: {message}", file=sys.stderr)
        return ExitCode.USAGE

    if args.master or args.worker:
        return fail("--render-kubernetes writes both roles; leave out --master/--worker")
    if args.workers < 1:
        return fail("--render-kubernetes needs --workers N: the replicas of the workers Deployment")
    if args.profile not in profiles():
        return fail(f"unknown profile {args.profile!r}; profiles: {', '.join(profiles())}")
    target = target_path_from_env(args.target)
    if not target:
        return fail("--render-kubernetes needs --target FILE: the deployment the cluster will load")
    thresholds = None
    if args.thresholds:
        try:
            thresholds = Path(args.thresholds).read_text(encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot read thresholds {args.thresholds}: {exc.strerror or exc}")
    run = KubeRun(
        args.profile,
        args.workers,
        users=users,
        spawn_rate=spawn_rate,
        duration_s=args.duration,
        shape=args.shape,
        rate=args.rate,
        image=args.image,
        name=args.name,
        thresholds=thresholds,
        max_wait_s=args.expect_workers_max_wait,
    )
    try:
        files = render(target, run)
    except TargetError as exc:
        return fail(f"target file error: {exc}")
    out = Path(args.render_kubernetes)
    for name, objects in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = to_yaml(objects)
        if name == "secret.yaml":  # the statements in clear: readable by this user only
            path.touch(mode=0o600, exist_ok=True)
            os.chmod(path, 0o600)
        path.write_text(text, encoding="utf-8")
    print(
        f"dcr-harness load: manifests in {out}: {', '.join(files)} ({args.workers} workers). "
        f"secret.yaml holds the statement in clear: apply it, do not commit it. "
        f"Then: kubectl apply -f {out} (the LocustTest in {out}/locust-operator/ is the alternative, "
        "for a cluster that runs the Locust operator; see deploy/kubernetes/README.md)",
        file=sys.stderr,
    )
    return ExitCode.OK
