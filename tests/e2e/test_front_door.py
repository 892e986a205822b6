"""Certifying a deployment as it stands in staging: behind its front door (CONTRACT.md section 0).

A stock nginx refuses some of the harness's provocations itself (a repeated Authorization with its
HTML 400 page, a header line over its 8 KiB buffers, a body over its 1 MiB cap with 413). The
contract's HTTP envelope permits those answers, so a conforming service behind nginx must still
certify PASS, and a broken one must still fail exactly what it breaks. The reference server is
started as the embedded one is (tests/front_door.py) and the harness sees it as a deployment.
"""

import json

import httpx
import pytest

from ..front_door import MISSING, NGINX, reference_target
from ..harness_runs import ONE_PROCESS, WITHOUT_GENERATED, HarnessRun, run_harness
from ..once import once_per_run
from .test_fault_matrix import GROUPS, violated

needs_nginx = pytest.mark.skipif(NGINX is None, reason=MISSING)
pytestmark = pytest.mark.slow
FULL_RUN_TIMEOUT_S = 900  # the default run, coverage phase included, on a loaded 2-core machine
CAP = "65536"  # a service's own body cap, far below nginx's 1 MiB: the service answers first


def _certify(tmp_path, server_args=(), *, behind_nginx=True, run_args=(), timeout=FULL_RUN_TIMEOUT_S):
    # The device cursor of a deployment's run is kept under XDG_CACHE_HOME: this test's own.
    with reference_target(tmp_path / "deployment", list(server_args), behind_nginx=behind_nginx) as target:
        return run_harness(
            ["run", "--target", str(target), *run_args],
            tmp_path / "reports",
            env={"XDG_CACHE_HOME": str(tmp_path / "cache")},
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def throttled_front_door(tmp_path_factory):
    """nginx before a reference whose devices get 3 requests (rate allowance and a burst of 2) and then 429,
    with its own body cap."""
    if NGINX is None:
        pytest.skip(MISSING)
    with reference_target(
        tmp_path_factory.mktemp("stock"), ["--rate", "0.01", "--burst", "2", "--max-body-bytes", CAP]
    ) as target:
        yield json.loads(target.read_text())


def _register(target, device, headers=(), content=None):
    body = (
        content if content is not None else json.dumps({"software_statement": target["statements"]["valid"]}).encode()
    )
    return httpx.post(
        target["base_url"] + target["register_path"],
        content=body,
        timeout=30,
        headers=[("Content-Type", "application/json"), ("X-Forwarded-For", f"{device}, 203.0.113.7"), *headers],
    )


def test_nginx_keeps_the_harness_device_the_first_forwarded_address(throttled_front_door):
    # nginx appends the peer (127.0.0.1) to X-Forwarded-For; the reference must still tell devices apart by the first.
    statuses = [_register(throttled_front_door, "198.18.7.1").status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429], statuses
    assert _register(throttled_front_door, "198.18.7.2").status_code == 201, (
        "another device was throttled with the first"
    )


def test_the_front_door_keeps_nginx_defaults(throttled_front_door):
    """Why the front door matters: stock nginx answers these itself, in HTML, before the service sees them."""
    refusals = {
        "Authorization twice": _register(
            throttled_front_door, "198.18.7.3", [("Authorization", "Bearer a"), ("Authorization", "Bearer b")]
        ),
        "a header line over 8 KiB": _register(throttled_front_door, "198.18.7.4", [("X-Device-Info", "A" * 8192)]),
        "a body over 1 MiB": _register(throttled_front_door, "198.18.7.5", content=b"{" + b" " * (1 << 20) + b"}"),
    }
    assert {name: r.status_code for name, r in refusals.items()} == {
        "Authorization twice": 400,
        "a header line over 8 KiB": 400,
        "a body over 1 MiB": 413,
    }
    for name, answer in refusals.items():
        assert answer.headers["server"].startswith("nginx") and answer.headers["content-type"] == "text/html", name


def test_a_body_over_the_service_cap_is_its_400_never_nginx_502(throttled_front_door):
    """A service that answered before reading the body and closed reset the connection: nginx then lost the
    400 now and then (about 1 in 30 here) and sent its own 502. The reference reads and drops the rest."""
    over = b"client_id=a&client_secret=b&grant_type=client_credentials&x=" + b"v" * int(CAP)
    url = throttled_front_door["base_url"] + throttled_front_door["token_path"]
    statuses = []
    with httpx.Client(timeout=30) as client:
        for n in range(300):
            statuses.append(
                client.post(
                    url,
                    content=over,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Forwarded-For": f"198.18.{8 + n // 250}.{n % 250}",
                    },
                ).status_code
            )
    assert set(statuses) == {400}, sorted(set(statuses))


def _assert_clean_pass(run):
    summary = run.output[-4000:]
    assert run.requirements_with("fail") == set(), summary
    assert run.warned_requirements() == set() and run.requirements_with("warn") == set(), summary
    # A loaded machine may leave a throttle requirement unjudged for timing (INCONCLUSIVE, exit 6, said as
    # data): that is no verdict on the front door, which is what these runs are about.
    assert run.certified_but_for_timing(), summary
    assert run.results()["unexpected_429"] == 0, "nginx must keep the harness's device (first X-Forwarded-For address)"
    assert run.unexercised_requirements() == set(), summary


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory) -> HarnessRun:
    """The default run (coverage phase included) against the reference behind nginx, shared by the tests below."""
    if NGINX is None:
        pytest.skip(MISSING)
    return once_per_run(
        tmp_path_factory, "front-door-default-run", lambda: _certify(tmp_path_factory.mktemp("front-door"))
    )


