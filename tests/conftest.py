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


@pytest.fixture(scope="session")
def lms_workload_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """workload.yaml inferred once per test session from the bundled LMS sample (read-only)."""
    from click.testing import CliRunner

    from inferload.cli import main

    out = tmp_path_factory.mktemp("lms-workload") / "workload.yaml"
    result = CliRunner().invoke(
        main,
        [
            "infer",
            "--spec",
            str(FIXTURES / "lms/openapi.yaml"),
            "--logs",
            str(FIXTURES / "lms/access.log.gz"),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def lms_generated(lms_workload_file: Path) -> Path:
    """The scripts generated from it, once per test session (read-only)."""
    from click.testing import CliRunner

    from inferload.cli import main

    out = lms_workload_file.parent / "out"
    result = CliRunner().invoke(main, ["generate", str(lms_workload_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out
