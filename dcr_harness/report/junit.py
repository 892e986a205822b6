"""The harness's JUnit: the file it writes from a run's checks when pytest wrote none (client
certification), and what it adds to any JUnit file: the run's verdict as <properties>, and a stopped
run's INCOMPLETE as one errored test case that CI shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

REPRODUCTIONS_SHOWN = 5  # curl reproductions in a failure's body: the first few make the point


@dataclass(frozen=True)
class Suite:
    """How a JUnit file the harness writes itself names its suite and its test cases."""

    name: str
    classname: str


def unexercised(check: Mapping[str, Any]) -> bool:
    """A check that passed without verifying any requirement it cites: CI sees it skipped, not passed."""
    return check["outcome"] == "passed" and bool(check["requirements"]) and not check["verified"]


def junit_document(checks: Iterable[Mapping[str, Any]], suite: Suite) -> ElementTree.ElementTree:
    """One test case per check (results.json's checks, already masked), its requirement IDs as
    properties; a failure or error with the message's first line and, as body, the whole message with
    the reproductions; skipped for a check that passed without exercising what it cites."""
    checks = list(checks)
    root = ElementTree.Element(
        "testsuite",
        name=suite.name,
        tests=str(len(checks)),
        failures=str(sum(c["outcome"] == "failed" for c in checks)),
        errors=str(sum(c["outcome"] == "error" for c in checks)),
        skipped=str(sum(unexercised(c) for c in checks)),
    )
    for check in checks:
        reqs = " ".join(check["requirements"])
        case = ElementTree.SubElement(root, "testcase", classname=suite.classname, name=f"{check['title']} [{reqs}]")
        ElementTree.SubElement(ElementTree.SubElement(case, "properties"), "property", name="requirements", value=reqs)
        message = check["message"]
        if check["outcome"] in ("failed", "error"):
            curls = [e["curl"] for e in check["exchanges"][:REPRODUCTIONS_SHOWN] if "curl" in e]
            kind = "failure" if check["outcome"] == "failed" else "error"
            first = message.splitlines()[0] if message else check["outcome"]
            ElementTree.SubElement(case, kind, message=first).text = message + "".join(f"\n  {c}" for c in curls)
        elif unexercised(check):
            ElementTree.SubElement(case, "skipped", message="; ".join(check["not_verified"].values()))
    return ElementTree.ElementTree(root)


def write_junit(path: Path, checks: Iterable[Mapping[str, Any]], suite: Suite) -> None:
    junit_document(checks, suite).write(path, encoding="utf-8", xml_declaration=True)


def verdict_facts(document: dict[str, Any]) -> dict[str, str]:
    scope = document["overall"].get("scope") or {}
    narrowed = scope.get("narrowed") or {}
    facts = {
        "dcr-harness.verdict": document["overall"]["verdict"],
        "dcr-harness.requirements.covered": f"{document['coverage']['covered']} of {document['coverage']['total']}",
    }
    if narrowed:
        facts["dcr-harness.partial"] = f"{narrowed.get('deselected', 0)} checks left out " + ", ".join(
            f"{k}={v}" for k, v in narrowed.items() if k in ("req", "k", "m", "ignored", "paths") and v
        )
    if scope.get("unreachable"):
        facts["dcr-harness.no-verdict"] = str(scope["unreachable"])
    accepted = scope.get("accepted_unjudged") or []
    if accepted:  # a PASS that leaves these unjudged says so wherever the verdict is shown
        facts["dcr-harness.accepted-unjudged"] = ", ".join(f"{u['requirement']} ({u['unjudged']})" for u in accepted)
    return facts


def stamp_junit(path: Path, facts: dict[str, str]) -> None:
    """Add the facts as <properties> of every testsuite of a JUnit file."""
    tree = ElementTree.parse(path)
    root = tree.getroot()
    for suite in [root] if root.tag == "testsuite" else root.iter("testsuite"):
        props = suite.find("properties")
        if props is None:
            props = ElementTree.Element("properties")
            suite.insert(0, props)
        for name, value in facts.items():
            ElementTree.SubElement(props, "property", name=name, value=value)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def mark_junit_incomplete(xml_path: str | None, certification: dict[str, Any]) -> None:
    """A stopped run's JUnit file says so with one errored test case that CI shows (the verdict property
    itself is written by stamp_junit, as for every run)."""
    scope = certification["overall"].get("scope") or {}
    if not scope.get("incomplete") or not xml_path or not Path(xml_path).is_file():
        return
    tree = ElementTree.parse(xml_path)
    root = tree.getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        return
    case = ElementTree.SubElement(suite, "testcase", classname="dcr-harness", name="run incomplete", time="0")
    not_run = scope.get("not_run") or []
    message = f"INCOMPLETE: {scope['incomplete']}; {len(not_run)} check(s) did not run or finish"
    ElementTree.SubElement(case, "error", message=message).text = "\n".join(["not run:", *not_run])
    for key in ("tests", "errors"):
        suite.set(key, str(int(suite.get(key, "0")) + 1))
    tree.write(xml_path, encoding="utf-8", xml_declaration=True)
