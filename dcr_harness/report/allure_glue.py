"""Allure: title, requirement labels and contract links, severity, one step per exchange with
masked attachments, and a final masking pass over everything allure-pytest wrote.

allure-pytest builds failure texts from call.excinfo itself, before and beside our
masking of the pytest report, so mask_results_dir() rewrites the results directory at the
end of the run with the run's masker (which by then knows every secret the run met).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import allure

from ..contract import requirements
from ..http import Exchange, Masker

CONTRACT_BASE = "contract.html"  # written beside the certification (report/contract_page.py)


def severity(levels: list[str]) -> Any:
    """MUST -> critical (the first requirement) or normal; SHOULD/PROFILE only -> minor."""
    if "MUST" in levels[:1]:
        return allure.severity_level.CRITICAL
    if "MUST" in levels:
        return allure.severity_level.NORMAL
    return allure.severity_level.MINOR


def decorate(title: str, req_ids: list[str], contract_url: str = CONTRACT_BASE) -> None:
    """Title, labels, links and severity of the current Allure test (no-op without --alluredir)."""
    allure.dynamic.title(title)
    levels = []
    for req_id in req_ids:
        allure.dynamic.label("requirement", req_id)
        allure.dynamic.tag(req_id)
        try:
            req = requirements.get(req_id)
        except KeyError:
            continue
        levels.append(req.level)
        allure.dynamic.link(f"{contract_url}#{req.anchor}", name=f"{req_id}: {req.section}")
        allure.dynamic.feature(req.area)
    allure.dynamic.severity(severity(levels))


def exchange_listener(masker: Masker):
    """A Session listener that records each exchange as an Allure step with masked attachments."""

    def attach(exchange: Exchange) -> None:
        with allure.step(masker.mask(exchange.describe())):
            allure.attach(
                json.dumps(exchange.to_dict(masker), indent=2),
                name="exchange (masked)",
                attachment_type=allure.attachment_type.JSON,
            )
            allure.attach(
                exchange.curl(masker),
                name="curl (secrets are shell variables)",
                attachment_type=allure.attachment_type.TEXT,
            )

    return attach


def mask_file(path: Path, masker: Masker) -> bool:
    """Rewrite a text file with every known secret masked (the run's scanner); True when it changed."""
    from ..http.secret_scan import SecretScanner

    return SecretScanner(masker).clean_file(path)


def mask_results_dir(directory: Path, masker: Masker, since: float = 0.0) -> int:
    """Mask every text file written under directory since `since` (epoch s); the count changed."""
    from ..http.secret_scan import SecretScanner

    return SecretScanner(masker).clean_dir(Path(directory), since)
