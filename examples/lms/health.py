"""Wait until the sample service answers `GET /api/health` (the demo and the tests start it)."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable


def wait_healthy(
    port: int, timeout_s: float = 30.0, alive: Callable[[], bool] = lambda: True
) -> bool:
    """True once 127.0.0.1:`port` answers 200; False after `timeout_s` or when `alive()` says
    the service's process has gone."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/api/health")
            healthy = connection.getresponse().status == 200
            connection.close()
            if healthy:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False
