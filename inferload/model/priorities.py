"""Endpoint priority, with the reasons shown: what a test must cover well and watch closely.

high: >= 10% of requests; or a write with >= 2%; or where sessions start; or authentication;
      or expensive (p95 at least twice the API's and >= 1% of traffic).
medium: >= 1% of requests, or any write.
low: the rest.
"""

from __future__ import annotations

import re

from inferload.spec.model import WRITE_METHODS

_AUTH = re.compile(r"(?i)(login|log_in|signin|sign_in|token|auth|session)")


def is_auth_operation(operation_id: str, method: str, path: str) -> bool:
    return method == "POST" and bool(_AUTH.search(operation_id) or _AUTH.search(path))


def prioritise(
    operation_id: str,
    method: str,
    path: str,
    share: float,
    entry_share: float,
    p95_ms: float | None,
    api_p95_ms: float | None,
) -> tuple[str, list[str]]:
    reasons: list[str] = []
    high = False
    if share >= 0.10:
        reasons.append(f"{share:.1%} of requests")
        high = True
    is_write = method in WRITE_METHODS
    if is_write:
        reasons.append("writes data")
        high = high or share >= 0.02
    if entry_share >= 0.2:
        reasons.append(f"starts {entry_share:.0%} of sessions")
        high = True
    if is_auth_operation(operation_id, method, path):
        reasons.append("authentication")
        high = True
    if p95_ms is not None and api_p95_ms and p95_ms >= 2 * api_p95_ms and share >= 0.01:
        reasons.append(f"expensive: p95 {p95_ms:.0f} ms vs {api_p95_ms:.0f} ms overall")
        high = True
    if high:
        return "high", reasons
    if share >= 0.01 or is_write:
        if share >= 0.01 and not any("requests" in r for r in reasons):
            reasons.insert(0, f"{share:.1%} of requests")
        return "medium", reasons
    return "low", reasons or [f"{share:.2%} of requests"]