def test_the_reference_behind_stock_nginx_certifies_pass(behind_nginx):
    _assert_clean_pass(behind_nginx)


def test_the_certification_names_the_front_door_and_what_it_refused(behind_nginx):
    """The certification's deployment section names nginx, its limits as observed, and what it refused."""
    deployment = behind_nginx.certification().get("deployment")
    assert isinstance(deployment, dict), "no deployment section in certification.json"
    assert (deployment["front_door"]["server"] or "").startswith("nginx"), deployment["front_door"]
    body, line = deployment["limits"]["body"], deployment["limits"]["header line"]
    # nginx's defaults: client_max_body_size 1m (413), large_client_header_buffers 4 8k (400).
    assert (
        body["reached_the_api_up_to"] < 1 << 20 < body["refused_from"]
        and body["refused_with"] == "413 by the front door"
    ), body
    assert line["reached_the_api_up_to"] < 8192 < line["refused_from"] and line["refused_with"].startswith(
        "400 by the front door"
    ), line
    assert deployment["repeated_headers"]["Authorization"] == "refused by the front door", deployment[
        "repeated_headers"
    ]
    refused = {r["case"] for r in deployment["refused_at_front_door"]}
    assert "api Authorization: sent twice" in refused and "token Authorization: sent twice" in refused, refused
    assert any(line.startswith("  body: reached the API up to") for line in behind_nginx.output.splitlines()), (
        "the console states the limits"
    )


@pytest.mark.parametrize(
    "with_nginx", [pytest.param(False, id="alone"), pytest.param(True, id="behind-nginx", marks=needs_nginx)]
)
def test_a_service_with_its_own_body_cap_certifies_pass(tmp_path, with_nginx):
    # The whole suite, coverage phase included, in one process: a run's own workers only add CPU under CI's workers.
    _assert_clean_pass(_certify(tmp_path, ["--max-body-bytes", CAP], behind_nginx=with_nginx, run_args=ONE_PROCESS))


# The groups whose faults answer 5xx (nginx passes an upstream's 500 through: it must stay a crash), and the
# first group (wrong success statuses and accepted bad input). The fault matrix proves that without nginx each
# group fails exactly violated(group), so behind nginx it must fail exactly that too.
FRONT_DOOR_GROUPS = [GROUPS[0]] + [g for g in GROUPS if any("-500-" in f for f in g)]


@needs_nginx
@pytest.mark.parametrize("group", FRONT_DOOR_GROUPS, ids="+".join)
def test_faults_behind_the_front_door_fail_exactly_what_they_break(tmp_path, group):
    server_args = [arg for fault in group for arg in ("--fault", fault)]
    run = _certify(tmp_path, server_args, run_args=[*ONE_PROCESS, "--", *WITHOUT_GENERATED], timeout=300)
    expected = violated(group)
    failed = run.requirements_with("fail")
    assert failed - expected == set(), (
        f"failed behind nginx although no fault breaks them: {failed - expected}\n{run.output[-3000:]}"
    )
    assert expected - failed == set(), (
        f"broken by a fault but not failed behind nginx: {expected - failed}\n{run.output[-3000:]}"
    )
    assert run.code == (1 if expected else 0), run.output[-3000:]
