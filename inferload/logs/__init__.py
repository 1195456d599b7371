"""Stage 2: access logs -> clean, scrubbed sessions of operations (and an ingest report)."""

from __future__ import annotations

from inferload.logs.ingest import FORMATS, IngestOptions, LogIngest
from inferload.logs.model import IngestReport, Session

__all__ = ["FORMATS", "IngestOptions", "IngestReport", "LogIngest", "Session"]
