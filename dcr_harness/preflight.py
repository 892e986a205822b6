"""Before any check: is there an HTTP server at the target's base URL at all?

An unreachable host, a refused port, a TLS failure or a peer that does not speak HTTP ends
the run with exit code 3 and one clear sentence, instead of a hundred identical failures.
"""

from __future__ import annotations

import httpx

from .target import Target


class TargetUnreachable(Exception):
    pass


def preflight(target: Target, timeout: float = 5.0) -> dict[str, object]:
    """One harmless request (GET on the register path); returns what was seen."""
    url = target.url(target.register_path)
    try:
        with httpx.Client(timeout=timeout, verify=target.tls.httpx_verify(), follow_redirects=False) as client:
            response = client.get(url, headers={target.throttle.device_header: "198.18.255.254"})
    except httpx.ConnectError as exc:
        raise TargetUnreachable(f"cannot connect to {target.base_url}: {_reason(exc)}") from None
    except httpx.TimeoutException:
        raise TargetUnreachable(f"{target.base_url} did not answer within {timeout:.0f} s") from None
    except (httpx.RemoteProtocolError, httpx.LocalProtocolError, httpx.DecodingError) as exc:
        raise TargetUnreachable(f"{target.base_url} does not speak HTTP: {_reason(exc)}") from None
    except httpx.HTTPError as exc:
        raise TargetUnreachable(f"{target.base_url}: {_reason(exc)}") from None
    return {"url": url, "status": response.status_code, "http_version": response.http_version}


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
