"""A short, bounded closed-loop probe: throughput and p95 per concurrency level.

It is how the sample shows it has a knee (throughput flattens, p95 climbs) and how a knob's
effect is checked. Loopback only; every level is bounded in time and in requests.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Level:
    concurrency: int
    requests: int
    errors: int
    throughput_per_s: float
    p50_ms: float
    p95_ms: float


def _check_loopback(host: str) -> None:
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"{host} is not a loopback address; the probe only loads this machine")


def login(base_url: str, email: str, password: str) -> str:
    parts = urlsplit(base_url)
    _check_loopback(parts.hostname or "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(
        "POST", "/api/auth/login", json.dumps({"email": email, "password": password}),
        {"Content-Type": "application/json"},
    )  # fmt: skip
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"login failed: {response.status} {body}")
    return str(body["token"])


def probe(
    base_url: str,
    path: str,
    token: str,
    levels: tuple[int, ...] = (1, 2, 4, 8, 16),
    seconds_per_level: float = 2.0,
    max_requests_per_level: int = 5000,
) -> list[Level]:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "", parts.port
    _check_loopback(host)
    return [
        _run_level(host, port, path, token, concurrency, seconds_per_level, max_requests_per_level)
        for concurrency in levels
    ]


def _run_level(
    host: str,
    port: int | None,
    path: str,
    token: str,
    concurrency: int,
    seconds: float,
    max_requests: int,
) -> Level:
    latencies: list[float] = []
    errors = 0
    remaining = max_requests
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors, remaining
        connection = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}
        while time.perf_counter() < deadline:
            with lock:
                if remaining <= 0:
                    break
                remaining -= 1
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status < 400
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                errors += 0 if ok else 1
        connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies) or [0.0]
    return Level(
        concurrency=concurrency,
        requests=len(latencies),
        errors=errors,
        throughput_per_s=len(latencies) / wall,
        p50_ms=ordered[len(ordered) // 2] * 1000,
        p95_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000,
    )
