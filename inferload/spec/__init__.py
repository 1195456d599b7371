"""Stage 1: an OpenAPI document -> an operation catalog, and log URLs -> operations."""

from __future__ import annotations

from inferload.spec.loader import build_catalog, load_catalog
from inferload.spec.matcher import Match, Router, Unmatched
from inferload.spec.model import Catalog, Operation, Parameter

__all__ = [
    "Catalog",
    "Match",
    "Operation",
    "Parameter",
    "Router",
    "Unmatched",
    "build_catalog",
    "load_catalog",
]
