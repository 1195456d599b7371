from __future__ import annotations

import functools
from pathlib import Path

import pytest

from inferload.spec import Catalog, build_catalog

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SPECS = FIXTURES / "specs"


@pytest.fixture(autouse=True)
def isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test gets its own catalog cache, so no test sees another's (or the user's) entries."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("INFERLOAD_CACHE_DIR", str(cache))
    return cache


@functools.cache
def fixture_catalog(relative: str) -> Catalog:
    """A fixture spec's catalog, built once per test session (catalogs are immutable)."""
    return build_catalog(SPECS / relative)
