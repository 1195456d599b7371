"""The service's knobs, from the environment, so a recommendation can be tested by re-running."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    database: Path
    access_log: Path | None
    pool_size: int = 4
    report_index: bool = False
    pool_timeout_s: float = 10.0
    token_ttl_s: float = 8 * 3600.0

    @classmethod
    def from_env(cls) -> Settings:
        log = os.environ.get("LMS_ACCESS_LOG")
        return cls(
            database=Path(os.environ.get("LMS_DB", "lms.sqlite3")),
            access_log=Path(log) if log else None,
            pool_size=int(os.environ.get("LMS_POOL_SIZE", "4")),
            report_index=os.environ.get("LMS_REPORT_INDEX", "0").lower() in ("1", "true", "yes"),
            pool_timeout_s=float(os.environ.get("LMS_POOL_TIMEOUT_S", "10")),
        )
